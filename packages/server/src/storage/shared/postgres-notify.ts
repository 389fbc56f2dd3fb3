import type pg from 'pg'

import { loadPg } from '../sql/dialect.js'
import type { ChangeTransport } from './node-change-bus.js'

const HEALTH_CHECK_MS = 5000

/**
 * Postgres LISTEN/NOTIFY, for deployments without Redis. One dedicated connection listens
 * (a pooled one could be handed back mid-listen) and is checked every few seconds, since a
 * connection cut without a reset would otherwise look alive; NOTIFY goes through a small pool.
 */
export class PostgresChangeTransport implements ChangeTransport {
  readonly name = 'postgres'
  readonly #url: string
  readonly #pool: pg.Pool
  #listener: pg.Client | undefined
  #closed = false
  #retry: NodeJS.Timeout | undefined
  #check: NodeJS.Timeout | undefined
  #handlers: Parameters<ChangeTransport['start']>[0] | undefined

  constructor(
    databaseUrl: string,
    private readonly channel: string,
  ) {
    const url = new URL(databaseUrl)
    url.searchParams.delete('schema')
    this.#url = url.toString()
    this.#pool = new (loadPg().Pool)({
      connectionString: this.#url,
      max: 2,
      connectionTimeoutMillis: 2000,
    })
    this.#pool.on('error', () => undefined)
    this.#pool.on('connect', (client) => {
      client.on('error', () => undefined)
    })
  }

  async start(handlers: Parameters<ChangeTransport['start']>[0]): Promise<void> {
    this.#handlers = handlers
    await this.#connect(0)
  }

  async send(message: string): Promise<void> {
    await this.#pool.query('select pg_notify($1, $2)', [this.channel, message])
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#retry)
    clearInterval(this.#check)
    const listener = this.#listener
    this.#listener = undefined
    await Promise.allSettled([listener?.end(), this.#pool.end()])
  }

  async #connect(attempt: number): Promise<void> {
    if (this.#closed || this.#handlers === undefined) return
    const handlers = this.#handlers
    const client = new (loadPg().Client)({
      connectionString: this.#url,
      connectionTimeoutMillis: 2000,
      keepAlive: true,
    })
    let lost = false
    const lose = (error?: unknown) => {
      if (lost) return
      lost = true
      clearInterval(this.#check)
      if (this.#listener === client) this.#listener = undefined
      client.end().catch(() => undefined)
      handlers.onDown(error)
      if (!this.#closed) {
        this.#retry = setTimeout(
          () => void this.#connect(attempt + 1),
          Math.min(200 * 2 ** attempt, 2000),
        )
        this.#retry.unref()
      }
    }
    client.on('error', lose)
    client.on('end', () => {
      lose()
    })
    client.on('notification', (notification) => {
      if (notification.channel === this.channel && notification.payload !== undefined)
        handlers.onMessage(notification.payload)
    })
    try {
      await client.connect()
      await client.query(`LISTEN "${this.channel.replace(/"/g, '""')}"`)
    } catch (error) {
      lose(error)
      return
    }
    this.#listener = client
    attempt = 0
    handlers.onUp()
    this.#check = setInterval(() => {
      const timer = setTimeout(() => {
        lose(new Error('the LISTEN connection stopped answering'))
      }, 2000)
      client.query('select 1').then(
        () => {
          clearTimeout(timer)
        },
        (error: unknown) => {
          clearTimeout(timer)
          lose(error)
        },
      )
    }, HEALTH_CHECK_MS)
    this.#check.unref()
  }
}
