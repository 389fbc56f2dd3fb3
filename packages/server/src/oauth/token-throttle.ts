import type { Application } from '../domain/model.js'
import type { RateLimiter } from '../storage/contract.js'
import { QUOTA_REFUSAL_PREFIX } from '../domain/token-policy.js'
import { OAuthError } from './errors.js'

const MINUTE_MS = 60_000

export interface TokenLimits {
  /** Token requests per application per minute, unless the application sets its own. */
  tokensPerMinute: number
  /** Failed client authentications per source IP per minute (a fifth per client id and IP). */
  failedAuthPerMinute: number
}

function limited(description: string, retryAfterMs: number): OAuthError {
  return new OAuthError('rate_limited', description, {
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  })
}

/** The token endpoint's two limits: failed client authentications, and each application's quota. */
export class TokenThrottle {
  constructor(
    private readonly limiter: Pick<RateLimiter, 'consume'>,
    private readonly limits: TokenLimits,
  ) {}

  /**
   * Counts a failed client authentication per IP, and per client id from that IP, after the
   * secret was checked: only failures are throttled, so one broken client behind a shared
   * address (NAT, CI runners) does not lock out the others, and a correct secret is served
   * from a throttled address too. 256-bit secrets cannot be guessed online; the limit curbs
   * noise and enumeration. Each count is atomic, so of failures sent at once only the limit's
   * worth get a verdict (and an audit record); the rest get 429, alike for unknown ids and
   * wrong secrets. Resolves to that 429, or undefined while under the limit.
   */
  async countFailure(ip: string, clientId: string): Promise<OAuthError | undefined> {
    const perClient = Math.max(1, Math.floor(this.limits.failedAuthPerMinute / 5))
    const waits = await Promise.all([
      this.limiter.consume(`authfail:${ip}`, this.limits.failedAuthPerMinute, MINUTE_MS),
      this.limiter.consume(`authfail:${ip}:${clientId}`, perClient, MINUTE_MS),
    ])
    const waitMs = Math.max(...waits)
    if (waitMs === 0) return undefined
    return limited(
      'too many failed client authentications from this address; try again later',
      waitMs,
    )
  }

  /**
   * Counts one token request against the application's quota; throws 429 over it, saying which
   * limit, what was measured and what to do (the same text is audited and shown in the console).
   */
  async consumeQuota(application: Application): Promise<void> {
    const own = application.tokenRateLimitPerMinute
    const quota = own ?? this.limits.tokensPerMinute
    const waitMs = await this.limiter.consume(`tokens:${application.clientId}`, quota, MINUTE_MS)
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000))
      throw limited(
        `${QUOTA_REFUSAL_PREFIX} more than ${String(quota)} token requests in the last minute, against ${own === null ? "the server's default quota" : "this application's quota"} of ${String(quota)} per minute; the next is allowed in ${String(seconds)} s. A token is valid until it expires: cache it and reuse it (the @tokenmint/client SDK does) instead of requesting one per call`,
        waitMs,
      )
    }
  }
}
