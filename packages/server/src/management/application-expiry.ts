import type { Logger } from 'pino'

import { applicationRevocationExpiresAt } from '../domain/token-policy.js'
import type { ChangeBus, DueExpiry, Storage } from '../storage/contract.js'

/** Re-read the soonest pending expiry at least this often (another node may have set one). */
const MAX_WAIT_MS = 30_000
const RETRY_AFTER_FAILURE_MS = 5_000
const BATCH = 100

export interface ExpiryPublisherDeps {
  storage: Storage
  changes: Pick<ChangeBus, 'publish' | 'subscribe'>
  now: () => Date
  logger: Pick<Logger, 'warn' | 'info'>
}

/**
 * Publishes one expiry: a revocation of the application effective at its expiry, so a verifier
 * following the feed refuses the tokens issued before it (those issued before the expiry was
 * moved earlier outlive it). The conditional mark and the entry are one transaction: however
 * many nodes try, exactly one publishes. An expiry so old that every token it concerns has
 * expired is marked without an entry.
 */
async function publishExpiry(storage: Storage, due: DueExpiry, now: Date): Promise<boolean> {
  return storage.transaction(async (trx) => {
    if (!(await trx.applications.markExpiryPublished(due))) return false
    const tenant = await trx.tenants.get(due.tenantId)
    if (tenant === undefined) return false
    const until = applicationRevocationExpiresAt(due.expiresAt, tenant)
    if (until.getTime() <= now.getTime()) return false
    await trx.revocations.append({
      tenantId: due.tenantId,
      type: 'application',
      clientId: due.clientId,
      jti: null,
      revokedAt: due.expiresAt,
      expiresAt: until,
    })
    await trx.audit.append([
      {
        tenantId: due.tenantId,
        occurredAt: now,
        type: 'application.expired',
        actor: 'system',
        clientId: due.clientId,
        data: { expires_at: due.expiresAt.toISOString() },
      },
    ])
    return true
  })
}

/** Publishes every expiry reached by now; returns how many reached the feed. */
export async function publishDueExpiries(
  deps: Pick<ExpiryPublisherDeps, 'storage' | 'changes' | 'now'>,
): Promise<number> {
  const now = deps.now()
  let published = 0
  for (;;) {
    const due = await deps.storage.applications.listDueExpiries(now, BATCH)
    for (const entry of due) {
      if (await publishExpiry(deps.storage, entry, now)) {
        published++
        deps.changes.publish({ kind: 'revocation', tenantId: entry.tenantId })
      }
    }
    if (due.length < BATCH) return published
  }
}

/**
 * An expiry takes effect at its date, and must reach the revocation feed then (within the same
 * second as a revocation) on every node, also when the server was down at that moment. Each
 * node sleeps until the soonest pending expiry, wakes on every application change (an expiry
 * set or moved, here or on another node), and publishes what is due at start.
 */
export class ApplicationExpiryPublisher {
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> = Promise.resolve()
  #closed = false
  #failing = false
  readonly #unsubscribe: () => void

  constructor(private readonly deps: ExpiryPublisherDeps) {
    this.#unsubscribe = deps.changes.subscribe((change) => {
      if (change.kind === 'application' || change.kind === 'resync') void this.wake()
    })
    void this.wake()
  }

  /** Publishes what is due now, then sleeps until the next pending expiry. Serialised. */
  wake(): Promise<void> {
    this.#running = this.#running.then(() => this.#run())
    return this.#running
  }

  async #run(): Promise<void> {
    if (this.#closed) return
    clearTimeout(this.#timer)
    let waitMs = MAX_WAIT_MS
    try {
      await publishDueExpiries(this.deps)
      const next = await this.deps.storage.applications.nextPendingExpiry()
      if (next !== undefined)
        waitMs = Math.min(MAX_WAIT_MS, Math.max(0, next.getTime() - this.deps.now().getTime()))
      if (this.#failing) this.deps.logger.info('application expiries are published again')
      this.#failing = false
    } catch (error) {
      // Storage is away: the expiry is still pending and will be published once it is back.
      if (!this.#failing)
        this.deps.logger.warn({ err: error }, 'could not publish application expiries; retrying')
      this.#failing = true
      waitMs = RETRY_AFTER_FAILURE_MS
    }
    if (this.#isClosed()) return
    this.#timer = setTimeout(() => void this.wake(), waitMs)
    this.#timer.unref()
  }

  /** A method, so the check after an await is not narrowed away by the one before it. */
  #isClosed(): boolean {
    return this.#closed
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#unsubscribe()
    clearTimeout(this.#timer)
    await this.#running
  }
}
