/** Password-grant guessing limits: per username and per source IP. */
export const LOCK_AFTER_FAILURES = 5
export const IP_FAILURE_LIMIT = 30
export const IP_WINDOW_MS = 10 * 60_000
const MAX_ENTRIES = 100_000

/** 1 min after the 5th consecutive failure, doubling with each further one, at most 1 h. */
export function lockDurationMs(consecutiveFailures: number): number {
  if (consecutiveFailures < LOCK_AFTER_FAILURES) return 0
  return Math.min(60_000 * 2 ** (consecutiveFailures - LOCK_AFTER_FAILURES), 3600_000)
}

interface Counter {
  count: number
  firstAt: number
  lockedUntil: number
}

/**
 * Escalating locks for usernames that do not exist (existing users' failures are stored with
 * the user, so they survive restarts), so a lock never reveals whether a username exists.
 * The atomic per-attempt bound is the shared limiter's reservation (domain/sign-in-attempts).
 */
export class LoginThrottle {
  readonly #byUnknownName = new Map<string, Counter>()

  unknownNameLockedUntil(key: string): number {
    return this.#byUnknownName.get(key)?.lockedUntil ?? 0
  }

  recordUnknownName(key: string, now: number): void {
    const counter = this.#byUnknownName.get(key) ?? { count: 0, firstAt: now, lockedUntil: 0 }
    counter.count++
    counter.lockedUntil = now + lockDurationMs(counter.count)
    if (!this.#byUnknownName.has(key) && this.#byUnknownName.size >= MAX_ENTRIES) {
      const oldest = this.#byUnknownName.keys().next()
      if (oldest.done !== true) this.#byUnknownName.delete(oldest.value)
    }
    this.#byUnknownName.set(key, counter)
  }
}
