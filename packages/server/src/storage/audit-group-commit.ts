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

export interface GroupCommitOptions {
  maxBatch: number
  /**
   * Batches committed at once. 1 for SQLite, whose commit is synchronous. PostgreSQL's commit
   * is a handful of round trips, and while one batch waits on them the next can already take
   * its locks: the tenant's audit-head row lock still orders their chain records.
   */
  concurrency: number
}

/**
 * Group commit: every `record` waits until its event is durably stored, but events that
 * arrive while a batch is being committed are committed together in the next, so one
 * fsync serves a whole burst of token requests instead of one each.
 */
export class GroupCommitAuditSink implements AuditSink {
  #queue: Waiting[] = []
  /** Batches being committed, and whether a flush is already scheduled for the queue. */
  #committing = 0
  #scheduled = false
  readonly stats: GroupCommitStats = { queued: 0, batches: 0, events: 0, lastCommitMs: 0 }
  private readonly options: GroupCommitOptions

  constructor(
    private readonly store: Pick<AuditStore, 'append' | 'appendTokenEvents'>,
    private readonly now: () => Date,
    options: Partial<GroupCommitOptions> = {},
  ) {
    this.options = { maxBatch: 1000, concurrency: 1, ...options }
  }

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
    while (this.#committing > 0 || this.#scheduled || this.#queue.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  #enqueue(waiting: Waiting): void {
    this.#queue.push(waiting)
    this.stats.queued = this.#queue.length
    if (!this.#scheduled && this.#committing < this.options.concurrency) {
      this.#scheduled = true
      // Let the requests already parsed in this turn of the event loop join the batch.
      setImmediate(() => {
        this.#scheduled = false
        void this.#flush()
      })
    }
  }

  async #flush(): Promise<void> {
    this.#committing++
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
    this.#committing--
  }
}
