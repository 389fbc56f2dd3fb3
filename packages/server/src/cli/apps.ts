import { Option, type Command } from 'commander'

import { CliError } from './cli-error.js'
import { print, table } from './output.js'
import { adminClientFor } from './remote.js'

interface SecretView {
  id: string
  hint: string
  created_at: string
  expires_at: string | null
  last_used_at: string | null
  last_used_ip: string | null
}

interface AppView {
  client_id: string
  name: string
  description: string
  environment: string
  status: string
  grant_types: string[]
  grants: { audience: string; scopes: string[] }[]
  token_lifetime_seconds: number | null
  expires_at: string | null
  token_endpoint: string
  created_at: string
  last_used_at: string | null
  secrets?: SecretView[]
  client_secret?: string
}

interface CreateFlags {
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
    `  last used:      ${app.last_used_at ?? 'never'}`,
  ]
  for (const secret of app.secrets ?? []) {
    lines.push(
      `  secret ${secret.hint}: created ${secret.created_at}${secret.expires_at ? `, valid until ${secret.expires_at}` : ''}, last used ${secret.last_used_at ?? 'never'}`,
    )
  }
  return lines.join('\n')
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
      if (flags.scope !== undefined && flags.audience === undefined) {
        throw new CliError('--scope needs --audience: scopes are granted on one API')
      }
      const app = await client.request<AppView>('POST', client.tenantPath('/applications'), {
        name: flags.name,
        description: flags.description,
        environment: flags.environment,
        expires_at: flags.expires,
        grant_types: flags.grant,
        token_lifetime_seconds:
          flags.tokenTtl === undefined ? undefined : integer(flags.tokenTtl, '--token-ttl'),
        grants:
          flags.audience === undefined
            ? []
            : [
                {
                  audience: flags.audience,
                  scopes: (flags.scope ?? '').split(/\s+/).filter((s) => s !== ''),
                },
              ],
      })
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
      const page = await client.request<{ items: AppView[]; next_cursor: string | null }>(
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
      const app = await client.request<AppView>(
        'GET',
        client.tenantPath(`/applications/${encodeURIComponent(clientId)}`),
      )
      print(options.json, app, () => describe(app))
    })
}
