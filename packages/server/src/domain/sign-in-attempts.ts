// Online password guessing (RFC 6819 §4.4.3.6, OWASP ASVS V2.2.1). An attempt is reserved in
// the shared limiter *before* the password is checked, and the reservation is one atomic
// increment: parallel guesses cannot all pass a check that ran before any of them was counted.
import { usernameKey } from './accounts.js'

/** The part of the shared rate limiter (storage/contract's RateLimiter) this needs. */
export interface AttemptCounter {
  consume(key: string, limit: number, windowMs: number): Promise<number>
  release(key: string): Promise<void>
  reset(key: string): Promise<void>
}

/** The account key of a password-grant sign-in (the username as typed, lower-cased). */
export function passwordAttemptKey(tenantId: string, username: string): string {
  return `password:${tenantId}/${usernameKey(username)}`
}

export interface AttemptLimit {
  key: string
  limit: number
  windowMs: number
}

export interface SignInAttempt {
  /** 0: check the password; otherwise refuse, and say to retry after this many ms. */
  retryAfterMs: number
  /** The password was right: the account's failures are forgotten, the IP's attempt given back. */
  succeeded(): Promise<void>
}

/**
 * Reserves one attempt per account and per source IP. A refused reservation stays counted (the
 * window is what throttles); a right password gives its reservation back.
 */
export async function reserveSignInAttempt(
  counter: AttemptCounter,
  account: AttemptLimit,
  ip: AttemptLimit,
): Promise<SignInAttempt> {
  const [accountWait, ipWait] = await Promise.all([
    counter.consume(account.key, account.limit, account.windowMs),
    counter.consume(ip.key, ip.limit, ip.windowMs),
  ])
  return {
    retryAfterMs: Math.max(accountWait, ipWait),
    async succeeded() {
      await Promise.all([counter.reset(account.key), counter.release(ip.key)])
    },
  }
}
