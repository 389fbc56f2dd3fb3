import {
  InvalidTokenResponseError,
  OAuthResponseError,
  TokenEndpointUnreachableError,
  TokenRequestTimeoutError,
  TokenSourceError,
} from './errors.js'

export interface RetryOptions {
  /** Attempts in all, the first included. Default 4. */
  maxAttempts?: number
  /** No retry starts after this long since the first attempt. Default 30 000 ms. */
  maxElapsedMs?: number
  /** First backoff step; each retry doubles it, with full jitter. Default 200 ms. */
  baseDelayMs?: number
  /** Largest backoff step (a Retry-After beyond `maxElapsedMs` ends the retries). Default 5 000 ms. */
  maxDelayMs?: number
}

export interface TokenResponse {
  accessToken: string
  tokenType: string
  expiresInSeconds: number
  scope: string | undefined
  refreshToken: string | undefined
}

export interface RequestSettings {
  tokenUrl: string
  authMethod: 'client_secret_basic' | 'client_secret_post'
  bodyEncoding: 'form' | 'json'
  clientId: string
  clientSecret: string | undefined
  timeoutMs: number
  retry: Required<RetryOptions>
  defaultExpiresInSeconds: number
  fetch: typeof fetch
  now: () => number
  sleep: (ms: number) => Promise<void>
  random: () => number
}

/** RFC 6749 §2.3.1 (Appendix B): form-encode id and secret before base64. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}

function basicAuthorization(clientId: string, clientSecret: string): string {
  // Form-encoding leaves only ASCII, which btoa accepts as is.
  return `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`
}

function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** `exp` of a JWT access token, when the server omitted `expires_in`. */
function jwtExpiresIn(token: string, now: number): number | undefined {
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as {
      exp?: unknown
    }
    return typeof json.exp === 'number' ? Math.floor(json.exp - now / 1000) : undefined
  } catch {
    return undefined
  }
}

function parseTokenResponse(body: unknown, settings: RequestSettings): TokenResponse {
  if (typeof body !== 'object' || body === null)
    throw new InvalidTokenResponseError('the token response is not a JSON object')
  const fields = body as Record<string, unknown>
  const accessToken = fields['access_token']
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new InvalidTokenResponseError('the token response has no access_token')
  }
  const rawType = typeof fields['token_type'] === 'string' ? fields['token_type'] : 'Bearer'
  const tokenType = rawType.toLowerCase() === 'bearer' ? 'Bearer' : rawType
  const rawExpires = fields['expires_in']
  const parsed =
    typeof rawExpires === 'number'
      ? rawExpires
      : typeof rawExpires === 'string'
        ? Number(rawExpires)
        : Number.NaN
  const expiresInSeconds =
    Number.isFinite(parsed) && parsed > 0
      ? parsed
      : (jwtExpiresIn(accessToken, settings.now()) ?? settings.defaultExpiresInSeconds)
  const scope = typeof fields['scope'] === 'string' ? fields['scope'] : undefined
  const refreshToken =
    typeof fields['refresh_token'] === 'string' ? fields['refresh_token'] : undefined
  return { accessToken, tokenType, expiresInSeconds, scope, refreshToken }
}

interface Attempt {
  response?: Response
  error?: TokenSourceError
}

async function attempt(
  settings: RequestSettings,
  parameters: Record<string, string>,
): Promise<Attempt> {
  const body: Record<string, string> = { ...parameters }
  const headers: Record<string, string> = { accept: 'application/json' }
  if (settings.clientSecret !== undefined && settings.authMethod === 'client_secret_basic') {
    headers['authorization'] = basicAuthorization(settings.clientId, settings.clientSecret)
  } else {
    body['client_id'] = settings.clientId
    if (settings.clientSecret !== undefined) body['client_secret'] = settings.clientSecret
  }
  headers['content-type'] =
    settings.bodyEncoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded'
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), settings.timeoutMs)
  try {
    const response = await settings.fetch(settings.tokenUrl, {
      method: 'POST',
      headers,
      body:
        settings.bodyEncoding === 'json'
          ? JSON.stringify(body)
          : new URLSearchParams(body).toString(),
      signal: controller.signal,
    })
    return { response }
  } catch (error) {
    if (controller.signal.aborted) {
      return {
        error: new TokenRequestTimeoutError(
          `no answer from ${new URL(settings.tokenUrl).origin} within ${settings.timeoutMs} ms`,
        ),
      }
    }
    // The platform's error may describe the request; keep only its code.
    const cause = (error as { cause?: { code?: unknown } }).cause
    const code = typeof cause?.code === 'string' ? cause.code : undefined
    return {
      error: new TokenEndpointUnreachableError(
        `cannot reach ${new URL(settings.tokenUrl).origin}${code === undefined ? '' : ` (${code})`}`,
        code,
      ),
    }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * One token request with retries: exponential backoff with full jitter on network errors,
 * timeouts, 5xx and 429 (honouring Retry-After), bounded in attempts and total time. 4xx
 * answers such as invalid_client or invalid_grant are never retried.
 */
export async function requestToken(
  settings: RequestSettings,
  parameters: Record<string, string>,
): Promise<TokenResponse> {
  const started = settings.now()
  for (let attemptNumber = 1; ; attemptNumber++) {
    const { response, error } = await attempt(settings, parameters)
    let failure: TokenSourceError
    let waitAtLeastMs = 0
    if (response !== undefined) {
      let body: unknown
      try {
        body = await response.json()
      } catch {
        body = undefined
      }
      if (response.ok) {
        if (body === undefined)
          throw new InvalidTokenResponseError('the token response is not JSON')
        return parseTokenResponse(body, settings)
      }
      const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<
        string,
        unknown
      >
      failure = new OAuthResponseError(
        typeof fields['error'] === 'string' ? fields['error'] : `http_${response.status}`,
        typeof fields['error_description'] === 'string' ? fields['error_description'] : undefined,
        response.status,
      )
      const retryable = response.status >= 500 || response.status === 429
      if (!retryable) throw failure
      waitAtLeastMs = retryAfterMs(response.headers.get('retry-after'), settings.now()) ?? 0
    } else {
      failure = error ?? new TokenSourceError('the token request failed')
    }
    const step = Math.min(
      settings.retry.maxDelayMs,
      settings.retry.baseDelayMs * 2 ** (attemptNumber - 1),
    )
    const delay = Math.max(waitAtLeastMs, Math.floor(settings.random() * step))
    const elapsed = settings.now() - started
    if (
      attemptNumber >= settings.retry.maxAttempts ||
      elapsed + delay > settings.retry.maxElapsedMs
    )
      throw failure
    await settings.sleep(delay)
  }
}
