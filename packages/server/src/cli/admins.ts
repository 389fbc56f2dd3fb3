import type { Command } from 'commander'

import { CliError } from './cli-error.js'
import { print, table } from './output.js'
import { adminClientFor } from './remote.js'
import { readSecret } from './secret-input.js'
import type { AdministratorListView, AdministratorView, CreatedAdministratorView } from './wire.js'

const ROLES = ['owner', 'admin', 'viewer']

function role(value: string): string {
  if (!ROLES.includes(value)) throw new CliError(`--role must be one of ${ROLES.join(', ')}`)
  return value
}

/** `tokenmint admins …`: the people who sign in to the web console, per tenant. */
export function registerAdmins(program: Command): void {
  const admins = program
    .command('admins')
    .description('console administrators (owner, admin, viewer), separate from tenant users')
  const adminPath = (client: ReturnType<typeof adminClientFor>['client'], id = '') =>
    client.tenantPath(`/administrators${id === '' ? '' : `/${encodeURIComponent(id)}`}`)

  admins
    .command('create')
    .requiredOption('--username <name>', 'unique per tenant, regardless of case')
    .option('--role <role>', 'owner, admin or viewer', 'admin')
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .option('--json', 'print JSON')
    .description('create an administrator; without --password-stdin a password is generated')
    .action(
      async (
        flags: { username: string; role: string; passwordStdin?: boolean },
        command: Command,
      ) => {
        const { client, options } = adminClientFor(command)
        const password =
          flags.passwordStdin === true
            ? await readSecret(`Password for ${flags.username}: `)
            : undefined
        const created = await client.request<CreatedAdministratorView>('POST', adminPath(client), {
          username: flags.username,
          role: role(flags.role),
          ...(password !== undefined && { password }),
        })
        print(options.json, created, () =>
          [
            `Created ${created.role} ${created.username} (${created.id}).`,
            ...(created.password === undefined
              ? []
              : [
                  `  password: ${created.password}`,
                  '',
                  'The password is shown only now; hand it over through a secure channel.',
                ]),
          ].join('\n'),
        )
      },
    )

  admins
    .command('list')
    .description('list the administrators of the tenant console')
    .option('--json', 'print JSON')
    .action(async (_flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const page = await client.request<AdministratorListView>('GET', adminPath(client))
      print(options.json, page, () =>
        table([
          ['ID', 'USERNAME', 'ROLE', 'STATUS', 'LAST SIGN-IN'],
          ...page.items.map((a) => [
            a.id,
            a.username,
            a.role,
            a.status,
            a.last_sign_in_at ?? 'never',
          ]),
        ]),
      )
    })

  const change = (
    name: string,
    description: string,
    body: (flags: { role?: string }, id: string) => Promise<Record<string, string>>,
    done: (a: AdministratorView) => string,
  ) =>
    admins
      .command(name)
      .argument('<administrator>', 'administrator id or username')
      .option('--json', 'print JSON')
      .description(description)
      .action(async (id: string, flags: { role?: string }, command: Command) => {
        const { client, options } = adminClientFor(command)
        const updated = await client.patchCurrent<AdministratorView>(
          adminPath(client, id),
          await body(flags, id),
        )
        print(options.json, updated, () => done(updated))
      })

  change(
    'set-password',
    'set the password (stdin or prompt); ends their console sessions',
    async (_flags, id) => ({ password: await readSecret(`New password for ${id}: `) }),
    (a) => `Password changed for ${a.username}; their console sessions have ended.`,
  )
  change(
    'disable',
    'disable sign-in and end their console sessions',
    () => Promise.resolve({ status: 'disabled' }),
    (a) => `Disabled ${a.username}.`,
  )
  change(
    'enable',
    'allow sign-in again',
    () => Promise.resolve({ status: 'active' }),
    (a) => `Enabled ${a.username}.`,
  )
  change(
    'set-role',
    'change the role (owner, admin, viewer)',
    (flags) => Promise.resolve({ role: role(flags.role ?? '') }),
    (a) => `${a.username} is now ${a.role}.`,
  ).requiredOption('--role <role>', 'owner, admin or viewer')

  admins
    .command('delete')
    .description('delete an administrator (never the last active owner)')
    .argument('<administrator>', 'administrator id or username')
    .option('--json', 'print JSON')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      await client.request<null>('DELETE', adminPath(client, id))
      print(options.json, { deleted: id }, () => `Deleted administrator ${id}.`)
    })
}
