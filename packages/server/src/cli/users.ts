import { Option, type Command } from 'commander'

import { CliError } from './cli-error.js'

import { print, table } from './output.js'
import { adminClientFor } from './remote.js'
import { readSecret } from './secret-input.js'
import type { UserPageView, UserView } from './wire.js'

function describe(user: UserView): string {
  return [
    `${user.username} — ${user.status}${user.locked_until ? ` until ${user.locked_until}` : ''}`,
    `  id:         ${user.id}`,
    `  email:      ${user.email ?? '-'}`,
    `  name:       ${user.display_name ?? '-'}`,
    ...user.grants.map((g) => `  may hold:   ${g.audience}: ${g.scopes.join(' ') || '(nothing)'}`),
    `  last login: ${user.last_login_at ?? 'never'}`,
  ].join('\n')
}

/** --scope is an alias of --scopes, the spelling `apis` and `apps` document too. */
function grantsFrom(flags: { audience?: string; scope?: string; scopes?: string }) {
  if (flags.scope !== undefined && flags.scopes !== undefined)
    throw new CliError('pass --scopes once (--scope is the same option)')
  if (flags.audience === undefined) return undefined
  const scopes = flags.scopes ?? flags.scope ?? ''
  return [{ audience: flags.audience, scopes: scopes.split(/[\s,]+/).filter((s) => s !== '') }]
}

const scopeAlias = () => new Option('--scope <scopes>', 'same as --scopes').hideHelp()

export function registerUsers(program: Command): void {
  const users = program
    .command('users')
    .description('tenant users, for applications allowed the password grant')
  const userPath = (client: ReturnType<typeof adminClientFor>['client'], id = '') =>
    client.tenantPath(`/users${id === '' ? '' : `/${encodeURIComponent(id)}`}`)

  users
    .command('create')
    .requiredOption('--username <name>', 'unique per tenant, regardless of case')
    .option('--email <address>', 'email address')
    .option('--name <display name>', 'display name')
    .option('--audience <aud>', 'an API the user may hold scopes on')
    .option('--scopes <scopes>', 'the scopes the user may hold on it')
    .addOption(scopeAlias())
    .option('--json', 'print JSON')
    .description('create a user; the password is read from stdin or a prompt, never a flag')
    .action(
      async (
        flags: {
          username: string
          email?: string
          name?: string
          audience?: string
          scope?: string
          scopes?: string
        },
        command: Command,
      ) => {
        const { client, options } = adminClientFor(command)
        const password = await readSecret(`Password for ${flags.username}: `)
        const user = await client.request<UserView>('POST', userPath(client), {
          username: flags.username,
          password,
          email: flags.email,
          display_name: flags.name,
          grants: grantsFrom(flags) ?? [],
        })
        print(options.json, user, () => `Created user\n${describe(user)}`)
      },
    )

  users
    .command('list')
    .description('list users, a page at a time')
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <cursor>', 'next page cursor')
    .option('--json', 'print JSON')
    .action(async (flags: { limit: string; cursor?: string }, command: Command) => {
      const { client, options } = adminClientFor(command)
      const query = new URLSearchParams({
        limit: flags.limit,
        ...(flags.cursor !== undefined && { cursor: flags.cursor }),
      })
      const page = await client.request<UserPageView>(
        'GET',
        `${userPath(client)}?${query.toString()}`,
      )
      print(options.json, page, () =>
        table([
          ['ID', 'USERNAME', 'STATUS', 'LAST LOGIN'],
          ...page.items.map((u) => [u.id, u.username, u.status, u.last_login_at ?? 'never']),
        ]),
      )
    })

  users
    .command('show')
    .description('show a user and what they may hold')
    .argument('<user>', 'user id or username')
    .option('--json', 'print JSON')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const user = await client.request<UserView>('GET', userPath(client, id))
      print(options.json, user, () => describe(user))
    })

  users
    .command('update')
    .description("change a user's name, email or what they may hold")
    .argument('<user>', 'user id or username')
    .option('--username <name>', 'new username')
    .option('--email <address>', 'new email')
    .option('--name <display name>', 'new display name')
    .option('--audience <aud>', 'with --scopes: replace what the user may hold')
    .option('--scopes <scopes>', 'scopes on that API')
    .addOption(scopeAlias())
    .option('--json', 'print JSON')
    .action(
      async (
        id: string,
        flags: {
          username?: string
          email?: string
          name?: string
          audience?: string
          scope?: string
          scopes?: string
        },
        command: Command,
      ) => {
        const { client, options } = adminClientFor(command)
        const user = await client.patchCurrent<UserView>(userPath(client, id), {
          username: flags.username,
          email: flags.email,
          display_name: flags.name,
          grants: grantsFrom(flags),
        })
        print(options.json, user, () => describe(user))
      },
    )

  users
    .command('set-password')
    .argument('<user>', 'user id or username')
    .option('--json', 'print JSON')
    .description("set a user's password (stdin or prompt); ends the user's refresh tokens")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const password = await readSecret(`New password for ${id}: `)
      const user = await client.request<UserView>('POST', `${userPath(client, id)}/password`, {
        password,
      })
      print(
        options.json,
        user,
        () => `Password changed for ${user.username}; its refresh tokens are revoked.`,
      )
    })

  for (const [action, done, description] of [
    ['disable', 'Disabled', 'stop a user from getting tokens; ends their refresh tokens'],
    ['enable', 'Enabled', 'allow a disabled user again'],
    ['unlock', 'Unlocked', 'lift a lockout after failed passwords'],
  ] as const) {
    users
      .command(action)
      .description(description)
      .argument('<user>', 'user id or username')
      .option('--json', 'print JSON')
      .action(async (id: string, _flags: unknown, command: Command) => {
        const { client, options } = adminClientFor(command)
        const user = await client.request<UserView>('POST', `${userPath(client, id)}/${action}`)
        print(options.json, user, () => `${done} ${user.username} (${user.status}).`)
      })
  }

  users
    .command('delete')
    .description('delete a user; their refresh tokens are revoked')
    .argument('<user>', 'user id or username')
    .option('--json', 'print JSON')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      await client.request<null>('DELETE', userPath(client, id))
      print(options.json, { deleted: id }, () => `Deleted ${id}; their refresh tokens are revoked.`)
    })
}
