import { Option, type Command } from 'commander'

import { describeKey, readJwksFile, registerAppKeys } from './app-keys.js'
import {
  addTrustOptions,
  describeTrustPolicy,
  registerAppTrust,
  trustPolicyFrom,
} from './app-trust.js'
import { claimsFrom, mergeClaims } from './claims.js'
import { CliError } from './cli-error.js'
import { confirmAtTerminal } from './confirm.js'
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
  dpop?: boolean
  name: string
  audience?: string
  scope?: string
  scopes?: string
  apiScopes?: string[]
  description?: string
  environment?: string
  expires?: string
  tokenTtl?: string
  grant?: string[]
  jwksFile?: string
  jwksUri?: string
  trustIssuer?: string
  trustAudience?: string
  trustSubject?: string
  trustMatch?: string[]
  claim?: string[]
}

function integer(value: string, flag: string): number {
  if (!/^\d+$/.test(value))
    throw new CliError(`${flag} must be a whole number of seconds, got "${value}"`)
  return Number(value)
}

function authenticates(app: AppView): string {
  if (app.jwks_uri != null)
    return `  authenticates:  private_key_jwt, keys published at ${app.jwks_uri}`
  if ((app.keys ?? []).length === 0 && (app.trust_policies ?? []).length > 0)
    return "  authenticates:  a workload's platform token (client_assertion + client_id) matching a trust policy below"
  return '  authenticates:  private_key_jwt (RFC 7523 assertions signed with a key below)'
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
    ...(app.token_endpoint_auth_method === 'private_key_jwt' ? [authenticates(app)] : []),
    ...app.grants.map(
      (g) => `  grant:          ${g.audience}: ${g.scopes.join(' ') || '(no scopes)'}`,
    ),
    ...Object.entries(app.claims).map(([name, value]) => `  claim:          ${name}=${value}`),
    `  grant types:    ${app.grant_types.join(', ')}`,
    `  token lifetime: ${app.token_lifetime_seconds === null ? 'tenant default' : `${app.token_lifetime_seconds} s`}`,
    `  expires:        ${app.expires_at ?? 'never'}`,
    `  created:        ${app.created_at}`,
    `  last used:      ${app.last_used_at ?? 'never'}${app.usage?.last_client_ip ? ` from ${app.usage.last_client_ip}` : ''}`,
    ...(app.can_introspect ? ['  may introspect tokens and read the revocation feed'] : []),
    ...(app.dpop_bound_access_tokens
      ? ["  DPoP required: every token is bound to the key of its request's DPoP proof"]
      : []),
    ...(app.built_in
      ? ["  built in:       the CLI's own credentials; only an owner may change them"]
      : []),
    ...(app.usage === undefined
      ? []
      : [
          `  tokens per day: ${app.usage.tokens_per_day.map((d) => `${d.day} ${d.tokens}`).join(', ') || 'none in 30 days'}`,
        ]),
  ]
  for (const key of app.keys ?? []) lines.push(describeKey(key))
  for (const policy of app.trust_policies ?? []) lines.push(describeTrustPolicy(policy))
  for (const secret of app.secrets ?? []) {
    lines.push(
      `  secret ${secret.hint}: created ${secret.created_at}${secret.expires_at ? `, valid until ${secret.expires_at}` : ''}, last used ${secret.last_used_at ?? 'never'}`,
    )
  }
  for (const warning of app.warnings ?? []) lines.push(`  warning: ${warning}`)
  if (app.notice !== undefined) lines.push(`  ${app.notice}`)
  if (app.snippets !== undefined)
    lines.push(
      '',
      app.token_endpoint_auth_method === 'private_key_jwt'
        ? "Get a token (with CLIENT_ASSERTION set to an assertion signed with your key, or the workload's platform token):"
        : 'Get a token (with CLIENT_SECRET set to the secret above):',
      app.snippets.curl,
    )
  return lines.join('\n')
}

interface GrantFlags {
  audience?: string
  scope?: string
  scopes?: string
  preset?: string
  apiScopes?: string[]
}

