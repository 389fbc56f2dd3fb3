import { Option, type Command } from 'commander'

import { CliError, EXIT } from './cli-error.js'
import type { GlobalOptions } from './admin-client.js'

interface TokenFlags {
  tokenUrl?: string
  issuer?: string
  clientId?: string
  scope?: string
  scopes?: string
  audience?: string
  json?: boolean
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new CliError('no client secret: set TOKENMINT_CLIENT_SECRET or pipe the secret on stdin')
  }
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').trim()
}

export function registerToken(program: Command): void {
  program
    .command('token')
    .description(
      'mint an access token with client credentials and print it (for CI/CD); the secret comes from TOKENMINT_CLIENT_SECRET or stdin',
    )
    .option('--token-url <url>', 'token endpoint')
    .option('--issuer <url>', 'issuer; the token endpoint is discovered from its metadata')
    .option('--client-id <id>', 'client id (or TOKENMINT_CLIENT_ID)')
    .option('--scopes <scopes>', 'space-separated scopes (default: everything granted)')
    .addOption(new Option('--scope <scopes>', 'same as --scopes').hideHelp())
    .option('--audience <aud>', 'the API the token is for')
    .option('--json', 'print the whole token response')
    .action(async (flags: TokenFlags, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>()
      if (flags.scope !== undefined && flags.scopes !== undefined)
        throw new CliError('pass --scopes once (--scope is the same option)')
      const scope = flags.scopes ?? flags.scope
      if (globals.clientSecret !== undefined) {
        throw new CliError(
          'never pass a client secret as a flag: set TOKENMINT_CLIENT_SECRET or pipe it on stdin',
        )
      }
      const clientId = flags.clientId ?? globals.clientId ?? process.env['TOKENMINT_CLIENT_ID']
      if (clientId === undefined)
        throw new CliError('no client id: pass --client-id or set TOKENMINT_CLIENT_ID')
      const clientSecret = process.env['TOKENMINT_CLIENT_SECRET'] || (await readStdin())
      if (clientSecret === '') throw new CliError('the client secret is empty')
      const { createTokenSource, DiscoveryError, OAuthResponseError } =
        await import('@tokenmint/client')
      const source = createTokenSource({
        ...(flags.tokenUrl !== undefined
          ? { tokenUrl: flags.tokenUrl }
          : { issuer: requireIssuer(flags.issuer) }),
        clientId,
        clientSecret,
        ...(scope !== undefined && { scope }),
        ...(flags.audience !== undefined && { audience: flags.audience }),
      })
      try {
        const token = await source.getToken()
        process.stdout.write(
          globals.json === true
            ? JSON.stringify({
                access_token: token.accessToken,
                token_type: token.tokenType,
                expires_at: token.expiresAt.toISOString(),
                scope: token.scope ?? null,
              }) + '\n'
            : token.accessToken + '\n',
        )
      } catch (error) {
        if (error instanceof OAuthResponseError) {
          throw new CliError(
            `the server refused the request: ${error.error}${error.error_description ? `: ${error.error_description}` : ''}`,
            error.status >= 500 ? EXIT.unavailable : EXIT.refused,
          )
        }
        if (error instanceof DiscoveryError && flags.issuer !== undefined) {
          throw discoveryFailure(flags.issuer, error.message)
        }
        throw new CliError(
          `could not get a token: ${error instanceof Error ? error.message : String(error)}`,
          EXIT.unavailable,
        )
      }
    })
}

function requireIssuer(issuer: string | undefined): string {
  if (issuer === undefined) throw new CliError('pass --token-url or --issuer')
  return issuer
}

/**
 * No metadata at the issuer: a network failure is an outage (4), but a 404 means the issuer is
 * wrong (1), most often a Tokenmint base URL without the tenant's `/t/<tenant>`.
 */
function discoveryFailure(issuer: string, message: string): CliError {
  if (/: (unreachable|no answer within)/.test(message))
    return new CliError(`could not get a token: ${message}`, EXIT.unavailable)
  let url: URL | undefined
  try {
    url = new URL(issuer)
  } catch {
    return new CliError(`--issuer must be a URL, got "${issuer}"`)
  }
  const hasTenant = /^\/t\/[^/]+\/?$/.test(url.pathname)
  return new CliError(
    hasTenant
      ? `${issuer} publishes no OAuth metadata: check the tenant in --issuer (${message})`
      : `${issuer} is not an issuer: a Tokenmint issuer names the tenant, --issuer ${url.origin}/t/<tenant> (e.g. ${url.origin}/t/default), or pass --token-url`,
  )
}
