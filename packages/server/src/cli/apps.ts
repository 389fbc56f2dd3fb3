import { Option, type Command } from 'commander'

import { CliError } from './cli-error.js'
import { parseDuration } from './files.js'
import { print, table } from './output.js'
import { adminClientFor } from './remote.js'
import type {
  ApplicationDetailView,
  ApplicationPageView,
  ApplicationView,
  CreatedApplicationView,
  RotatedSecretView,
  UpdatedApplicationView,
} from './wire.js'

/** Every shape an application comes back in (created, shown, updated, revoked). */
type AppView = ApplicationView &
  Partial<Pick<CreatedApplicationView, 'client_secret' | 'snippets'>> &
  Partial<Pick<UpdatedApplicationView, 'notice'>>

interface CreateFlags {
  preset?: string
  introspect?: boolean
  name: string
  audience?: string
  scope?: string
  description?: string
  environment?: string
  expires?: string
  tokenTtl?: string
  grant?: string[]
}

function integer(value: string, flag: string): number {
  if (!/^\d+$/.test(value))
    throw new CliError(`${flag} must be a whole number of seconds, got "${value}"`)
  return Number(value)
}

function describe(app: AppView): string {
  const lines = [
    `${app.name} (${app.environment}) — ${app.status}`,
    `  client_id:      ${app.client_id}`,
    ...(app.client_secret === undefined
      ? []
      : [
          `  client_secret:  ${app.client_secret}`,
          '                  ↑ shown only now: store it in your secret manager',
        ]),
    `  token_endpoint: ${app.token_endpoint}`,
    ...app.grants.map(
      (g) => `  grant:          ${g.audience}: ${g.scopes.join(' ') || '(no scopes)'}`,
    ),
    `  grant types:    ${app.grant_types.join(', ')}`,
    `  token lifetime: ${app.token_lifetime_seconds === null ? 'tenant default' : `${app.token_lifetime_seconds} s`}`,
    `  expires:        ${app.expires_at ?? 'never'}`,
    `  created:        ${app.created_at}`,
    `  last used:      ${app.last_used_at ?? 'never'}${app.usage?.last_client_ip ? ` from ${app.usage.last_client_ip}` : ''}`,
    ...(app.can_introspect ? ['  may introspect tokens and read the revocation feed'] : []),
    ...(app.built_in
      ? ["  built in:       the CLI's own credentials; only an owner may change them"]
      : []),
    ...(app.usage === undefined
      ? []
      : [
          `  tokens per day: ${app.usage.tokens_per_day.map((d) => `${d.day} ${d.tokens}`).join(', ') || 'none in 30 days'}`,
        ]),
  ]
  for (const secret of app.secrets ?? []) {
    lines.push(
      `  secret ${secret.hint}: created ${secret.created_at}${secret.expires_at ? `, valid until ${secret.expires_at}` : ''}, last used ${secret.last_used_at ?? 'never'}`,
    )
  }
  for (const warning of app.warnings ?? []) lines.push(`  warning: ${warning}`)
  if (app.notice !== undefined) lines.push(`  ${app.notice}`)
  if (app.snippets !== undefined)
    lines.push('', 'Get a token (with CLIENT_SECRET set to the secret above):', app.snippets.curl)
  return lines.join('\n')
}

function grantsFrom(flags: { audience?: string; scope?: string; preset?: string }) {
  if (flags.audience === undefined) {
    if (flags.scope !== undefined || flags.preset !== undefined) {
      throw new CliError('--scope and --preset need --audience: scopes are granted on one API')
    }
    return undefined
  }
  return [
    {
      audience: flags.audience,
      scopes: (flags.scope ?? '').split(/\s+/).filter((s) => s !== ''),
      ...(flags.preset !== undefined && { preset: flags.preset }),
    },
  ]
}

