import {
  InvalidTokenResponseError,
  OAuthResponseError,
  TokenEndpointUnreachableError,
  TokenRequestTimeoutError,
} from './errors.js'
import { exchange } from './exchange.js'
import { CLIENT_ASSERTION_TYPE, type ClientAssertionSource } from './client-assertion.js'
import type { DpopSigner } from './dpop.js'
import {
  retryAfterMs,
  withRetries,
  type AttemptOutcome,
  type RetryPolicy,
  type RetryRuntime,
} from './retry.js'

/** A successful token response (RFC 6749 §5.1), normalised. */
export interface TokenResponse {
  accessToken: string
  tokenType: string
  expiresInSeconds: number
  scope: string | undefined
  refreshToken: string | undefined
}

export interface TokenRequestSettings {
  tokenUrl: string
  authMethod: 'client_secret_basic' | 'client_secret_post'
  bodyEncoding: 'form' | 'json'
  clientId: string
  clientSecret: string | undefined
  /** private_key_jwt or a platform token: asked for a fresh assertion on every attempt. */
  clientAssertion: ClientAssertionSource | undefined
  /** With DPoP: signs a proof for every attempt (RFC 9449 §5). */
  dpop: DpopSigner | undefined
  timeoutMs: number
  retry: RetryPolicy
  runtime: RetryRuntime
  defaultExpiresInSeconds: number
  fetch: typeof fetch
  /** The token source's clock, in milliseconds since the epoch. */
  now: () => number
  /** Removes every known secret from text the server wrote. */
  redact: (text: string) => string
}

/** RFC 6749 §2.3.1 and Appendix B: form-encode id and secret before base64. */
export function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}

/** The `Authorization` value of `client_secret_basic` (RFC 6749 §2.3.1). */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  // Form-encoding leaves only ASCII, which btoa accepts as is.
  return `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`
}

/** Replaces each secret (and its encodings) in a text with `[redacted]`. */
export function redactor(secrets: () => (string | undefined)[]): (text: string) => string {
  return (text) => {
    let result = text
    for (const secret of secrets()) {
      if (secret === undefined || secret === '') continue
      for (const form of new Set([secret, formEncode(secret), encodeURIComponent(secret)])) {
        result = result.split(form).join('[redacted]')
      }
    }
    return result
  }
}

/** RFC 6749 Appendix A.12 and A.17: tokens are 1*VSCHAR, which also keeps them header-safe. */
const VSCHARS = /^[\x20-\x7e]+$/

/** `exp` of a JWT access token, for servers that omit `expires_in`; read, not verified. */
function jwtExpiresInSeconds(token: string, nowMs: number): number | undefined {
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as unknown
    const exp = (claims as { exp?: unknown } | null)?.exp
    return typeof exp === 'number' && Number.isFinite(exp)
      ? Math.max(0, Math.floor(exp - nowMs / 1000))
      : undefined
  } catch {
    return undefined
  }
}

/**
 * RFC 6749 §5.1, tolerant of what servers do: `expires_in` as a string or missing (then the
 * JWT's `exp`, else the default), `token_type` in any case or missing, `scope` omitted, extra
 * members ignored.
 */
export function parseTokenResponse(
  body: unknown,
  nowMs: number,
  defaultExpiresInSeconds: number,
): TokenResponse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidTokenResponseError('the token response is not a JSON object')
  }
  const fields = body as Record<string, unknown>
  const accessToken = fields['access_token']
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new InvalidTokenResponseError('the token response has no access_token')
  }
  if (!VSCHARS.test(accessToken)) {
    throw new InvalidTokenResponseError(
      'the access_token has characters RFC 6749 does not allow (Appendix A.12)',
    )
  }
  const rawType = fields['token_type']
  const tokenType =
    typeof rawType !== 'string' || rawType === '' || rawType.toLowerCase() === 'bearer'
      ? 'Bearer'
      : rawType
  const rawExpires = fields['expires_in']
  const expiresIn =
    typeof rawExpires === 'number' || (typeof rawExpires === 'string' && rawExpires.trim() !== '')
      ? Number(rawExpires)
      : Number.NaN
  const expiresInSeconds =
    Number.isFinite(expiresIn) && expiresIn > 0
      ? expiresIn
      : (jwtExpiresInSeconds(accessToken, nowMs) ?? defaultExpiresInSeconds)
  const scope = typeof fields['scope'] === 'string' ? fields['scope'] : undefined
  const rawRefresh = fields['refresh_token']
  const refreshToken =
    typeof rawRefresh === 'string' && VSCHARS.test(rawRefresh) ? rawRefresh : undefined
  return { accessToken, tokenType, expiresInSeconds, scope, refreshToken }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** RFC 6749 §5.2, or `http_<status>` for a non-2xx without an OAuth error body. */