interface NamedGrant {
  audience: string
  scopes?: string[]
  preset?: string
}

/** Scopes are space- or comma-separated. */
const splitScopes = (value: string) => value.split(/[\s,]+/).filter((s) => s !== '')

/** `--audience A --scopes S` (one API) and every `--api-scopes A=S`, each API named once. */
function grantsFrom(flags: GrantFlags): NamedGrant[] | undefined {
  if (flags.scope !== undefined && flags.scopes !== undefined)
    throw new CliError('pass --scopes once (--scope is the same option)')
  const scopes = flags.scopes ?? flags.scope
  const grants: NamedGrant[] = []
  if (flags.audience === undefined) {
    if (scopes !== undefined || flags.preset !== undefined) {
      throw new CliError(
        '--scopes and --preset need --audience (scopes are granted on one API), or use --api-scopes AUDIENCE=SCOPES',
      )
    }
  } else {
    grants.push({
      audience: flags.audience,
      ...(flags.preset === undefined || scopes !== undefined
        ? { scopes: splitScopes(scopes ?? '') }
        : {}),
      ...(flags.preset !== undefined && { preset: flags.preset }),
    })
  }
  for (const value of flags.apiScopes ?? []) {
    const at = value.indexOf('=')
    if (at <= 0)
      throw new CliError(
        `--api-scopes takes AUDIENCE=SCOPES, e.g. https://api.example.com=read:things,write:things; got "${value}"`,
      )
    grants.push({ audience: value.slice(0, at), scopes: splitScopes(value.slice(at + 1)) })
  }
  const audiences = grants.map((g) => g.audience)
  const twice = audiences.find((a, i) => audiences.indexOf(a) !== i)
  if (twice !== undefined) throw new CliError(`${twice} is named twice: name each API once`)
  return grants.length === 0 ? undefined : grants
}

/**
 * The application's grants with the named APIs' replaced or added, the removed ones gone, and
 * every other one kept.
 */
function mergeGrants(
  current: readonly NamedGrant[],
  named: readonly NamedGrant[],
  removed: readonly string[] = [],
): NamedGrant[] {
  for (const audience of removed) {
    if (named.some((n) => n.audience === audience))
      throw new CliError(`${audience} is both granted and removed: name it once`)
    if (!current.some((c) => c.audience === audience))
      throw new CliError(`the application holds no scopes on ${audience}; nothing to remove`)
  }
  const merged = current
    .filter((grant) => !removed.includes(grant.audience))
    .map((grant) => named.find((n) => n.audience === grant.audience) ?? { ...grant })
  for (const grant of named)
    if (!current.some((c) => c.audience === grant.audience)) merged.push(grant)
  return merged
}

const repeatable = (value: string, previous: string[] | undefined) => [...(previous ?? []), value]

/** The grant options shared by create and update; --scope is an alias of --scopes. */
function addGrantOptions(command: Command, what: string): Command {
  return command
    .option('--audience <aud>', `the API to grant --scopes or --preset on (${what})`)
    .option('--scopes <scopes>', 'scopes on that API, space- or comma-separated')
    .addOption(new Option('--scope <scopes>', 'same as --scopes').hideHelp())
    .option('--preset <name>', 'a preset of that API: read-only, full-access or a named one')
    .addOption(
      new Option(
        '--api-scopes <audience=scopes>',
        `scopes on one API, e.g. https://api.example.com=read:things,write:things (repeatable; ${what})`,
      ).argParser(repeatable),
    )
}

