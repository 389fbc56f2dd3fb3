import { describe, expect, it } from 'vitest'

import { OAuthResponseError } from './errors.js'
import {
  backoffDelayMs,
  defaultRetryPolicy,
  retryAfterMs,
  withRetries,
  type AttemptOutcome,
  type RetryRuntime,
} from './retry.js'

describe('retryAfterMs (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  const cases = [
    { description: 'no header', header: null, expected: undefined },
    { description: 'delay-seconds', header: '3', expected: 3000 },
    { description: 'delay-seconds with spaces', header: ' 10 ', expected: 10_000 },
    { description: 'an HTTP-date', header: 'Thu, 01 Jan 2026 00:00:05 GMT', expected: 5000 },
    {
      description: 'an HTTP-date in the past',
      header: 'Wed, 31 Dec 2025 23:00:00 GMT',
      expected: 0,
    },
    { description: 'garbage', header: 'soon', expected: undefined },
    { description: 'a negative number', header: '-1', expected: undefined },
  ]
  for (const { description, header, expected } of cases) {
    it(description, () => {
      expect(retryAfterMs(header, now)).toBe(expected)
    })
  }
})

describe('backoffDelayMs', () => {
  it('doubles the step per attempt, up to maxDelayMs, and jitters below it', () => {
    const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000 }
    expect([1, 2, 3, 4, 5, 10].map((n) => backoffDelayMs(policy, n, 0.999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ])
    expect(backoffDelayMs(policy, 3, 0)).toBe(0)
  })
})

/** A fake clock: sleeping advances it; attempts take `attemptMs`. */
function fakeRuntime(attemptMs = 0) {
  let clock = 0
  const sleeps: number[] = []
  const runtime: RetryRuntime = {
    elapsedMs: () => clock,
    sleep: (ms) => {
      sleeps.push(ms)
      clock += ms
      return Promise.resolve()
    },
    random: () => 0.5,
  }
  return {
    runtime,
    sleeps,
    attempt: (outcome: AttemptOutcome<string>) => (timeoutMs: number) => {
      clock += Math.min(attemptMs, timeoutMs)
      return Promise.resolve(outcome)
    },
  }
}

const unavailable = (retryAfterMs?: number): AttemptOutcome<string> => ({
  ok: false,
  isRetryable: true,
  error: new OAuthResponseError('temporarily_unavailable', undefined, 503),
  ...(retryAfterMs !== undefined && { retryAfterMs }),
})

describe('withRetries', () => {
  it('stops after maxAttempts', async () => {
    const { runtime, sleeps, attempt } = fakeRuntime()
    const policy = { ...defaultRetryPolicy, maxAttempts: 3 }
    await expect(withRetries(policy, 1000, runtime, attempt(unavailable()))).rejects.toMatchObject({
      status: 503,
    })
    expect(sleeps).toEqual([100, 200])
  })

  it('stops before maxElapsedMs', async () => {
    const { runtime, sleeps, attempt } = fakeRuntime(400)
    const policy = { ...defaultRetryPolicy, maxAttempts: 100, maxElapsedMs: 2000 }
    await expect(withRetries(policy, 1000, runtime, attempt(unavailable()))).rejects.toBeInstanceOf(
      OAuthResponseError,
    )
    expect(runtime.elapsedMs()).toBeLessThanOrEqual(2000)
    expect(sleeps.length).toBeLessThan(5)
  })

  it('waits as long as Retry-After asks when that is longer than the backoff', async () => {
    const { runtime, sleeps, attempt } = fakeRuntime()
    const policy = { ...defaultRetryPolicy, maxAttempts: 2 }
    await expect(withRetries(policy, 1000, runtime, attempt(unavailable(7000)))).rejects.toThrow()
    expect(sleeps).toEqual([7000])
  })

  it('gives up at once when Retry-After reaches past maxElapsedMs', async () => {
    const { runtime, sleeps, attempt } = fakeRuntime()
    const policy = { ...defaultRetryPolicy, maxElapsedMs: 5000 }
    await expect(withRetries(policy, 1000, runtime, attempt(unavailable(60_000)))).rejects.toThrow()
    expect(sleeps).toEqual([])
  })

  it('never retries what is not retryable', async () => {
    const { runtime, sleeps } = fakeRuntime()
    let attempts = 0
    const refused: AttemptOutcome<string> = {
      ok: false,
      isRetryable: false,
      error: new OAuthResponseError('invalid_client', undefined, 401),
    }
    await expect(
      withRetries(defaultRetryPolicy, 1000, runtime, () => {
        attempts++
        return Promise.resolve(refused)
      }),
    ).rejects.toMatchObject({ error: 'invalid_client' })
    expect(attempts).toBe(1)
    expect(sleeps).toEqual([])
  })

  it('gives later attempts only the time left before maxElapsedMs', async () => {
    const { runtime } = fakeRuntime()
    const timeouts: number[] = []
    const policy = { ...defaultRetryPolicy, maxAttempts: 3, maxElapsedMs: 1000, baseDelayMs: 400 }
    await expect(
      withRetries(policy, 900, runtime, (timeoutMs) => {
        timeouts.push(timeoutMs)
        return Promise.resolve(unavailable())
      }),
    ).rejects.toThrow()
    expect(timeouts).toEqual([900, 800, 400])
  })
})
