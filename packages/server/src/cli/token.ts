import { createPrivateKey, type JsonWebKey } from 'node:crypto'
import fs from 'node:fs'

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
  platformTokenFile?: string
  githubActionsAudience?: string
  privateKeyFile?: string
  kid?: string
}

type ClientModule = typeof import('@tokenmint/client')

/**
 * The client assertion the flags ask for, if any: a workload's platform token (a file, or
 * GitHub Actions' token service) or a private_key_jwt assertion signed with a key file.
 */
function assertionFrom(flags: TokenFlags, client: ClientModule) {
  const given = [flags.platformTokenFile, flags.githubActionsAudience, flags.privateKeyFile]
  if (given.filter((f) => f !== undefined).length > 1)
    throw new CliError(
      'give one of --platform-token-file, --github-actions-audience and --private-key-file',
    )
  if (flags.kid !== undefined && flags.privateKeyFile === undefined)
    throw new CliError('--kid names the key of --private-key-file')
  if (flags.platformTokenFile !== undefined) return client.tokenFile(flags.platformTokenFile)
  if (flags.githubActionsAudience !== undefined)
    return client.githubActionsToken({ audience: flags.githubActionsAudience })
  if (flags.privateKeyFile !== undefined)
    return client.privateKeyJwt({
      privateKey: readPrivateJwk(flags.privateKeyFile),
      ...(flags.kid !== undefined && { kid: flags.kid }),
    })
  return undefined
}

/** A private key from a PEM or JWK file, as a JWK (what WebCrypto imports everywhere). */
function readPrivateJwk(file: string): JsonWebKey {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  try {
    const jwk = text.includes('-----BEGIN')
      ? createPrivateKey(text).export({ format: 'jwk' })
      : (JSON.parse(text) as JsonWebKey)
    if (typeof jwk.d !== 'string') throw new Error('no private part')
    return jwk
  } catch {
    // Never the file's content: it is a private key.
    throw new CliError(`${file} is not a private key (PEM, or a JWK with "d")`)
  }
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
      'mint an access token with client credentials and print it (for CI/CD); the secret comes from TOKENMINT_CLIENT_SECRET or stdin, or none with a platform token or private key',
    )
    .option('--token-url <url>', 'token endpoint')
    .option('--issuer <url>', 'issuer; the token endpoint is discovered from its metadata')
    .option('--client-id <id>', 'client id (or TOKENMINT_CLIENT_ID)')
    .option('--scopes <scopes>', 'space-separated scopes (default: everything granted)')
    .addOption(new Option('--scope <scopes>', 'same as --scopes').hideHelp())
    .option('--audience <aud>', 'the API the token is for')
    .option('--json', 'print the whole token response')
    .option(
      '--platform-token-file <file>',
      "no secret: send the workload's platform token in this file (a Kubernetes projected token) as the client assertion",
    )
    .option(
      '--github-actions-audience <aud>',
      "no secret: send this GitHub Actions job's OIDC token, asked for with this audience (needs id-token: write)",
    )
    .option(
      '--private-key-file <file>',
      'no secret: sign a private_key_jwt assertion with this private key (PEM or JWK)',
    )
    .option('--kid <kid>', 'with --private-key-file: the registered key id')
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
      const client = await import('@tokenmint/client')
      const { createTokenSource, DiscoveryError, OAuthResponseError } = client
      const clientAssertion = assertionFrom(flags, client)
      const clientSecret =
        clientAssertion === undefined
          ? process.env['TOKENMINT_CLIENT_SECRET'] || (await readStdin())
          : undefined
      if (clientSecret === '') throw new CliError('the client secret is empty')
      const source = createTokenSource({
        ...(flags.tokenUrl !== undefined
          ? { tokenUrl: flags.tokenUrl }
          : { issuer: requireIssuer(flags.issuer) }),
        clientId,
        ...(clientSecret !== undefined && { clientSecret }),
        ...(clientAssertion !== undefined && { clientAssertion }),
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
        if (error instanceof client.ClientAssertionError) throw new CliError(error.message)
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
