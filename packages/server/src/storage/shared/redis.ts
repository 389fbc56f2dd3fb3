import type * as Ioredis from 'ioredis'
import type { Redis, RedisOptions } from 'ioredis'

import { lazyRequire } from '../../lazy-require.js'
import type { RateLimiter } from '../contract.js'
import { MemoryRateLimiter } from '../local/memory-rate-limiter.js'
import type { ChangeTransport } from './node-change-bus.js'

const loadIoredis = lazyRequire<typeof Ioredis>('ioredis')

const CHANNEL_PREFIX = 'tokenmint:changes'
const KEY_PREFIX = 'tokenmint:rl:'

/**
 * Fails fast while Redis is away (no offline queue, short timeouts) and reconnects for ever
 * with a capped backoff: callers fall back at once and recover on their own.
 */
function redisOptions(): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    commandTimeout: 500,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
    lazyConnect: true,
  }
}

/** Redis pub/sub; a connection of its own, since a subscribed connection can do nothing else. */
export class RedisChangeTransport implements ChangeTransport {
  readonly name = 'redis'
  readonly #publisher: Redis
  readonly #subscriber: Redis
  readonly #channel: string

  constructor(url: string, namespace: string) {
    this.#publisher = new (loadIoredis().Redis)(url, redisOptions())
    this.#subscriber = new (loadIoredis().Redis)(url, {
      ...redisOptions(),
      commandTimeout: undefined,
    })
    this.#channel = `${CHANNEL_PREFIX}:${namespace}`
  }

  async start(handlers: Parameters<ChangeTransport['start']>[0]): Promise<void> {
    const sub = this.#subscriber
    sub.on('message', (_channel: string, message: string) => {
      handlers.onMessage(message)
    })
    // `ready` follows every (re)connection; ioredis re-subscribes before it.
    sub.on('ready', () => {
      void sub.subscribe(this.#channel).then(
        () => {
          handlers.onUp()
        },
        (error: unknown) => {
          handlers.onDown(error)
        },
      )
    })
    sub.on('close', () => {
      handlers.onDown()
    })
    sub.on('error', (error: unknown) => {
      handlers.onDown(error)
    })
    this.#publisher.on('error', () => undefined)
    // A Redis that is down at start is not fatal: the bus starts degraded and recovers.
    await Promise.allSettled([sub.connect(), this.#publisher.connect()])
  }

  async send(message: string): Promise<void> {
    await this.#publisher.publish(this.#channel, message)
  }

  async close(): Promise<void> {
    this.#subscriber.disconnect()
    this.#publisher.disconnect()
    await Promise.resolve()
  }
}

/** INCR a fixed window, setting its expiry on the first hit: one atomic round trip. */
const CONSUME = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return {n, ttl}`

const RELEASE = `local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 0`

type ScriptedRedis = Redis & {
  tmConsume(key: string, windowMs: number): Promise<[number, number]>
  tmRelease(key: string): Promise<number>
}

/**
 * Fixed-window counters shared by every node through Redis. When Redis does not answer, each
 * node counts in its own memory instead: limits become per node for that time, never absent.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly shared = 'redis'
  readonly #redis: ScriptedRedis
  readonly #fallback: MemoryRateLimiter
  #fallbacks = 0

  constructor(
    url: string,
    private readonly namespace: string,
    fallback = new MemoryRateLimiter(),
  ) {
    const redis = new (loadIoredis().Redis)(url, redisOptions())
    redis.defineCommand('tmConsume', { numberOfKeys: 1, lua: CONSUME })
    redis.defineCommand('tmRelease', { numberOfKeys: 1, lua: RELEASE })
    redis.on('error', () => undefined)
    this.#redis = redis as ScriptedRedis
    this.#fallback = fallback
  }

  async connect(): Promise<void> {
    await this.#redis.connect().catch(() => undefined)
  }

  get healthy(): boolean {
    return this.#redis.status === 'ready'
  }

  /** Times a decision was taken locally because Redis did not answer. */
  get fallbacks(): number {
    return this.#fallbacks
  }

  async consume(key: string, limit: number, windowMs: number): Promise<number> {
    if (this.healthy) {
      try {
        const [count, ttl] = await this.#redis.tmConsume(this.#key(key), windowMs)
        return count > limit ? Math.max(1, ttl) : 0
      } catch {
        // fall through to the local counter
      }
    }
    this.#fallbacks++
    return this.#fallback.consume(key, limit, windowMs)
  }

  async release(key: string): Promise<void> {
    if (this.healthy) {
      try {
        await this.#redis.tmRelease(this.#key(key))
        return
      } catch {
        // fall through to the local counter
      }
    }
    await this.#fallback.release(key)
  }

  async reset(key: string): Promise<void> {
    if (this.healthy) {
      try {
        await this.#redis.del(this.#key(key))
        return
      } catch {
        // fall through to the local counter
      }
    }
    await this.#fallback.reset(key)
  }

  close(): void {
    this.#redis.disconnect()
  }

  #key(key: string): string {
    return `${KEY_PREFIX}${this.namespace}:${key}`
  }
}