export function registerApps(program: Command): void {
  const apps = program
    .command('apps')
    .description('manage OAuth applications (one per integration and environment)')

  const create = apps
    .command('create')
    .description(
      'create an application; its client secret is printed once (or give --jwks-file, --jwks-uri or --trust-issuer: no secret then)',
    )
    .requiredOption('--name <name>', 'name, unique per environment')
  addGrantOptions(create, 'grants it that API')
  create
    .option(
      '--introspect',
      "a resource server's credentials: may introspect tokens and read the revocation feed",
    )
    .option(
      '--dpop',
      "require a DPoP proof with every token request: tokens are bound to the client's key (RFC 9449)",
    )
    .option('--description <text>', 'what the integration does')
    .option('--environment <env>', 'environment label: dev, stage, prod or any text', 'prod')
    .option('--expires <when>', '"never", or an ISO 8601 date or date-time', 'never')
    .option('--token-ttl <seconds>', 'access token lifetime (default: the tenant default, 3600)')
    .addOption(
      new Option('--grant <type>', 'allowed grant type (repeatable)')
        .choices(['client_credentials', 'password', 'refresh_token'])
        .argParser(repeatable),
    )
    .option(
      '--jwks-file <file>',
      'authenticate with private_key_jwt using these public keys (JWK, JWK Set or PEM) instead of a secret',
    )
    .option(
      '--jwks-uri <url>',
      'authenticate with private_key_jwt using the keys published at this https URL',
    )
    .addOption(
      new Option('--claim <name=value>', 'a static claim its tokens carry (repeatable)').argParser(
        repeatable,
      ),
    )
  addTrustOptions(create)
  create.option('--json', 'print JSON').action(async (flags: CreateFlags, command: Command) => {
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
        ...(flags.dpop === true && { dpop_bound_access_tokens: true }),
        ...(flags.jwksFile !== undefined && { jwks: readJwksFile(flags.jwksFile) }),
        ...(flags.jwksUri !== undefined && { jwks_uri: flags.jwksUri }),
        ...(flags.claim !== undefined && { claims: claimsFrom(flags.claim) }),
        ...(flags.trustIssuer !== undefined && {
          trust_policies: [
            trustPolicyFrom(
              {
                issuer: flags.trustIssuer,
                audience: flags.trustAudience,
                subject: flags.trustSubject,
                match: flags.trustMatch,
              },
              '--trust-',
            ),
          ],
        }),
      },
    )
    print(options.json, app, () => describe(app))
  })
  registerAppKeys(apps)
  registerAppTrust(apps)

  apps
    .command('list')
    .description('list applications, a page at a time')
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
          table(
            [
              ['CLIENT ID', 'NAME', 'ENV', 'STATUS', 'SCOPES', 'EXPIRES'],
              ...page.items.map((a) => [
                a.client_id,
                a.name,
                a.environment,
                a.status,
                a.grants.map((g) => g.scopes.join(' ')).join(' '),
                a.expires_at ?? 'never',
              ]),
            ],
            { keep: [0, 3] },
          ),
          ...(page.next_cursor === null
            ? []
            : [`more: tokenmint apps list --cursor ${page.next_cursor}`]),
        ].join('\n'),
      )
    })

  apps
    .command('show')
    .description('show an application: grants, secrets, usage and warnings (never the secret)')
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

  const update = apps
    .command('update')
    .description('change what is named and keep the rest (grants on other APIs stay)')
    .argument('<client-id>', 'client id of the application')
    .option('--name <name>', 'new name')
    .option('--description <text>', 'new description')
    .option('--environment <env>', 'new environment label')
  addGrantOptions(update, 'replaces its scopes on that API only')
  update
    .addOption(
      new Option(
        '--remove-api <audience>',
        'take away every scope on this API (repeatable); grants on other APIs stay',
      ).argParser(repeatable),
    )
    .option('--expires <when>', '"never", or an ISO 8601 date or date-time')
    .option('--token-ttl <seconds>', 'access token lifetime')
    .option('--jwks-uri <url>', 'a new URL where this private_key_jwt application publishes keys')
    .option('--dpop', 'require a DPoP proof with every token request (RFC 9449)')
    .option(
      '--no-dpop',
      'stop requiring DPoP proofs (tokens are then Bearer unless a proof is sent)',
    )
    .addOption(
      new Option('--claim <name=value>', 'set a static claim (repeatable); others stay').argParser(
        repeatable,
      ),
    )
    .addOption(
      new Option('--remove-claim <name>', 'drop a static claim (repeatable)').argParser(repeatable),
    )
    .option('--json', 'print JSON')
    .action(
      async (
        clientId: string,
        flags: Omit<CreateFlags, 'name'> & {
          name?: string
          removeApi?: string[]
          removeClaim?: string[]
        },
        command: Command,
      ) => {
        const { client, options } = adminClientFor(command)
        const path = client.tenantPath(`/applications/${encodeURIComponent(clientId)}`)
        const named = grantsFrom(flags)
        const removed = flags.removeApi ?? []
        // Read, merge, then PATCH with the read's ETag: a change made in between fails with 412.
        const { body: current, etag } = await client.requestWithEtag<ApplicationDetailView>(
          'GET',
          path,
        )
        const app = await client.request<UpdatedApplicationView>(
          'PATCH',
          path,
          {
            name: flags.name,
            description: flags.description,
            environment: flags.environment,
            ...(flags.expires !== undefined && { expires_at: flags.expires }),
            ...(flags.tokenTtl !== undefined && {
              token_lifetime_seconds: integer(flags.tokenTtl, '--token-ttl'),
            }),
            ...(flags.jwksUri !== undefined && { jwks_uri: flags.jwksUri }),
            ...(flags.dpop !== undefined && { dpop_bound_access_tokens: flags.dpop }),
            ...((named !== undefined || removed.length > 0) && {
              grants: mergeGrants(current.grants, named ?? [], removed),
            }),
            ...((flags.claim !== undefined || flags.removeClaim !== undefined) && {
              claims: mergeClaims(current.claims, claimsFrom(flags.claim), flags.removeClaim ?? []),
            }),
          },
          etag === undefined ? {} : { 'if-match': etag },
        )
        print(options.json, app, () => describe(app))
      },
    )

  apps
    .command('rotate-secret')
    .description('issue a new client secret; the old one works for the overlap')
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
    .description('end the previous secret now, after a rotation')
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
    .description('revoke an application: no new tokens, and its issued tokens stop working')
    .argument('<client-id>', 'client id of the application')
    .option('--yes', 'do not ask (it never asks without a terminal)')
    .option('--json', 'print JSON')
    .action(async (clientId: string, flags: { yes?: boolean }, command: Command) => {
      const { client, options } = adminClientFor(command)
      const path = client.tenantPath(`/applications/${encodeURIComponent(clientId)}`)
      await confirmFor(client, path, 'Revoke', 'Revoking cannot be undone.', flags.yes)
      const app = await client.request<ApplicationView>('POST', `${path}/revoke`)
      print(options.json, app, () =>
        [
          `Revoked ${app.name} (${app.client_id}): no new tokens, and its issued tokens are revoked.`,
          ...(app.warnings ?? []).map((w) => `warning: ${w}`),
        ].join('\n'),
      )
    })

  apps
    .command('delete')
    .description('delete an application; its audit history is kept')
    .argument('<client-id>', 'client id of the application')
    .option('--yes', 'do not ask (it never asks without a terminal)')
    .option('--json', 'print JSON')
    .action(async (clientId: string, flags: { yes?: boolean }, command: Command) => {
      const { client, options } = adminClientFor(command)
      const path = client.tenantPath(`/applications/${encodeURIComponent(clientId)}`)
      await confirmFor(
        client,
        path,
        'Delete',
        'Its client id and secrets stop working for good.',
        flags.yes,
      )
      await client.request<null>('DELETE', path)
      print(
        options.json,
        { deleted: clientId },
        () => `Deleted ${clientId}; its audit history is kept.`,
      )
    })
}

/** Reads the application to name it in the question; asks only at a terminal. */
async function confirmFor(
  client: ReturnType<typeof adminClientFor>['client'],
  path: string,
  verb: 'Revoke' | 'Delete',
  consequence: string,
  yes: boolean | undefined,
): Promise<void> {
  if (yes === true || !process.stdin.isTTY) return
  const app = await client.request<ApplicationDetailView>('GET', path)
  await confirmAtTerminal(
    `${verb} ${app.name} (${app.environment}, ${app.client_id})? ${consequence}`,
    app.name,
    { yes, refusal: `nothing was done: ${app.client_id} is unchanged` },
  )
}