export function registerApps(program: Command): void {
  const apps = program
    .command('apps')
    .description('manage OAuth applications (one per integration and environment)')

  apps
    .command('create')
    .requiredOption('--name <name>', 'name, unique per environment')
    .option('--audience <aud>', 'the API to grant scopes on')
    .option('--scope <scopes>', 'space-separated scopes to grant on that API')
    .option('--preset <name>', 'grant a preset of that API: read-only, full-access or a named one')
    .option(
      '--introspect',
      "a resource server's credentials: may introspect tokens and read the revocation feed",
    )
    .option('--description <text>', 'what the integration does')
    .option('--environment <env>', 'environment label: dev, stage, prod or any text', 'prod')
    .option('--expires <when>', '"never", or an ISO 8601 date or date-time', 'never')
    .option('--token-ttl <seconds>', 'access token lifetime (default: the tenant default, 3600)')
    .addOption(
      new Option('--grant <type>', 'allowed grant type (repeatable)')
        .choices(['client_credentials', 'password', 'refresh_token'])
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .option('--json', 'print JSON')
    .action(async (flags: CreateFlags, command: Command) => {
      const { client, options } = adminClientFor(command)
      const app = await client.request<CreatedApplicationView>(
        'POST',
        client.tenantPath('/applications'),
        {
          name: flags.name,
          description: flags.description,
          environment: flags.environment,
          expires_at: flags.expires,
          grant_types: flags.grant,
          token_lifetime_seconds:
            flags.tokenTtl === undefined ? undefined : integer(flags.tokenTtl, '--token-ttl'),
          grants: grantsFrom(flags) ?? [],
          ...(flags.introspect === true && { can_introspect: true }),
        },
      )
      print(options.json, app, () => describe(app))
    })

  apps
    .command('list')
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <cursor>', 'next page cursor from a previous list')
    .option('--json', 'print JSON')
    .action(async (flags: { limit: string; cursor?: string }, command: Command) => {
      const { client, options } = adminClientFor(command)
      const query = new URLSearchParams({
        limit: flags.limit,
        ...(flags.cursor !== undefined && { cursor: flags.cursor }),
      })
      const page = await client.request<ApplicationPageView>(
        'GET',
        client.tenantPath(`/applications?${query.toString()}`),
      )
      print(options.json, page, () =>
        [
          table([
            ['CLIENT ID', 'NAME', 'ENV', 'STATUS', 'SCOPES', 'EXPIRES'],
            ...page.items.map((a) => [
              a.client_id,
              a.name,
              a.environment,
              a.status,
              a.grants.map((g) => g.scopes.join(' ')).join(' '),
              a.expires_at ?? 'never',
            ]),
          ]),
          ...(page.next_cursor === null
            ? []
            : [`more: tokenmint apps list --cursor ${page.next_cursor}`]),
        ].join('\n'),
      )
    })

  apps
    .command('show')
    .argument('<client-id>', 'client id of the application')
    .option('--json', 'print JSON')
    .action(async (clientId: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const app = await client.request<ApplicationDetailView>(
        'GET',
        client.tenantPath(`/applications/${encodeURIComponent(clientId)}`),
      )
      print(options.json, app, () => describe(app))
    })

  apps
    .command('update')
    .argument('<client-id>', 'client id of the application')
    .option('--name <name>', 'new name')
    .option('--description <text>', 'new description')
    .option('--environment <env>', 'new environment label')
    .option('--audience <aud>', 'with --scope/--preset: replace the grants with scopes on this API')
    .option('--scope <scopes>', 'space-separated scopes')
    .option('--preset <name>', 'a preset of that API')
    .option('--expires <when>', '"never", or an ISO 8601 date or date-time')
    .option('--token-ttl <seconds>', 'access token lifetime')
    .option('--json', 'print JSON')
    .action(
      async (
        clientId: string,
        flags: Omit<CreateFlags, 'name'> & { name?: string },
        command: Command,
      ) => {
        const { client, options } = adminClientFor(command)
        const path = client.tenantPath(`/applications/${encodeURIComponent(clientId)}`)
        const app = await client.patchCurrent<UpdatedApplicationView>(path, {
          name: flags.name,
          description: flags.description,
          environment: flags.environment,
          ...(flags.expires !== undefined && { expires_at: flags.expires }),
          ...(flags.tokenTtl !== undefined && {
            token_lifetime_seconds: integer(flags.tokenTtl, '--token-ttl'),
          }),
          grants: grantsFrom(flags),
        })
        print(options.json, app, () => describe(app))
      },
    )

  apps
    .command('rotate-secret')
    .argument('<client-id>', 'client id of the application')
    .option(
      '--overlap <duration>',
      'how long the old secret stays valid: 3600, 90s, 15m, 1h, 2d; 0 ends it now',
      '24h',
    )
    .option('--json', 'print JSON')
    .action(async (clientId: string, flags: { overlap: string }, command: Command) => {
      const { client, options } = adminClientFor(command)
      const result = await client.request<RotatedSecretView>(
        'POST',
        client.tenantPath(`/applications/${encodeURIComponent(clientId)}/rotate-secret`),
        {
          overlap_seconds: parseDuration(flags.overlap, '--overlap'),
        },
      )
      print(options.json, result, () =>
        [
          `New client_secret: ${result.client_secret}`,
          '                   ↑ shown only now: store it in your secret manager',
          result.previous_secret === null
            ? 'The previous secret no longer works.'
            : `The previous secret ${result.previous_secret.hint} works until ${result.previous_secret.expires_at ?? ''}; end it sooner with: tokenmint apps end-overlap ${clientId}`,
          ...(result.warnings ?? []).map((w) => `warning: ${w}`),
        ].join('\n'),
      )
    })

  apps
    .command('end-overlap')
    .argument('<client-id>', 'client id of the application')
    .option('--json', 'print JSON')
    .action(async (clientId: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const result = await client.request<{ ended_secrets: number }>(
        'POST',
        client.tenantPath(`/applications/${encodeURIComponent(clientId)}/end-overlap`),
      )
      print(
        options.json,
        result,
        () => `Ended ${result.ended_secrets} previous secret(s); only the newest works now.`,
      )
    })

  apps
    .command('revoke')
    .argument('<client-id>', 'client id of the application')
    .option('--json', 'print JSON')
    .action(async (clientId: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const app = await client.request<ApplicationView>(
        'POST',
        client.tenantPath(`/applications/${encodeURIComponent(clientId)}/revoke`),
      )
      print(options.json, app, () =>
        [
          `Revoked ${app.name} (${app.client_id}): no new tokens, and its issued tokens are revoked.`,
          ...(app.warnings ?? []).map((w) => `warning: ${w}`),
        ].join('\n'),
      )
    })

  apps
    .command('delete')
    .argument('<client-id>', 'client id of the application')
    .option('--json', 'print JSON')
    .action(async (clientId: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      await client.request<null>(
        'DELETE',
        client.tenantPath(`/applications/${encodeURIComponent(clientId)}`),
      )
      print(
        options.json,
        { deleted: clientId },
        () => `Deleted ${clientId}; its audit history is kept.`,
      )
    })
}
