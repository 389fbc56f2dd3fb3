import { Option, type Command } from 'commander'

import { CliError } from './cli-error.js'
import { readDataFile } from './files.js'
import { print, table } from './output.js'
import { adminClientFor } from './remote.js'
import type { ApiView, UpdatedApiView } from './wire.js'

const splitScopes = (value: string) => value.split(/[\s,]+/).filter((s) => s !== '')

/** --scope is an alias of --scopes, the spelling `apps` documents too. */
function scopesOf(flags: { scopes?: string; scope?: string }): string[] | undefined {
  if (flags.scope !== undefined && flags.scopes !== undefined)
    throw new CliError('pass --scopes once (--scope is the same option)')
  const value = flags.scopes ?? flags.scope
  return value === undefined ? undefined : splitScopes(value)
}

const repeatable = (value: string, previous: string[] | undefined) => [...(previous ?? []), value]

/** --shared [--tenants a,b] [--tenant-claim claim=field …] as the admin API's fields. */
function sharingFrom(flags: { shared?: boolean; tenants?: string; tenantClaim?: string[] }) {
  if (flags.shared !== true) {
    if (flags.tenants !== undefined || flags.tenantClaim !== undefined)
      throw new CliError('--tenants and --tenant-claim go with --shared')
    return {}
  }
  const tenantClaims: Record<string, string> = {}
  for (const pair of flags.tenantClaim ?? []) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new CliError(`--tenant-claim ${JSON.stringify(pair)} must be CLAIM=FIELD`)
    tenantClaims[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return {
    shared_with:
      flags.tenants === undefined ? 'all' : flags.tenants.split(',').map((t) => t.trim()),
    ...(flags.tenantClaim !== undefined && { tenant_claims: tenantClaims }),
  }
}

const scopeAlias = () => new Option('--scope <scopes>', 'same as --scopes').hideHelp()

function describe(api: ApiView): string {
  return [
    `${api.name}${api.built_in ? ' (built in)' : ''}`,
    `  id:       ${api.id}`,
    `  audience: ${api.audience}`,
    `  scopes:   ${api.scopes.join(' ') || '(none)'}`,
    ...(api.shared
      ? [
          api.shared_with === null
            ? '  shared:   by the deployment (read-only here; grant its scopes to your applications)'
            : `  shared:   with ${api.shared_with === 'all' ? 'every tenant' : api.shared_with.join(', ')}`,
        ]
      : []),
    ...Object.entries(api.tenant_claims).map(
      ([claim, field]) => `  claim:    ${claim} = tenant ${field}`,
    ),
    ...api.presets.map((p) => `  preset ${p.name}: ${p.scopes.join(' ') || '(none)'}`),
  ].join('\n')
}

export function registerApis(program: Command): void {
  const apis = program
    .command('apis')
    .description('register the APIs (audiences) tokens are issued for')

  apis
    .command('create')
    .description('register an API (audience) and the scopes it defines')
    .requiredOption('--audience <aud>', 'audience of its tokens, e.g. https://api.example.com')
    .requiredOption('--name <name>', 'display name')
    .option('--scopes <scopes>', 'scopes it defines, space- or comma-separated')
    .addOption(scopeAlias())
    .option('--catalog <file>', 'scope catalog (categories, resources, presets) as YAML or JSON')
    .option('--shared', 'root tenant: offer the API to every tenant (platform mode)')
    .option('--tenants <ids>', 'with --shared: offer it only to these tenants (comma-separated)')
    .addOption(
      new Option(
        '--tenant-claim <claim=field>',
        'with --shared: a tenant field its tokens carry, e.g. account_id=external_id (repeatable)',
      ).argParser(repeatable),
    )
    .option('--json', 'print JSON')
    .action(
      async (
        flags: {
          audience: string
          name: string
          scopes?: string
          scope?: string
          catalog?: string
          shared?: boolean
          tenants?: string
          tenantClaim?: string[]
        },
        command: Command,
      ) => {
        const { client, options } = adminClientFor(command)
        const scopes = scopesOf(flags)
        const api = await client.request<ApiView>('POST', client.tenantPath('/apis'), {
          audience: flags.audience,
          name: flags.name,
          ...(scopes !== undefined && { scopes }),
          ...(flags.catalog !== undefined && { catalog: readDataFile(flags.catalog) }),
          ...sharingFrom(flags),
        })
        print(
          options.json,
          api,
          () => `Created API ${api.name} (${api.audience})\n${describe(api)}`,
        )
      },
    )

  apis
    .command('update')
    .description("change an API's name, scopes or catalog")
    .argument('<api>', 'API id or audience')
    .option('--name <name>', 'new display name')
    .option('--scopes <scopes>', 'replace the flat scope list (space- or comma-separated)')
    .addOption(scopeAlias())
    .option('--catalog <file>', 'replace the scope catalog (YAML or JSON)')
    .option('--json', 'print JSON')
    .action(
      async (
        id: string,
        flags: { name?: string; scopes?: string; scope?: string; catalog?: string },
        command: Command,
      ) => {
        const { client, options } = adminClientFor(command)
        const path = client.tenantPath(`/apis/${encodeURIComponent(id)}`)
        const scopes = scopesOf(flags)
        const result = await client.patchCurrent<UpdatedApiView>(path, {
          ...(flags.name !== undefined && { name: flags.name }),
          ...(scopes !== undefined && { scopes }),
          ...(flags.catalog !== undefined && { catalog: readDataFile(flags.catalog) }),
        })
        print(options.json, result, () =>
          [
            `Updated API ${result.api.name}`,
            describe(result.api),
            ...(result.removed_scopes.length > 0
              ? [
                  `Removed scopes ${result.removed_scopes.join(' ')} from ${result.affected_applications.length} application(s).`,
                ]
              : []),
          ].join('\n'),
        )
      },
    )

  apis
    .command('list')
    .description('list the APIs of the tenant')
    .option('--json', 'print JSON')
    .action(async (_flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const result = await client.request<{ items: ApiView[] }>('GET', client.tenantPath('/apis'))
      print(options.json, result, () =>
        table([
          ['AUDIENCE', 'NAME', 'SCOPES'],
          ...result.items.map((a) => [a.audience, a.name, String(a.scopes.length)]),
        ]),
      )
    })

  apis
    .command('show')
    .description('show an API: audience, scopes and presets')
    .argument('<api>', 'API id or audience')
    .option('--json', 'print JSON')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const api = await client.request<ApiView>(
        'GET',
        client.tenantPath(`/apis/${encodeURIComponent(id)}`),
      )
      print(options.json, api, () => describe(api))
    })
}
