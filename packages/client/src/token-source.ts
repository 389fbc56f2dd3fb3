import type { ClientAssertionSource } from './client-assertion.js'
import { dpopSigner, type DpopKeyPair } from './dpop.js'
import { discoverTokenEndpoint } from './discovery.js'
import { OAuthResponseError } from './errors.js'
import { defaultRetryPolicy, realRuntime, type RetryOptions, type RetryPolicy } from './retry.js'
import {
  basicAuthorization,
  redactor,
  requestToken,
  type TokenRequestSettings,
  type TokenResponse,
} from './token-request.js'

/**
 * How a token source gets its tokens. Give `tokenUrl` or `issuer`, and `clientId`; add
 * `username` and `password` for the resource-owner password grant, otherwise client credentials
 * are used.
 *
 * @example
 * ```ts
 * const options: TokenSourceOptions = {
 *   issuer: 'https://auth.example.com/t/acme',
 *   clientId: process.env.CLIENT_ID!,
 *   clientSecret: process.env.CLIENT_SECRET!,
 *   audience: 'https://api.example.com',
 *   scope: 'read:assigned-policies',
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export interface TokenSourceOptions {
  /** The token endpoint. Give this or `issuer`. */
  tokenUrl?: string
  /** The issuer; its token endpoint is discovered from its RFC 8414 (or OpenID) metadata. */
  issuer?: string
  /** The client (application) id. */
  clientId: string
  /** The client secret. Omit it for a public client: `client_id` is then sent in the body. */
  clientSecret?: string
  /**
   * Instead of a secret: where each request's client assertion comes from — a workload's
   * platform token ({@link tokenFile}, {@link githubActionsToken}) or a signed private_key_jwt
   * assertion ({@link privateKeyJwt}).
   */
  clientAssertion?: ClientAssertionSource
  /**
   * RFC 9449: bind tokens to a key this source holds. `true` makes an ES256 key pair (its
   * private key not extractable) for the source's life; or give your own. `authFetch` then
   * sends `Authorization: DPoP` with a fresh proof per request. A server without DPoP issues
   * Bearer tokens as before.
   */
  dpop?: boolean | DpopKeyPair
  /** Space-delimited scopes to ask for; omitted, the server decides (Tokenmint: all granted). */
  scope?: string
  /** The API the token is for (Tokenmint, Auth0 and others take `audience`). */
  audience?: string
  /** The API the token is for, as an RFC 8707 resource indicator. */
  resource?: string
  /** How the client authenticates (RFC 6749 §2.3.1). Default `client_secret_basic`. */
  authMethod?: 'client_secret_basic' | 'client_secret_post'
  /** The request body: `form` (RFC 6749) or `json`, for servers that take it. Default `form`. */
  bodyEncoding?: 'form' | 'json'
  /** More body parameters for every token request; they cannot replace the grant's own. */
  extraParams?: Record<string, string>
  /** Refresh this long before expiry, without making callers wait. Default 60. */
  refreshSkewSeconds?: number
  /** With `password`: the resource-owner password grant (RFC 6749 §4.3). */
  username?: string
  /** With `username`: the resource-owner password grant (RFC 6749 §4.3). */
  password?: string
  /** How long one attempt may take, reading the whole answer included. Default 10 000 ms. */
  timeoutMs?: number
  /** Retry bounds; see {@link RetryOptions}. */
  retry?: RetryOptions
  /** The lifetime assumed when the answer has no `expires_in` and the token is no JWT. Default 300 s. */
  defaultExpiresInSeconds?: number
  /** The `fetch` to use, for custom agents, proxies or tests. Default: the global `fetch`. */
  fetch?: typeof fetch
  /** The clock that token lifetimes are measured with, in ms since the epoch. Default `Date.now`. */
  now?: () => number
}

/**
 * An access token and when it expires.
 *
 * @example
 * ```ts
 * const { accessToken, tokenType, expiresAt, scope } = await tokens.getToken()
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface AccessToken {
  accessToken: string
  /** `Bearer` (normalised from any case), or the server's own type. */
  tokenType: string
  expiresAt: Date
  /** The granted scopes, when the server said. */
  scope?: string
}

