import type { Command } from 'commander'

import { readDataFile } from './files.js'
import { print, table } from './output.js'
import { adminClientFor } from './remote.js'
import type { ApiView, UpdatedApiView } from './wire.js'

const splitScopes = (value: string) => value.split(/\s+/).filter((s) => s !== '')

function describe(api: ApiView): string {
  return [
    `${api.name}${api.built_in ? ' (built in)' : ''}`,
    `  id:       ${api.id}`,
    `  audience: ${api.audience}`,
    `  scopes:   ${api.scopes.join(' ') || '(none)'}`,
    ...api.presets.map((p) => `  preset ${p.name}: ${p.scopes.join(' ') || '(none)'}`),
  ].join('\n')
}

export function registerApis(program: Command): void {
  const apis = program
    .command('apis')
    .description('register the APIs (audiences) tokens are issued for')

  apis
    .command('create')
    .requiredOption('--audience <aud>', 'audience of its tokens, e.g. https://api.example.com')
    .requiredOption('--name <name>', 'display name')
    .option('--scopes <scopes>', 'space-separated scopes it defines')
    .option('--catalog <file>', 'scope catalog (categories, resources, presets) as YAML or JSON')
    .option('--json', 'print JSON')
    .action(
      async (
        flags: { audience: string; name: string; scopes?: string; catalog?: string },
        command: Command,
      ) => {
        const { client, options } = adminClientFor(command)
        const api = await client.request<ApiView>('POST', client.tenantPath('/apis'), {
          audience: flags.audience,
          name: flags.name,
          ...(flags.scopes !== undefined && { scopes: splitScopes(flags.scopes) }),
          ...(flags.catalog !== undefined && { catalog: readDataFile(flags.catalog) }),
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
    .argument('<api>', 'API id or audience')
    .option('--name <name>', 'new display name')
    .option('--scopes <scopes>', 'replace the flat scope list')
    .option('--catalog <file>', 'replace the scope catalog (YAML or JSON)')
    .option('--json', 'print JSON')
    .action(
      async (
        id: string,
        flags: { name?: string; scopes?: string; catalog?: string },
        command: Command,
      ) => {
        const { client, options } = adminClientFor(command)
        const path = client.tenantPath(`/apis/${encodeURIComponent(id)}`)
        const result = await client.patchCurrent<UpdatedApiView>(path, {
          ...(flags.name !== undefined && { name: flags.name }),
          ...(flags.scopes !== undefined && { scopes: splitScopes(flags.scopes) }),
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
