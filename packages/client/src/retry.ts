import type { TokenSourceError } from './errors.js'

/**
 * Bounds of the retries of one token (or discovery) request. Retries happen on network errors,
 * timeouts, 5xx and 429 only, with exponential backoff and full jitter.
 *
 * @example
 * ```ts
 * createTokenSource({ tokenUrl, clientId, clientSecret, retry: { maxAttempts: 6, maxElapsedMs: 60_000 } })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export interface RetryOptions {
  /** Attempts in all, the first included; `1` turns retries off. Default 4. */
  maxAttempts?: number
  /**
   * No retry starts later than this after the first attempt began, and retries are cut short
   * there; a `Retry-After` reaching past it ends the retries at once. Default 30 000 ms.
   */
  maxElapsedMs?: number
  /** The first backoff step; each retry doubles it, and the wait is a random part of it. Default 200 ms. */
  baseDelayMs?: number
  /** The largest backoff step. Default 5 000 ms. */
  maxDelayMs?: number
}

export type RetryPolicy = Required<RetryOptions>

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 4,
  maxElapsedMs: 30_000,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
}

/** What one attempt came to: a value, or a failure that may be worth retrying. */
export type AttemptOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; error: TokenSourceError; isRetryable: boolean; retryAfterMs?: number }

/** Time and chance, injectable for unit tests. `elapsedMs` is monotonic. */
export interface RetryRuntime {
  elapsedMs: () => number
  sleep: (ms: number) => Promise<void>
  random: () => number
}

export const realRuntime: RetryRuntime = {
  elapsedMs: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
}

/** RFC 9110 §10.2.3: `Retry-After` is either delay-seconds or an HTTP-date. */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined
  const value = header.trim()
  if (/^\d+$/.test(value)) return Number(value) * 1000
  // An HTTP-date names a weekday and a month; without letters it is neither form.
  const date = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): random in [0, step). */
export function backoffDelayMs(policy: RetryPolicy, attemptNumber: number, random: number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attemptNumber - 1))
  return Math.floor(random * step)
}

const MIN_ATTEMPT_MS = 100

/**
 * Runs `attempt` until it succeeds, fails for good, or the bounds are reached; then throws the
 * last failure. Each attempt gets `timeoutMs`, cut short where `maxElapsedMs` ends (the first
 * attempt always gets the whole `timeoutMs`), so one call lasts at most
 * `max(timeoutMs, maxElapsedMs)`. A retry that would have less than `MIN_ATTEMPT_MS` (or
 * `timeoutMs`, if shorter) left is not started: it could only end in a misleading timeout.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  timeoutMs: number,
  runtime: RetryRuntime,
  attempt: (attemptTimeoutMs: number) => Promise<AttemptOutcome<T>>,
): Promise<T> {
  const started = runtime.elapsedMs()
  const deadline = started + policy.maxElapsedMs
  for (let attemptNumber = 1; ; attemptNumber++) {
    const remaining = deadline - runtime.elapsedMs()
    const outcome = await attempt(attemptNumber === 1 ? timeoutMs : Math.min(timeoutMs, remaining))
    if (outcome.ok) return outcome.value
    if (!outcome.isRetryable || attemptNumber >= policy.maxAttempts) throw outcome.error
    const delay = Math.max(
      outcome.retryAfterMs ?? 0,
      backoffDelayMs(policy, attemptNumber, runtime.random()),
    )
    if (runtime.elapsedMs() + delay + Math.min(timeoutMs, MIN_ATTEMPT_MS) > deadline) {
      throw outcome.error
    }
    await runtime.sleep(delay)
  }
}