function oauthError(status: number, text: string, redact: (text: string) => string) {
  const body = parseJson(text)
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const error = typeof fields['error'] === 'string' ? fields['error'] : `http_${status}`
  const description = fields['error_description']
  return new OAuthResponseError(
    redact(error.slice(0, 100)),
    typeof description === 'string' ? redact(description.slice(0, 500)) : undefined,
    status,
  )
}

function requestInit(
  settings: TokenRequestSettings,
  parameters: Record<string, string>,
  assertion: string | undefined,
): RequestInit {
  const body: Record<string, string> = { ...parameters }
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type':
      settings.bodyEncoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
  }
  if (assertion !== undefined) {
    // RFC 7521 §4.2: the assertion authenticates; client_id names the client (federation needs it).
    body['client_id'] = settings.clientId
    body['client_assertion_type'] = CLIENT_ASSERTION_TYPE
    body['client_assertion'] = assertion
  } else if (settings.clientSecret !== undefined && settings.authMethod === 'client_secret_basic') {
    headers['authorization'] = basicAuthorization(settings.clientId, settings.clientSecret)
  } else {
    // client_secret_post, or a public client (RFC 6749 §2.3.1, §3.2.1): credentials in the body.
    body['client_id'] = settings.clientId
    if (settings.clientSecret !== undefined) body['client_secret'] = settings.clientSecret
  }
  return {
    method: 'POST',
    headers,
    body:
      settings.bodyEncoding === 'json'
        ? JSON.stringify(body)
        : new URLSearchParams(body).toString(),
  }
}

async function attempt(
  settings: TokenRequestSettings,
  parameters: Record<string, string>,
  timeoutMs: number,
): Promise<AttemptOutcome<TokenResponse>> {
  const origin = new URL(settings.tokenUrl).origin
  const send = async () => {
    const assertion = await settings.clientAssertion?.({
      clientId: settings.clientId,
      tokenUrl: settings.tokenUrl,
    })
    const init = requestInit(settings, parameters, assertion)
    if (settings.dpop !== undefined)
      (init.headers as Record<string, string>)['dpop'] = await settings.dpop.proof(
        'POST',
        settings.tokenUrl,
      )
    return exchange(settings.fetch, settings.tokenUrl, init, timeoutMs)
  }
  let result = await send()
  if (settings.dpop !== undefined && result.kind === 'response') {
    settings.dpop.rememberNonce(settings.tokenUrl, result.headers.get('dpop-nonce'))
    // RFC 9449 §8: a server that wants a nonce says so once; the request is sent again with it.
    if (result.status === 400 && /"use_dpop_nonce"/.test(result.text)) result = await send()
  }
  switch (result.kind) {
    case 'timeout':
      return {
        ok: false,
        isRetryable: true,
        error: new TokenRequestTimeoutError(`no answer from ${origin} within ${timeoutMs} ms`),
      }
    case 'network':
      return {
        ok: false,
        isRetryable: true,
        error: new TokenEndpointUnreachableError(
          `cannot reach ${origin}${result.networkCode === undefined ? '' : ` (${result.networkCode})`}`,
          result.networkCode,
        ),
      }
    case 'response': {
      if (result.status >= 200 && result.status < 300) {
        const body = parseJson(result.text)
        if (body === undefined) {
          throw new InvalidTokenResponseError(
            `the token response from ${origin} is not JSON (status ${result.status})`,
          )
        }
        return {
          ok: true,
          value: parseTokenResponse(body, settings.now(), settings.defaultExpiresInSeconds),
        }
      }
      const isRetryable = result.status >= 500 || result.status === 429
      const retryAfter = isRetryable ? retryAfterFrom(result.headers.get('retry-after')) : undefined
      return {
        ok: false,
        isRetryable,
        error: oauthError(result.status, result.text, settings.redact),
        ...(retryAfter !== undefined && { retryAfterMs: retryAfter }),
      }
    }
  }
}

function retryAfterFrom(header: string | null): number | undefined {
  // An HTTP-date is wall-clock time, so the real clock, not the source's injectable one.
  return retryAfterMs(header, Date.now())
}

/**
 * One token request (RFC 6749 §4.4, §4.3 or §6) with retries: exponential backoff with full
 * jitter on network errors, timeouts, 5xx and 429 (honouring `Retry-After`), bounded in
 * attempts and total time. Other answers, such as `invalid_client` or `invalid_grant`, are
 * thrown at once.
 */
export function requestToken(
  settings: TokenRequestSettings,
  parameters: Record<string, string>,
): Promise<TokenResponse> {
  return withRetries(settings.retry, settings.timeoutMs, settings.runtime, (timeoutMs) =>
    attempt(settings, parameters, timeoutMs),
  )
}