/**
 * Tokens on demand, cached and refreshed ahead of expiry. Holds no secret where it can be seen:
 * `util.inspect(source)` and `JSON.stringify(source)` show only its methods.
 *
 * @example
 * ```ts
 * const tokens: TokenSource = createTokenSource({ tokenUrl, clientId, clientSecret })
 * const response = await tokens.authFetch('https://api.example.com/v1/things')
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export interface TokenSource {
  /**
   * The cached token while more than `refreshSkewSeconds` of its life remain. Past that point,
   * one refresh starts in the background and the still-valid token is returned at once; when
   * there is no valid token, callers wait for the one request in flight.
   */
  getToken(): Promise<AccessToken>
  /**
   * `fetch` with `Authorization: Bearer <token>`. On a 401 it drops the token and sends the
   * request once more with a fresh one, if the body can be sent twice (not a stream).
   */
  authFetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
  /** Forgets the cached token, e.g. after an API refused it; the next `getToken()` fetches one. */
  invalidate(): void
}

const defaults = {
  authMethod: 'client_secret_basic',
  bodyEncoding: 'form',
  refreshSkewSeconds: 60,
  timeoutMs: 10_000,
  defaultExpiresInSeconds: 300,
} as const

/** After a refresh ahead of expiry failed, the next waits this long; the old token still serves. */
const BACKGROUND_COOLDOWN_MS = 5_000

interface Cached {
  token: AccessToken
  expiresAtMs: number
  /** `expiresAtMs` less the skew, or less half the lifetime for tokens shorter than twice it. */
  refreshAtMs: number
}

/** Bodies `fetch` can send twice; streams and async iterables cannot. */
function isReplayable(body: RequestInit['body']): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof FormData
  )
}

function validUrl(value: string, name: string): string {
  try {
    new URL(value)
  } catch {
    throw new TypeError(`createTokenSource: ${name} is not an absolute URL`)
  }
  return value
}

function retryPolicy(retry: RetryOptions | undefined): RetryPolicy {
  const policy = { ...defaultRetryPolicy, ...retry }
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new TypeError('createTokenSource: retry.maxAttempts must be an integer of at least 1')
  }
  for (const key of ['maxElapsedMs', 'baseDelayMs', 'maxDelayMs'] as const) {
    if (!(policy[key] >= 0)) throw new TypeError(`createTokenSource: retry.${key} must be ≥ 0`)
  }
  return policy
}

