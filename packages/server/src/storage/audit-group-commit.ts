import type { AuditEvent, AuditSink, AuditStore, TokenAuditEvent } from './contract.js'

type Waiting =
  | { kind: 'plain'; event: AuditEvent; resolve: () => void; reject: (error: unknown) => void }
  | {
      kind: 'token'
      event: TokenAuditEvent
      resolve: (committed: boolean) => void
      reject: (error: unknown) => void
    }

export interface GroupCommitStats {
  queued: number
  batches: number
  events: number
  lastCommitMs: number
}

/**
 * Group commit: every `record` waits until its event is durably stored, but events that
 * arrive while one batch is being committed are committed together in the next, so one
 * fsync serves a whole burst of token requests instead of one each.
 */
export class GroupCommitAuditSink implements AuditSink {
  #queue: Waiting[] = []
  #flushing = false
  readonly stats: GroupCommitStats = { queued: 0, batches: 0, events: 0, lastCommitMs: 0 }

  constructor(
    private readonly store: Pick<AuditStore, 'append' | 'appendTokenEvents'>,
    private readonly now: () => Date,
    private readonly options: { maxBatch: number } = { maxBatch: 1000 },
  ) {}

  record(event: AuditEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#enqueue({ kind: 'plain', event, resolve, reject })
    })
  }

  recordToken(event: TokenAuditEvent): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#enqueue({ kind: 'token', event, resolve, reject })
    })
  }

  /** Resolves once everything recorded so far is committed (for shutdown). */
  async drain(): Promise<void> {
    while (this.#flushing || this.#queue.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  #enqueue(waiting: Waiting): void {
    this.#queue.push(waiting)
    this.stats.queued = this.#queue.length
    if (!this.#flushing) {
      this.#flushing = true
      // Let the requests already parsed in this turn of the event loop join the batch.
      setImmediate(() => void this.#flush())
    }
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.options.maxBatch)
      this.stats.queued = this.#queue.length
      const started = performance.now()
      const tokens = batch.filter((w) => w.kind === 'token')
      const plain = batch.filter((w) => w.kind === 'plain')
      try {
        const committed = await this.store.appendTokenEvents(
          tokens.map((w) => w.event),
          this.now(),
        )
        await this.store.append(plain.map((w) => w.event))
        this.stats.batches++
        this.stats.events += batch.length
        this.stats.lastCommitMs = performance.now() - started
        tokens.forEach((w, i) => {
          w.resolve(committed[i] === true)
        })
        for (const w of plain) w.resolve()
      } catch (error) {
        for (const w of batch) w.reject(error)
      }
    }
    this.#flushing = false
  }
}
