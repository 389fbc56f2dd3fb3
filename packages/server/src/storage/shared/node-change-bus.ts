import { randomBytes } from 'node:crypto'

import type { Change, ChangeBus } from '../contract.js'
import { LocalChangeBus } from '../local/local-change-bus.js'

/** What moves serialised changes between nodes: Redis pub/sub, Postgres NOTIFY, cluster IPC. */
export interface ChangeTransport {
  readonly name: string
  /** Starts receiving; `onUp`/`onDown` report the connection as it comes and goes. */
  start(handlers: {
    onMessage: (message: string) => void
    onUp: () => void
    onDown: (error?: unknown) => void
  }): Promise<void>
  send(message: string): Promise<void>
  close(): Promise<void>
}

interface Envelope {
  /** The node that published it: a node ignores its own echo (it delivered locally already). */
  o: string
  /** Publish time (epoch ms), for the change-bus lag metric. */
  t: number
  c: Change
}

export interface NodeChangeBusOptions {
  /** How often caches are dropped while the bus is down (polling instead of events). */
  pollIntervalMs?: number
  onLag?: (seconds: number) => void
  /** A failed publish, or the connection lost (once: not each reconnection attempt after). */
  onError?: (error: unknown) => void
  /** The connection is back after a loss reported through `onError`. */
  onRecover?: () => void
}

/**
 * Changes reach this node's listeners synchronously, then every other node through the
 * transport. A node may miss messages while its connection is down, so when the transport
 * drops the bus turns `degraded` and emits `resync` every poll interval (caches re-read
 * storage: polling), and once more when the connection is back. A lost message therefore
 * leaves a node stale for at most the cache max-age, and usually for one poll interval.
 */
export class NodeChangeBus implements ChangeBus {
  readonly #local = new LocalChangeBus()
  readonly #node = randomBytes(8).toString('hex')
  #up = false
  #lossReported = false
  #poll: NodeJS.Timeout | undefined

  constructor(
    private readonly wire: ChangeTransport,
    private readonly options: NodeChangeBusOptions = {},
  ) {}

  get transport(): string {
    return this.wire.name
  }

  get health(): 'ok' | 'degraded' {
    return this.#up ? 'ok' : 'degraded'
  }

  async start(): Promise<void> {
    this.#startPolling()
    await this.wire.start({
      onMessage: (message) => {
        this.#receive(message)
      },
      onUp: () => {
        const wasDown = !this.#up
        this.#up = true
        this.#stopPolling()
        if (wasDown) this.#local.publish({ kind: 'resync' })
        if (this.#lossReported) {
          this.#lossReported = false
          this.options.onRecover?.()
        }
      },
      onDown: (error) => {
        // The transport retries every few seconds while its server is away.
        if (error !== undefined && !this.#lossReported) {
          this.#lossReported = true
          this.options.onError?.(error)
        }
        if (!this.#up) return
        this.#up = false
        this.#startPolling()
      },
    })
  }

  publish(change: Change): void {
    this.#local.publish(change)
    if (change.kind === 'resync') return
    const envelope: Envelope = { o: this.#node, t: Date.now(), c: change }
    this.wire.send(JSON.stringify(envelope)).catch((error: unknown) => {
      // The other nodes will re-read storage on their poll or when the bus is back.
      this.options.onError?.(error)
    })
  }

  subscribe(listener: (change: Change) => void): () => void {
    return this.#local.subscribe(listener)
  }

  async close(): Promise<void> {
    this.#stopPolling()
    await this.wire.close()
  }

  #receive(message: string): void {
    let envelope: Envelope
    try {
      envelope = JSON.parse(message) as Envelope
    } catch {
      return
    }
    if (envelope.o === this.#node || typeof envelope.c !== 'object') return
    this.options.onLag?.(Math.max(0, Date.now() - envelope.t) / 1000)
    this.#local.publish(envelope.c)
  }

  #startPolling(): void {
    if (this.#poll !== undefined) return
    this.#poll = setInterval(() => {
      this.#local.publish({ kind: 'resync' })
    }, this.options.pollIntervalMs ?? 2000)
    this.#poll.unref()
  }

  #stopPolling(): void {
    clearInterval(this.#poll)
    this.#poll = undefined
  }
}
