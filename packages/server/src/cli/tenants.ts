import { Option, type Command } from 'commander'

import { CliError } from './cli-error.js'
import { confirmAtTerminal } from './confirm.js'
import { print, table } from './output.js'
import { describeSave, saveTenantCredentials } from './profile.js'
import { adminClientFor } from './remote.js'
import type { CreatedTenantView, ExistingTenantView, TenantView } from './wire.js'

const repeatable = (value: string, previous: string[] | undefined) => [...(previous ?? []), value]

/** `--metadata KEY=VALUE` (repeatable) as an object; the server judges keys and values. */
function metadataFrom(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (values === undefined) return undefined
  const metadata: Record<string, string> = {}
  for (const value of values) {
    const at = value.indexOf('=')
    if (at <= 0) throw new CliError(`--metadata ${JSON.stringify(value)} must be KEY=VALUE`)
    const key = value.slice(0, at)
    if (key in metadata) throw new CliError(`--metadata ${key} is given twice`)
    metadata[key] = value.slice(at + 1)
  }
  return metadata
}

const tenantPath = (id: string) => `/admin/v1/tenants/${encodeURIComponent(id)}`

export function registerTenants(program: Command): void {
  const tenants = program.command('tenants').description('manage tenants (root tenant admins only)')

  tenants
    .command('list')
    .description('list every tenant')
    .option('--json', 'print JSON')
    .action(async (_options: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const result = await client.request<{ items: TenantView[] }>('GET', '/admin/v1/tenants')
      print(options.json, result, () =>
        table([
          ['ID', 'NAME', 'STATUS', 'EXTERNAL ID', 'ALG', 'ISSUER'],
          ...result.items.map((t) => [
            t.id,
            t.display_name,
            t.status,
            t.external_id ?? '-',
            t.signing_algorithm,
            t.issuer,
          ]),
        ]),
      )
    })

  tenants
    .command('create')
    .description('create a tenant; its admin credentials are saved in the profile')
    .requiredOption('--id <id>', 'tenant id: lower-case letters, digits and hyphens')
    .option('--name <name>', 'display name')
    .option('--algorithm <alg>', 'signing algorithm: ES256 (default), RS256, PS256 or EdDSA')
    .option(
      '--external-id <id>',
      'your own id for this customer: creating again with it returns the existing tenant',
    )
    .addOption(
      new Option('--metadata <key=value>', 'a metadata field (repeatable)').argParser(repeatable),
    )
    .option('--json', 'print JSON')
    .action(async (flags: CreateFlags, command: Command) => {
      const { client, options } = adminClientFor(command)
      const result = await client.request<CreatedTenantView | ExistingTenantView>(
        'POST',
        '/admin/v1/tenants',
        {
          id: flags.id,
          display_name: flags.name,
          signing_algorithm: flags.algorithm,
          external_id: flags.externalId,
          metadata: metadataFrom(flags.metadata),
        },
      )
      if (!result.created) {
        print(
          options.json,
          result,
          () =>
            `Tenant ${result.tenant.id} already exists with external id ${result.tenant.external_id ?? '-'}; nothing was created and no credentials were saved.`,
        )
        return
      }
      const saved = saveTenantCredentials({
        url: client.target.url,
        tenant: result.tenant.id,
        clientId: result.admin.client_id,
        clientSecret: result.admin.client_secret,
        makeDefault: false,
      })
      print(options.json, result, () =>
        [
          `Created tenant ${result.tenant.id}`,
          `  issuer:          ${result.tenant.issuer}`,
          `  admin client id: ${result.admin.client_id}`,
          `  admin secret:    ${result.admin.client_secret}   (shown once)`,
          describeSave(saved, client.target.url, result.tenant.id),
          `Use it with: tokenmint --tenant ${result.tenant.id} apps list`,
        ].join('\n'),
      )
    })

  tenants
    .command('show')
    .description("show a tenant's settings")
    .argument('<id>', 'tenant id')
    .option('--json', 'print JSON')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const tenant = await client.request<TenantView>(
        'GET',
        `/admin/v1/tenants/${encodeURIComponent(id)}`,
      )
      print(options.json, tenant, () =>
        Object.entries(tenant)
          .map(
            ([k, v]) => `${k.padEnd(32)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
          )
          .join('\n'),
      )
    })

  registerProvisioning(tenants)
}

interface CreateFlags {
  id: string
  name?: string
  algorithm?: string
  externalId?: string
  metadata?: string[]
}

interface UpdateFlags {
  name?: string
  externalId?: string
  clearExternalId?: boolean
  metadata?: string[]
  removeMetadata?: string[]
  json?: boolean
}

/** Provisioning (root credentials with manage:tenants): update, suspend, resume, delete. */
function registerProvisioning(tenants: Command): void {
  const show = (tenant: TenantView) =>
    [
      `Tenant ${tenant.id} (${tenant.status})`,
      `  name:        ${tenant.display_name}`,
      `  external id: ${tenant.external_id ?? '-'}`,
      ...Object.entries(tenant.metadata).map(([k, v]) => `  metadata:    ${k}=${v}`),
    ].join('\n')

  tenants
    .command('update')
    .description("change a tenant's name, external id or metadata")
    .argument('<id>', 'tenant id')
    .option('--name <name>', 'display name')
    .option('--external-id <id>', 'your own id for this customer')
    .option('--clear-external-id', 'remove the external id')
    .addOption(
      new Option(
        '--metadata <key=value>',
        'set a metadata field (repeatable); others stay',
      ).argParser(repeatable),
    )
    .addOption(
      new Option('--remove-metadata <key>', 'drop a metadata field (repeatable)').argParser(
        repeatable,
      ),
    )
    .option('--json', 'print JSON')
    .action(async (id: string, flags: UpdateFlags, command: Command) => {
      const { client, options } = adminClientFor(command)
      if (flags.externalId !== undefined && flags.clearExternalId === true)
        throw new CliError('--external-id and --clear-external-id contradict each other: give one')
      const set = metadataFrom(flags.metadata)
      let metadata: Record<string, string> | undefined
      if (set !== undefined || flags.removeMetadata !== undefined) {
        // The API replaces metadata whole: start from what the tenant has now.
        const { items } = await client.request<{ items: TenantView[] }>('GET', '/admin/v1/tenants')
        const current = items.find((t) => t.id === id)
        if (current === undefined) throw new CliError(`tenant ${id} was not found`)
        const removed = new Set(flags.removeMetadata)
        for (const key of removed) {
          if (set !== undefined && key in set)
            throw new CliError(`metadata ${key} is both set and removed: name it once`)
          if (!(key in current.metadata)) throw new CliError(`tenant ${id} has no metadata ${key}`)
        }
        metadata = Object.fromEntries(
          Object.entries({ ...current.metadata, ...set }).filter(([key]) => !removed.has(key)),
        )
      }
      const body = {
        ...(flags.name !== undefined && { display_name: flags.name }),
        ...(flags.externalId !== undefined && { external_id: flags.externalId }),
        ...(flags.clearExternalId === true && { external_id: null }),
        ...(metadata !== undefined && { metadata }),
      }
      if (Object.keys(body).length === 0)
        throw new CliError(
          'nothing to change: give --name, --external-id, --clear-external-id, --metadata or --remove-metadata',
        )
      const tenant = await client.request<TenantView>('PATCH', tenantPath(id), body)
      print(options.json, tenant, () => show(tenant))
    })

  for (const [verb, done, description] of [
    [
      'suspend',
      'Suspended',
      'suspend a tenant: no tokens, no console or admin API; its tokens are revoked',
    ],
    [
      'resume',
      'Resumed',
      'resume a suspended tenant; tokens revoked by the suspension stay revoked',
    ],
  ] as const) {
    tenants
      .command(verb)
      .description(description)
      .argument('<id>', 'tenant id')
      .option('--json', 'print JSON')
      .action(async (id: string, _flags: unknown, command: Command) => {
        const { client, options } = adminClientFor(command)
        const tenant = await client.request<TenantView>('POST', `${tenantPath(id)}/${verb}`)
        print(options.json, tenant, () => `${done} tenant ${tenant.id}; it is ${tenant.status}.`)
      })
  }

  tenants
    .command('portal-link')
    .description(
      "a single-use URL (valid 5 minutes) that signs a person in to the tenant's console",
    )
    .argument('<id>', 'tenant id')
    .requiredOption('--email <address>', "the person's email: their console username")
    .option('--name <name>', 'their name, for the audit log')
    .addOption(
      new Option('--role <role>', 'what they may do').choices(['admin', 'viewer']).default('admin'),
    )
    .option('--return-url <url>', "where the console's back link leads")
    .option('--session-lifetime <seconds>', 'how long the session may last (default 3600)')
    .option('--json', 'print JSON')
    .action(
      async (
        id: string,
        flags: {
          email: string
          name?: string
          role: string
          returnUrl?: string
          sessionLifetime?: string
        },
        command: Command,
      ) => {
        const { client, options } = adminClientFor(command)
        const link = await client.request<{ url: string; expires_at: string }>(
          'POST',
          `${tenantPath(id)}/portal-links`,
          {
            email: flags.email,
            name: flags.name,
            role: flags.role,
            return_url: flags.returnUrl,
            ...(flags.sessionLifetime !== undefined && {
              session_lifetime_seconds: Number(flags.sessionLifetime),
            }),
          },
        )
        print(options.json, link, () => `${link.url}\n  single use; valid until ${link.expires_at}`)
      },
    )

  tenants
    .command('delete')
    .description("delete a tenant's data; its audit log is kept, its id never comes back")
    .argument('<id>', 'tenant id')
    .option('--yes', 'do not ask (it never asks without a terminal)')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { yes?: boolean }, command: Command) => {
      const { client, options } = adminClientFor(command)
      await confirmAtTerminal(
        `Delete tenant ${id}? Its applications, APIs, users, administrators and keys are removed for good and its tokens revoked; its audit log is kept.`,
        id,
        { yes: flags.yes, refusal: `nothing was done: tenant ${id} is unchanged` },
      )
      await client.request<null>('DELETE', tenantPath(id))
      print(
        options.json,
        { deleted: id },
        () => `Deleted tenant ${id}; its audit log is kept until the audit retention removes it.`,
      )
    })
}
