import type { Command } from 'commander'

import { print, table } from './output.js'
import { adminClientFor } from './remote.js'

interface ApiView {
  id: string
  audience: string
  name: string
  scopes: string[]
  built_in: boolean
}

export function registerApis(program: Command): void {
  const apis = program
    .command('apis')
    .description('register the APIs (audiences) tokens are issued for')

  apis
    .command('create')
    .requiredOption('--audience <aud>', 'audience of its tokens, e.g. https://api.example.com')
    .requiredOption('--name <name>', 'display name')
    .option('--scopes <scopes>', 'space-separated scopes it defines', '')
    .option('--json', 'print JSON')
    .action(async (flags: { audience: string; name: string; scopes: string }, command: Command) => {
      const { client, options } = adminClientFor(command)
      const api = await client.request<ApiView>('POST', client.tenantPath('/apis'), {
        audience: flags.audience,
        name: flags.name,
        scopes: flags.scopes.split(/\s+/).filter((s) => s !== ''),
      })
      print(
        options.json,
        api,
        () =>
          `Created API ${api.name} (${api.audience}) with scopes: ${api.scopes.join(' ') || '(none)'}`,
      )
    })

  apis
    .command('list')
    .option('--json', 'print JSON')
    .action(async (_flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const result = await client.request<{ items: ApiView[] }>('GET', client.tenantPath('/apis'))
      print(options.json, result, () =>
        table([
          ['AUDIENCE', 'NAME', 'SCOPES'],
          ...result.items.map((a) => [a.audience, a.name, a.scopes.join(' ')]),
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
      print(
        options.json,
        api,
        () =>
          `${api.name}\n  id:       ${api.id}\n  audience: ${api.audience}\n  scopes:   ${api.scopes.join(' ')}`,
      )
    })
}
