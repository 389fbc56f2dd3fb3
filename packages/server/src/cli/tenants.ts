import type { Command } from 'commander'

import { print, table } from './output.js'
import { describeSave, saveTenantCredentials } from './profile.js'
import { adminClientFor } from './remote.js'
import type { CreatedTenantView, TenantView } from './wire.js'

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
          ['ID', 'NAME', 'ALG', 'ISSUER'],
          ...result.items.map((t) => [t.id, t.display_name, t.signing_algorithm, t.issuer]),
        ]),
      )
    })

  tenants
    .command('create')
    .description('create a tenant; its admin credentials are saved in the profile')
    .requiredOption('--id <id>', 'tenant id: lower-case letters, digits and hyphens')
    .option('--name <name>', 'display name')
    .option('--algorithm <alg>', 'signing algorithm: ES256 (default), RS256, PS256 or EdDSA')
    .option('--json', 'print JSON')
    .action(async (flags: { id: string; name?: string; algorithm?: string }, command: Command) => {
      const { client, options } = adminClientFor(command)
      const result = await client.request<CreatedTenantView>('POST', '/admin/v1/tenants', {
        id: flags.id,
        display_name: flags.name,
        signing_algorithm: flags.algorithm,
      })
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
          .map(([k, v]) => `${k.padEnd(32)} ${String(v)}`)
          .join('\n'),
      )
    })
}
