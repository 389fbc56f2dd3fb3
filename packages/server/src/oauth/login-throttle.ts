/**
 * In-process counters for the password grant: failures per source IP, and failures per
 * username for names that do not exist (existing users' failures are stored with the user, so
 * they survive restarts). Unknown names lock exactly like real ones, so a lock never reveals
 * whether a username exists. Bounded: old entries are swept.
 */
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

export class LoginThrottle {
  readonly #byIp = new Map<string, Counter>()
  readonly #byUnknownName = new Map<string, Counter>()

  /** Milliseconds until this IP may try again, or 0. */
  ipRetryAfterMs(ip: string, now: number): number {
    const counter = this.#byIp.get(ip)
    if (counter === undefined || now - counter.firstAt > IP_WINDOW_MS) return 0
    return counter.count >= IP_FAILURE_LIMIT ? counter.firstAt + IP_WINDOW_MS - now : 0
  }

  unknownNameLockedUntil(key: string): number {
    return this.#byUnknownName.get(key)?.lockedUntil ?? 0
  }

  recordFailure(ip: string, unknownNameKey: string | undefined, now: number): void {
    const ipCounter = this.#byIp.get(ip)
    if (ipCounter === undefined || now - ipCounter.firstAt > IP_WINDOW_MS) {
      this.#set(this.#byIp, ip, { count: 1, firstAt: now, lockedUntil: 0 })
    } else {
      ipCounter.count++
    }
    if (unknownNameKey !== undefined) {
      const counter = this.#byUnknownName.get(unknownNameKey) ?? {
        count: 0,
        firstAt: now,
        lockedUntil: 0,
      }
      counter.count++
      counter.lockedUntil = now + lockDurationMs(counter.count)
      this.#set(this.#byUnknownName, unknownNameKey, counter)
    }
  }

  #set(map: Map<string, Counter>, key: string, counter: Counter): void {
    if (!map.has(key) && map.size >= MAX_ENTRIES) {
      const oldest = map.keys().next()
      if (oldest.done !== true) map.delete(oldest.value)
    }
    map.set(key, counter)
  }
}
