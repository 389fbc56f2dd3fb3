// Online password guessing (RFC 6819 §4.4.3.6, OWASP ASVS V2.2.1): the one policy for every
// password sign-in (the password grant and console sign-in). Three defences, owned here:
//
// 1. A reservation per account and per source IP in the shared limiter, taken *before* the
//    password is checked with one atomic increment, so parallel guesses cannot all pass a check
//    that ran before any of them was counted. A right password gives its reservation back.
// 2. For the password grant, an escalating lock stored with the user (it survives restarts and
//    is shared by every node): 1 min after the 5th consecutive failure, doubling, at most 1 h.
// 3. The same escalation, in process, for usernames that do not exist, so a lock never reveals
//    whether a username exists.
import { usernameKey } from './accounts.js'

/** The part of the shared rate limiter (storage/contract's RateLimiter) this needs. */
export interface AttemptCounter {
  consume(key: string, limit: number, windowMs: number): Promise<number>
  release(key: string): Promise<void>
  reset(key: string): Promise<void>
}

/** Where an existing account's consecutive failures and lock are stored (the user store). */
export interface AccountLocks {
  recordLoginFailure(tenantId: string, id: string): Promise<number>
  setLockedUntil(tenantId: string, id: string, lockedUntil: Date | null): Promise<void>
}

export interface SignInPolicy {
  /** Prefix of the limiter keys; kept stable, since Redis holds counters across deploys. */
  readonly name: 'password' | 'console'
  readonly perAccount: number
  readonly accountWindowMs: number
  readonly perIp: number
  readonly ipWindowMs: number
  /** Lock accounts (and unknown names) for longer after each further failure. */
  readonly escalates: boolean
}

const LOCK_AFTER_FAILURES = 5

/** 1 min after the 5th consecutive failure, doubling with each further one, at most 1 h. */
export function lockDurationMs(consecutiveFailures: number): number {
  if (consecutiveFailures < LOCK_AFTER_FAILURES) return 0
  return Math.min(60_000 * 2 ** (consecutiveFailures - LOCK_AFTER_FAILURES), 3600_000)
}

/** The password grant: 5 per username a minute (then the lock escalates), 30 per IP in 10 min. */
export const PASSWORD_GRANT_SIGN_IN: SignInPolicy = {
  name: 'password',
  perAccount: LOCK_AFTER_FAILURES,
  accountWindowMs: lockDurationMs(LOCK_AFTER_FAILURES),
  perIp: 30,
  ipWindowMs: 10 * 60_000,
  escalates: true,
}

/** Console sign-in: 10 per account and 50 per IP in 15 min. */
export const CONSOLE_SIGN_IN: SignInPolicy = {
  name: 'console',
  perAccount: 10,
  accountWindowMs: 15 * 60_000,
  perIp: 50,
  ipWindowMs: 15 * 60_000,
  escalates: false,
}

/** The limiter key of one account under a policy: the username as it is looked up. */
export function accountAttemptKey(
  policy: SignInPolicy,
  tenantId: string,
  username: string,
): string {
  const name = usernameKey(username)
  return policy.name === 'password'
    ? `password:${tenantId}/${name}`
    : `console-signin:${tenantId}:${name}`
}

function ipAttemptKey(policy: SignInPolicy, ip: string): string {
  return policy.name === 'password' ? `password-ip:${ip}` : `console-signin-ip:${ip}`
}

/** What is known of the account once it has been looked up; undefined when there is none. */
export interface KnownAccount {
  tenantId: string
  id: string
  lockedUntil: Date | null
}

export interface SignInAttempt {
  /** 0: check the password; otherwise refuse, and say to retry after this many ms. */
  readonly retryAfterMs: number
  /** How long the account (or the unknown name) is still locked; 0 when it is not. */
  lockedForMs(account: KnownAccount | undefined, now: Date): number
  /** The password was wrong, or the account unknown: count it towards the next lock. */
  failed(account: KnownAccount | undefined, now: Date): Promise<void>
  /** The password was right: the account's failures are forgotten, the IP's attempt given back. */
  succeeded(): Promise<void>
}

const MAX_UNKNOWN_NAMES = 100_000

/** The escalating lock of usernames that do not exist, in process and bounded. */
class UnknownNameLocks {
  readonly #byName = new Map<string, { count: number; lockedUntil: number }>()

  lockedUntil(key: string): number {
    return this.#byName.get(key)?.lockedUntil ?? 0
  }

  record(key: string, nowMs: number): void {
    const entry = this.#byName.get(key) ?? { count: 0, lockedUntil: 0 }
    entry.count++
    entry.lockedUntil = nowMs + lockDurationMs(entry.count)
    if (!this.#byName.has(key) && this.#byName.size >= MAX_UNKNOWN_NAMES) {
      const oldest = this.#byName.keys().next()
      if (oldest.done !== true) this.#byName.delete(oldest.value)
    }
    this.#byName.set(key, entry)
  }
}

export class PasswordGuessing {
  readonly #unknownNames = new UnknownNameLocks()

  constructor(
    private readonly counter: AttemptCounter,
    /** Needed by policies that escalate: where existing accounts' locks are stored. */
    private readonly locks?: AccountLocks,
  ) {}

  /** Reserves one attempt for the account and one for the source IP. */
  async begin(
    policy: SignInPolicy,
    request: { tenantId: string; username: string; ip: string },
  ): Promise<SignInAttempt> {
    const accountKey = accountAttemptKey(policy, request.tenantId, request.username)
    const ipKey = ipAttemptKey(policy, request.ip)
    const [accountWait, ipWait] = await Promise.all([
      this.counter.consume(accountKey, policy.perAccount, policy.accountWindowMs),
      this.counter.consume(ipKey, policy.perIp, policy.ipWindowMs),
    ])
    const { counter, locks } = this
    const unknownNames = this.#unknownNames
    return {
      retryAfterMs: Math.max(accountWait, ipWait),
      lockedForMs(account, now) {
        if (!policy.escalates) return 0
        const until =
          account === undefined
            ? unknownNames.lockedUntil(accountKey)
            : (account.lockedUntil?.getTime() ?? 0)
        return Math.max(0, until - now.getTime())
      },
      async failed(account, now) {
        if (!policy.escalates) return
        if (account === undefined) {
          unknownNames.record(accountKey, now.getTime())
          return
        }
        if (locks === undefined) throw new Error('an escalating sign-in policy needs AccountLocks')
        const lockMs = lockDurationMs(await locks.recordLoginFailure(account.tenantId, account.id))
        if (lockMs > 0)
          await locks.setLockedUntil(account.tenantId, account.id, new Date(now.getTime() + lockMs))
      },
      async succeeded() {
        await Promise.all([counter.reset(accountKey), counter.release(ipKey)])
      },
    }
  }
}
