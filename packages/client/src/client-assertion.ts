import type { webcrypto } from 'node:crypto'

import { ClientAssertionError } from './errors.js'
import { encodeJson, SIGNING, signCompact } from './jws.js'

// Types only (erased, and kept out of the published signatures so a project without Node's
// types can use them): the code uses the global WebCrypto of Node 20+, browsers and workers.
type CryptoKey = webcrypto.CryptoKey
type JsonWebKey = webcrypto.JsonWebKey

/** A private key as a JWK (with `d`): what `privateKeyJwt` signs with. */
export interface PrivateJwk {
  kty?: string
  d?: string
  crv?: string
  [member: string]: unknown
}

/** A WebCrypto private key (a `CryptoKey` of any runtime), described by what is read of it. */
export interface WebCryptoPrivateKey {
  readonly type: string
  readonly algorithm: { readonly name: string }
}

/**
 * Where the client assertion of each token request comes from (RFC 7521/7523): a fresh one per
 * attempt, since a signed assertion's `jti` is accepted once and a platform token rotates.
 *
 * @example
 * ```ts
 * createTokenSource({ tokenUrl, clientId, clientAssertion: tokenFile('/var/run/secrets/tokens/tokenmint') })
 * ```
 */
export type ClientAssertionSource = (context: ClientAssertionContext) => Promise<string>

export interface ClientAssertionContext {
  clientId: string
  /** The token endpoint the assertion is sent to (its `aud` for private_key_jwt). */
  tokenUrl: string
}

/** RFC 7523 §2.2: the only client assertion type. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/**
 * A workload's platform token read from a file on every request — the Kubernetes projected
 * service-account token, which the kubelet replaces before it expires. Node.js only.
 *
 * @example
 * ```ts
 * clientAssertion: tokenFile('/var/run/secrets/tokens/tokenmint')
 * ```
 */
export function tokenFile(path: string): ClientAssertionSource {
  return async () => {
    const { readFile } = await import('node:fs/promises')
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      throw new ClientAssertionError(
        `cannot read the platform token at ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      )
    }
    const token = text.trim()
    if (token === '') throw new ClientAssertionError(`${path} is empty`)
    return token
  }
}

/**
 * GitHub Actions' OIDC token for this job, asked for with `audience` (the job needs
 * `permissions: id-token: write`, which sets ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN). A new
 * one is fetched for every token request.
 *
 * @example
 * ```ts
 * clientAssertion: githubActionsToken({ audience: 'tokenmint' })
 * ```
 */
export function githubActionsToken(options: {
  audience: string
  /** Defaults to `process.env` (the variables GitHub sets). */
  env?: Record<string, string | undefined>
  fetch?: typeof fetch
}): ClientAssertionSource {
  return async () => {
    const env = options.env ?? process.env
    const url = env['ACTIONS_ID_TOKEN_REQUEST_URL']
    const bearer = env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']
    if (url === undefined || bearer === undefined)
      throw new ClientAssertionError(
        'ACTIONS_ID_TOKEN_REQUEST_URL is not set: give the job `permissions: id-token: write`',
      )
    const target = new URL(url)
    target.searchParams.set('audience', options.audience)
    const fetchFn = options.fetch ?? globalThis.fetch
    let response: Response
    try {
      response = await fetchFn(target, {
        headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' },
        signal: AbortSignal.timeout(10_000),
      })
    } catch {
      throw new ClientAssertionError(`cannot reach GitHub's token service at ${target.origin}`)
    }
    const body = (await response.json().catch(() => null)) as { value?: unknown } | null
    if (!response.ok || typeof body?.value !== 'string')
      throw new ClientAssertionError(
        `GitHub's token service answered ${response.status} without a token`,
      )
    return body.value
  }
}

/**
 * private_key_jwt (RFC 7523 §2.2): signs a fresh assertion for every token request — `iss` and
 * `sub` the client id, `aud` the token endpoint, a 60-second `exp` and a random `jti`.
 *
 * Written over WebCrypto rather than a JOSE library so the package keeps no dependencies:
 * signing one compact JWS with a known algorithm is a few lines; verification, the hard part,
 * is the server's.
 *
 * @example
 * ```ts
 * clientAssertion: privateKeyJwt({ privateKey: JSON.parse(process.env.PRIVATE_JWK!), kid: 'ci-2026' })
 * ```
 */
export function privateKeyJwt(options: {
  /** The private key: a JWK (with `d`) or a WebCrypto CryptoKey. */
  privateKey: PrivateJwk | WebCryptoPrivateKey
  /** The registered key's `kid`; omitted, the server tries every registered key. */
  kid?: string
  /** Default: ES256 for EC P-256 keys, ES384 for P-384, EdDSA for Ed25519, RS256 for RSA. */
  alg?: 'ES256' | 'ES384' | 'RS256' | 'PS256' | 'EdDSA'
  /** Seconds the assertion is valid for; default 60 (the server accepts at most 300). */
  lifetimeSeconds?: number
}): ClientAssertionSource {
  const alg = options.alg ?? defaultAlg(options.privateKey)
  const params = SIGNING[alg]
  if (params === undefined) throw new TypeError(`privateKeyJwt: unsupported alg ${alg}`)
  let key: Promise<CryptoKey> | undefined
  const given = options.privateKey
  const signingKey = () =>
    (key ??= isCryptoKey(given)
      ? Promise.resolve(given as unknown as CryptoKey)
      : crypto.subtle.importKey('jwk', given as JsonWebKey, params.import, false, ['sign']))
  return async ({ clientId, tokenUrl }) => {
    const now = Math.floor(Date.now() / 1000)
    const header = encodeJson({
      alg,
      typ: 'JWT',
      ...(options.kid !== undefined && { kid: options.kid }),
    })
    const payload = encodeJson({
      iss: clientId,
      sub: clientId,
      aud: tokenUrl,
      iat: now,
      exp: now + (options.lifetimeSeconds ?? 60),
      jti: crypto.randomUUID(),
    })
    return signCompact(params, header, payload, await signingKey())
  }
}

function isCryptoKey(key: PrivateJwk | WebCryptoPrivateKey): key is WebCryptoPrivateKey {
  return 'algorithm' in key && 'type' in key && !('kty' in key)
}

function defaultAlg(key: PrivateJwk | WebCryptoPrivateKey): 'ES256' | 'ES384' | 'RS256' | 'EdDSA' {
  if (isCryptoKey(key)) {
    const algorithm = key.algorithm as { name: string; namedCurve?: string }
    if (algorithm.name === 'ECDSA') return algorithm.namedCurve === 'P-384' ? 'ES384' : 'ES256'
    if (algorithm.name === 'Ed25519') return 'EdDSA'
    return 'RS256'
  }
  const jwk = key
  if (jwk.kty === 'EC') return jwk.crv === 'P-384' ? 'ES384' : 'ES256'
  if (jwk.kty === 'OKP') return 'EdDSA'
  return 'RS256'
}