/**
 * Creates a token source for any OAuth 2.0 server: it caches the token, refreshes it ahead of
 * expiry with one request in flight however many callers wait (the shape of jose's remote JWKS),
 * and retries network errors, timeouts, 5xx and 429 with bounded exponential backoff. Options
 * are checked here and throw a `TypeError`; request failures reject `getToken()` with a
 * {@link TokenSourceError}.
 *
 * @example
 * ```ts
 * import { createTokenSource } from '@tokenmint/client'
 *
 * const tokens = createTokenSource({
 *   issuer: 'https://auth.example.com/t/acme',
 *   clientId: process.env.CLIENT_ID!,
 *   clientSecret: process.env.CLIENT_SECRET!,
 *   audience: 'https://api.example.com',
 *   scope: 'read:assigned-policies',
 * })
 * const response = await tokens.authFetch('https://api.example.com/v1/assigned-policies')
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export function createTokenSource(options: TokenSourceOptions): TokenSource {
  if ((options.tokenUrl === undefined) === (options.issuer === undefined)) {
    throw new TypeError('createTokenSource: give either tokenUrl or issuer')
  }
  if (typeof options.clientId !== 'string' || options.clientId === '') {
    throw new TypeError('createTokenSource: clientId is required')
  }
  if (options.clientSecret !== undefined && options.clientAssertion !== undefined) {
    throw new TypeError('createTokenSource: give clientSecret or clientAssertion, not both')
  }
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw new TypeError('createTokenSource: the password grant needs both username and password')
  }
  const skewSeconds = options.refreshSkewSeconds ?? defaults.refreshSkewSeconds
  const timeoutMs = options.timeoutMs ?? defaults.timeoutMs
  if (!(skewSeconds >= 0)) throw new TypeError('createTokenSource: refreshSkewSeconds must be ≥ 0')
  if (!(timeoutMs > 0)) throw new TypeError('createTokenSource: timeoutMs must be > 0')
  const retry = retryPolicy(options.retry)
  const issuer = options.issuer === undefined ? undefined : validUrl(options.issuer, 'issuer')
  const fixedTokenUrl =
    options.tokenUrl === undefined ? undefined : validUrl(options.tokenUrl, 'tokenUrl')

  // Secrets live only in this closure, never on an object that could be logged or serialised.
  const { clientId, clientSecret, username, password } = options
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const dpop =
    options.dpop === undefined || options.dpop === false
      ? undefined
      : dpopSigner(options.dpop === true ? undefined : options.dpop)
  const now = options.now ?? Date.now
  const skewMs = skewSeconds * 1000

  let tokenUrl: Promise<string> | undefined =
    fixedTokenUrl === undefined ? undefined : Promise.resolve(fixedTokenUrl)
  let cached: Cached | undefined
  let inFlight: Promise<Cached> | undefined
  let refreshToken: string | undefined
  let backgroundBlockedUntilMs = 0

  const redact = redactor(() => [
    clientSecret,
    clientSecret === undefined ? undefined : basicAuthorization(clientId, clientSecret).slice(6),
    password,
    refreshToken,
    cached?.token.accessToken,
  ])

  function discoveredTokenUrl(): Promise<string> {
    tokenUrl ??= discoverTokenEndpoint(issuer ?? '', {
      fetch: fetchFn,
      timeoutMs,
      retry,
      runtime: realRuntime,
    }).catch((error: unknown) => {
      tokenUrl = undefined // try again on the next request
      throw error
    })
    return tokenUrl
  }

  async function settings(): Promise<TokenRequestSettings> {
    return {
      tokenUrl: await discoveredTokenUrl(),
      authMethod: options.authMethod ?? defaults.authMethod,
      bodyEncoding: options.bodyEncoding ?? defaults.bodyEncoding,
      clientId,
      clientSecret,
      clientAssertion: options.clientAssertion,
      dpop,
      timeoutMs,
      retry,
      runtime: realRuntime,
      defaultExpiresInSeconds: options.defaultExpiresInSeconds ?? defaults.defaultExpiresInSeconds,
      fetch: fetchFn,
      now,
      redact,
    }
  }

  const parameters = (grant: Record<string, string>): Record<string, string> => ({
    ...options.extraParams,
    ...grant,
    ...(options.scope !== undefined && { scope: options.scope }),
    ...(options.audience !== undefined && { audience: options.audience }),
    ...(options.resource !== undefined && { resource: options.resource }),
  })

  /** RFC 6749 §4.3 then §6: the refresh token while it works, the password when it is refused. */
  async function passwordGrant(
    s: TokenRequestSettings,
    user: string,
    secret: string,
  ): Promise<TokenResponse> {
    let response: TokenResponse | undefined
    const current = refreshToken
    if (current !== undefined) {
      try {
        response = await requestToken(
          s,
          parameters({ grant_type: 'refresh_token', refresh_token: current }),
        )
      } catch (error) {
        // Expired, revoked or rotated away (RFC 6749 §10.4): sign in again with the password.
        if (!(error instanceof OAuthResponseError && error.error === 'invalid_grant')) throw error
        refreshToken = undefined
      }
    }
    response ??= await requestToken(
      s,
      parameters({ grant_type: 'password', username: user, password: secret }),
    )
    // A rotating server sends a new refresh token each time; a non-rotating one may send none.
    if (response.refreshToken !== undefined) refreshToken = response.refreshToken
    return response
  }

  async function fetchToken(): Promise<Cached> {
    const s = await settings()
    const response =
      username !== undefined && password !== undefined
        ? await passwordGrant(s, username, password)
        : await requestToken(s, parameters({ grant_type: 'client_credentials' }))
    const lifetimeMs = response.expiresInSeconds * 1000
    const expiresAtMs = now() + lifetimeMs
    return {
      token: {
        accessToken: response.accessToken,
        tokenType: response.tokenType,
        expiresAt: new Date(expiresAtMs),
        ...(response.scope !== undefined && { scope: response.scope }),
      },
      expiresAtMs,
      refreshAtMs: expiresAtMs - Math.min(skewMs, lifetimeMs / 2),
    }
  }

  /** One request in flight, whoever asks (jose `src/jwks/remote.ts`: one pending promise). */
  function refresh(): Promise<Cached> {
    inFlight ??= fetchToken()
      .then((fresh) => {
        cached = fresh
        return fresh
      })
      .finally(() => {
        inFlight = undefined
      })
    return inFlight
  }

  /** A copy, so that a caller changing it cannot change what others get. */
  const copy = ({ token }: Cached): AccessToken => ({
    ...token,
    expiresAt: new Date(token.expiresAt.getTime()),
  })

  async function getToken(): Promise<AccessToken> {
    const at = now()
    const current = cached
    if (current !== undefined && at < current.refreshAtMs) return copy(current)
    if (current !== undefined && at < current.expiresAtMs) {
      // Refresh ahead: the old token is still valid, so nobody waits for the new one. A failure
      // is not thrown here; it holds further tries off for a while, and surfaces to the callers
      // who wait once the old token has expired.
      if (inFlight === undefined && at >= backgroundBlockedUntilMs) {
        refresh().catch(() => {
          backgroundBlockedUntilMs = now() + BACKGROUND_COOLDOWN_MS
        })
      }
      return copy(current)
    }
    return copy(await refresh())
  }

  async function authFetch(input: string | URL | Request, init: RequestInit = {}) {
    const send = async (token: AccessToken) => {
      const headers = new Headers(input instanceof Request ? input.headers : undefined)
      new Headers(init.headers).forEach((value, key) => {
        headers.set(key, value)
      })
      headers.set('authorization', `${token.tokenType} ${token.accessToken}`)
      if (dpop !== undefined && token.tokenType.toLowerCase() === 'dpop') {
        const url = input instanceof Request ? input.url : String(input)
        const method = init.method ?? (input instanceof Request ? input.method : 'GET')
        headers.set('dpop', await dpop.proof(method, url, token.accessToken))
      }
      // A Request is cloned so that its body is still there for a second send.
      return fetchFn(input instanceof Request ? input.clone() : input, { ...init, headers })
    }
    const token = await getToken()
    let response = await send(token)
    if (dpop !== undefined && response.status === 401) {
      const url = input instanceof Request ? input.url : String(input)
      const nonce = response.headers.get('dpop-nonce')
      // RFC 9449 §9: a resource server asking for a nonce gets the request once more with it.
      if (nonce !== null && /use_dpop_nonce/.test(response.headers.get('www-authenticate') ?? '')) {
        dpop.rememberNonce(url, nonce)
        if (isReplayable(init.body)) {
          await response.body?.cancel().catch(() => undefined)
          response = await send(token)
        }
      }
    }
    if (response.status !== 401) return response
    // The API refused the token (revoked, rotated keys…). Drop it, unless another caller has
    // already replaced it, so that a burst of 401s causes one new token, not one each.
    if (cached?.token.accessToken === token.accessToken) cached = undefined
    // A stream cannot be sent twice: that caller gets the 401 and the next call a fresh token.
    if (!isReplayable(init.body)) return response
    await response.body?.cancel().catch(() => undefined)
    return send(await getToken())
  }

  return Object.freeze({
    getToken,
    authFetch,
    invalidate() {
      cached = undefined
    },
  })
}
