import { discoverTokenEndpoint } from './discovery.js'
import { OAuthResponseError, TokenSourceError } from './errors.js'
import {
  requestToken,
  type RequestSettings,
  type RetryOptions,
  type TokenResponse,
} from './token-request.js'

export interface TokenSourceOptions {
  /** The token endpoint. Give this or `issuer`. */
  tokenUrl?: string
  /** The issuer; the token endpoint is discovered from its RFC 8414 / OpenID metadata. */
  issuer?: string
  clientId: string
  /** Omit for public clients (it is then sent as `client_id` only). */
  clientSecret?: string
  /** Space-separated scopes; omitted: whatever the server grants by default. */
  scope?: string
  /** The API the token is for (Auth0/Tokenmint style). */
  audience?: string
  /** RFC 8707 resource indicator. */
  resource?: string
  /** Default `client_secret_basic`. */
  authMethod?: 'client_secret_basic' | 'client_secret_post'
  /** Default `form` (RFC 6749); `json` for servers that take JSON bodies. */
  bodyEncoding?: 'form' | 'json'
  /** More parameters for every token request. */
  extraParams?: Record<string, string>
  /** Refresh this long before expiry; callers are not kept waiting meanwhile. Default 60. */
  refreshSkewSeconds?: number
  /** With `password`: the resource-owner password grant (RFC 6749 §4.3). */
  username?: string
  password?: string
  /** Per attempt. Default 10 000 ms. */
  timeoutMs?: number
  retry?: RetryOptions
  /** Lifetime assumed when the server sends no `expires_in` and the token is not a JWT. Default 300 s. */
  defaultExpiresInSeconds?: number
  /** For tests and custom agents. Default: the global `fetch`. */
  fetch?: typeof fetch
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number
}

/** An access token and when it expires. */
export interface AccessToken {
  accessToken: string
  tokenType: string
  expiresAt: Date
  scope: string | undefined
}

export interface TokenSource {
  /** The cached token while it has more than `refreshSkewSeconds` left; otherwise a fresh one. */
  getToken(): Promise<AccessToken>
  /** `fetch` with `Authorization: <type> <token>`; on a 401 it retries once with a fresh token. */
  authFetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
  /** Forget the cached token, e.g. after the API refused it. */
  invalidate(): void
}

interface Cached extends AccessToken {
  expiresAtMs: number
}

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

/**
 * A token source for any OAuth 2.0 server: caches the token, refreshes it ahead of expiry with
 * one request in flight however many callers wait, and retries with backoff on outages.
 *
 * @example
 * ```ts
 * const tokens = createTokenSource({
 *   tokenUrl: 'https://auth.example.com/t/acme/oauth/token',
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
  if (options.tokenUrl === undefined && options.issuer === undefined) {
    throw new TokenSourceError('createTokenSource needs tokenUrl or issuer')
  }
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw new TokenSourceError('the password grant needs both username and password')
  }
  // Credentials live only in this closure: never on an object that could be logged.
  const { clientSecret, password } = options
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis)
  const now = options.now ?? Date.now
  const skewMs = (options.refreshSkewSeconds ?? 60) * 1000
  const timeoutMs = options.timeoutMs ?? 10_000
  let tokenUrl: Promise<string> | undefined =
    options.tokenUrl === undefined ? undefined : Promise.resolve(options.tokenUrl)
  let cached: Cached | undefined
  let inFlight: Promise<Cached> | undefined
  let refreshToken: string | undefined

  const settings = async (): Promise<RequestSettings> => {
    tokenUrl ??= discoverTokenEndpoint(options.issuer ?? '', fetchFn, timeoutMs).catch(
      (error: unknown) => {
        tokenUrl = undefined
        throw error
      },
    )
    return {
      tokenUrl: await tokenUrl,
      authMethod: options.authMethod ?? 'client_secret_basic',
      bodyEncoding: options.bodyEncoding ?? 'form',
      clientId: options.clientId,
      clientSecret,
      timeoutMs,
      retry: {
        maxAttempts: options.retry?.maxAttempts ?? 4,
        maxElapsedMs: options.retry?.maxElapsedMs ?? 30_000,
        baseDelayMs: options.retry?.baseDelayMs ?? 200,
        maxDelayMs: options.retry?.maxDelayMs ?? 5_000,
      },
      defaultExpiresInSeconds: options.defaultExpiresInSeconds ?? 300,
      fetch: fetchFn,
      now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
    }
  }

  const parameters = (grant: Record<string, string>): Record<string, string> => ({
    ...options.extraParams,
    ...grant,
    ...(options.scope !== undefined && { scope: options.scope }),
    ...(options.audience !== undefined && { audience: options.audience }),
    ...(options.resource !== undefined && { resource: options.resource }),
  })

  async function fetchToken(): Promise<Cached> {
    const s = await settings()
    let response: TokenResponse
    if (password !== undefined && options.username !== undefined) {
      response = await (refreshToken !== undefined
        ? requestToken(
            s,
            parameters({ grant_type: 'refresh_token', refresh_token: refreshToken }),
          ).catch((error: unknown) => {
            // A refused refresh token (expired, rotated elsewhere): sign in again.
            if (error instanceof OAuthResponseError && error.error === 'invalid_grant') {
              refreshToken = undefined
              return requestToken(
                s,
                parameters({ grant_type: 'password', username: options.username ?? '', password }),
              )
            }
            throw error
          })
        : requestToken(
            s,
            parameters({ grant_type: 'password', username: options.username, password }),
          ))
      if (response.refreshToken !== undefined) refreshToken = response.refreshToken
    } else {
      response = await requestToken(s, parameters({ grant_type: 'client_credentials' }))
    }
    const expiresAtMs = now() + response.expiresInSeconds * 1000
    return {
      accessToken: response.accessToken,
      tokenType: response.tokenType,
      expiresAt: new Date(expiresAtMs),
      expiresAtMs,
      scope: response.scope,
    }
  }

  /** One request in flight, shared by every caller (like jose's remote JWKS). */
  function refresh(): Promise<Cached> {
    inFlight ??= fetchToken()
      .then((token) => {
        cached = token
        return token
      })
      .finally(() => {
        inFlight = undefined
      })
    return inFlight
  }

  const publicView = (token: Cached): AccessToken => ({
    accessToken: token.accessToken,
    tokenType: token.tokenType,
    expiresAt: token.expiresAt,
    scope: token.scope,
  })

  async function getToken(): Promise<AccessToken> {
    const current = cached
    const at = now()
    if (current !== undefined && at < current.expiresAtMs - skewMs) return publicView(current)
    if (current !== undefined && at < current.expiresAtMs) {
      // Refresh ahead: the old token is still valid, so nobody waits for the new one.
      refresh().catch(() => undefined)
      return publicView(current)
    }
    return publicView(await refresh())
  }

  return {
    getToken,
    invalidate() {
      cached = undefined
    },
    async authFetch(input, init = {}) {
      const send = async () => {
        const token = await getToken()
        const headers = new Headers(input instanceof Request ? input.headers : undefined)
        new Headers(init.headers).forEach((value, key) => {
          headers.set(key, value)
        })
        headers.set('authorization', `${token.tokenType} ${token.accessToken}`)
        return fetchFn(input instanceof Request ? input.clone() : input, { ...init, headers })
      }
      const response = await send()
      // A 401 may mean the token was revoked or rotated: one retry with a fresh one. A request
      // whose body is a stream cannot be sent twice, so it is returned as is.
      if (response.status !== 401 || !isReplayable(init.body)) return response
      cached = undefined
      return send()
    },
  }
}
