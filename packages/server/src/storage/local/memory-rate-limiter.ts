import type { RateLimiter } from '../contract.js'

interface Window {
  startedAt: number
  count: number
}

/** Fixed windows in process memory; bounded, oldest keys evicted first. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, Window>()
  readonly shared = 'none'
  readonly healthy = true
  readonly fallbacks = 0

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 200_000,
  ) {}

  consume(key: string, limit: number, windowMs: number): Promise<number> {
    const now = this.now()
    let window = this.#windows.get(key)
    if (window === undefined || now - window.startedAt >= windowMs) {
      if (window === undefined && this.#windows.size >= this.maxKeys) {
        const oldest = this.#windows.keys().next()
        if (oldest.done !== true) this.#windows.delete(oldest.value)
      }
      window = { startedAt: now, count: 0 }
      this.#windows.set(key, window)
    }
    window.count++
    return Promise.resolve(window.count > limit ? window.startedAt + windowMs - now : 0)
  }

  release(key: string): Promise<void> {
    const window = this.#windows.get(key)
    if (window !== undefined && window.count > 0) window.count--
    return Promise.resolve()
  }

  reset(key: string): Promise<void> {
    this.#windows.delete(key)
    return Promise.resolve()
  }

  close(): void {
    this.#windows.clear()
  }
}
