import { randomBytes } from 'node:crypto'
import os from 'node:os'

import type { Logger } from 'pino'

import type { KeySealer } from '../crypto/key-sealer.js'
import { webhookHeaders } from '../domain/audit-sink-formats.js'
import {
  nextWebhookAttempt,
  WEBHOOK_EVENT_SOURCES,
  webhookEventOf,
  webhookPayload,
  type WebhookEventType,
} from '../domain/webhook-events.js'
import type { OutboundFetcher } from '../outbound/outbound-fetcher.js'
import type {
  DueWebhookDelivery,
  Storage,
  WebhookDeliveryRecord,
  WebhookEndpoint,
} from '../storage/contract.js'
import { BackgroundJob } from './periodic.js'
import { newDeliveryId, subscribedTypes, webhookSealingContext } from './webhooks.js'

const TICK_MS = 500
/** Audit records read per tenant and tick. */
const RECORDS_PER_TURN = 500
/** Due deliveries read per tick, across every endpoint. */
const DELIVERIES_PER_TICK = 500
/**
 * Attempts per endpoint and tick, and how long one may take before that endpoint's turn ends:
 * a slow or backlogged receiver (of any tenant) cannot hold the workers that everyone's
 * deliveries, a leak alert among them, go through.
 */
const ATTEMPTS_PER_ENDPOINT = 10
const SLOW_ATTEMPT_MS = 2_000
/** Endpoints sent to at the same time; each one's deliveries go one after the other. */
const PARALLEL_ENDPOINTS = 4
/** Standard Webhooks asks receivers to answer quickly; a slow one is a failed attempt. */
const ATTEMPT_TIMEOUT_MS = 10_000
/** A lease outlives any one attempt. */
const LEASE_MS = 60_000
const QUOTA_EVENT_EVERY_MS = 3_600_000
/** Delivered and dead deliveries are kept this long in the delivery log. */
const KEEP_MS = 30 * 86_400_000
const PRUNE_EVERY_MS = 600_000

/** Another node moved an endpoint's cursor first: this turn's deliveries are rolled back. */
class CursorMoved extends Error {}

/**
 * Delivers each tenant's webhooks (docs/webhooks.md). The tenant's audit records are the durable
 * source: each tick, a dispatcher reads the records after each endpoint's cursor (only the types
 * events come from, through a partial index) and, in one transaction, queues a delivery per
 * subscribed endpoint and record and moves the cursors on. A sender then makes the due attempts:
 * each delivery is a row, leased by one node while it is sent, with the Standard Webhooks retry
 * schedule, and `dead` once it is spent. Everything lives in the database, so the queue survives
 * a restart; a crash between a receiver's 2xx and its record sends that delivery again, with the
 * same webhook-id, which receivers dedupe on.
 */
export class WebhookDelivery extends BackgroundJob {
  readonly #owner = `${os.hostname()}/${String(process.pid)}/${randomBytes(4).toString('hex')}`
  /**
   * `application.quota_exceeded` at most once an hour per endpoint and application: when each
   * was last queued (by the refusal's time). Kept in memory, so a restart, or another node
   * dispatching the next records, may send one more within the hour; a refusal storm still
   * sends a handful, not one per refused request.
   */
  readonly #quotaEvents = new Map<string, number>()
  #lastPruneMs = 0

  constructor(
    private readonly deps: {
      storage: Storage
      sealer: KeySealer
      fetcher: Pick<OutboundFetcher, 'fetch'>
      now: () => Date
      logger: Logger
      storageAvailable: () => boolean
    },
  ) {
    super(TICK_MS, deps, 'webhook delivery could not read its state')
  }

  /** One round: queue what new audit records call for, then make the due attempts. */
  protected async round(): Promise<void> {
    const endpoints = await this.deps.storage.webhooks.allEndpoints()
    await this.#dispatch(endpoints)
    await this.#sendDue()
    await this.#prune(endpoints)
  }

  async #dispatch(endpoints: readonly WebhookEndpoint[]): Promise<void> {
    const byTenant = new Map<string, WebhookEndpoint[]>()
    for (const endpoint of endpoints)
      byTenant.set(endpoint.tenantId, [...(byTenant.get(endpoint.tenantId) ?? []), endpoint])
    const hourAgo = this.deps.now().getTime() - QUOTA_EVENT_EVERY_MS
    for (const [key, at] of this.#quotaEvents) if (at < hourAgo) this.#quotaEvents.delete(key)
    for (const [tenantId, tenantEndpoints] of byTenant) {
      try {
        await this.#dispatchTenant(tenantId, tenantEndpoints)
      } catch (error) {
        // One tenant's trouble holds up no other's; it is tried again next tick.
        if (!(error instanceof CursorMoved) && this.deps.storageAvailable())
          this.deps.logger.warn({ err: error, tenant: tenantId }, 'could not queue webhooks')
      }
    }
  }

  /** One read of the tenant's new records serves all its endpoints. */
  async #dispatchTenant(tenantId: string, endpoints: readonly WebhookEndpoint[]): Promise<void> {
    const { storage } = this.deps
    const from = Math.min(...endpoints.map((e) => e.through))
    const auditTypes = new Set(
      endpoints.flatMap((e) => subscribedTypes(e).map((t) => WEBHOOK_EVENT_SOURCES[t])),
    )
    const records = await storage.webhooks.sourceRecords(
      tenantId,
      from,
      [...auditTypes],
      RECORDS_PER_TURN,
    )
    const last = records.at(-1)?.seq
    if (last === undefined) return
    const now = this.deps.now()
    const deliveries: WebhookDeliveryRecord[] = []
    const quotaEvents = new Map<string, number>()
    for (const endpoint of endpoints) {
      if (!endpoint.isEnabled) continue
      for (const record of records) {
        const type = webhookEventOf(record)
        if (record.seq <= endpoint.through || type === undefined) continue
        // A type subscribed to later is sent only for records written after that.
        const since = endpoint.subscriptions[type]
        if (since === undefined || record.seq <= since) continue
        if (type === 'application.quota_exceeded') {
          const key = `${endpoint.id}:${record.clientId ?? ''}`
          const previous = quotaEvents.get(key) ?? this.#quotaEvents.get(key)
          const at = record.occurredAt.getTime()
          if (previous !== undefined && at - previous < QUOTA_EVENT_EVERY_MS) continue
          quotaEvents.set(key, at)
        }
        deliveries.push(
          this.#delivery(endpoint, type, record.seq, webhookPayload(type, record), now),
        )
      }
    }
    await storage.transaction(async (tx) => {
      for (const endpoint of endpoints) {
        if (endpoint.through >= last) continue
        if (!(await tx.webhooks.advance(endpoint.id, endpoint.through, last)))
          throw new CursorMoved()
      }
      await tx.webhooks.insertDeliveries(deliveries)
    })
    for (const [key, at] of quotaEvents) this.#quotaEvents.set(key, at)
  }

  #delivery(
    endpoint: WebhookEndpoint,
    type: WebhookEventType,
    seq: number,
    payload: string,
    now: Date,
  ): WebhookDeliveryRecord {
    return {
      id: newDeliveryId(),
      tenantId: endpoint.tenantId,
      endpointId: endpoint.id,
      eventType: type,
      auditSeq: seq,
      payload,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lastAttemptAt: null,
      lastStatus: null,
      lastError: null,
      createdAt: now,
    }
  }

  async #sendDue(): Promise<void> {
    const due = await this.deps.storage.webhooks.due(this.deps.now(), DELIVERIES_PER_TICK)
    const byEndpoint = new Map<string, DueWebhookDelivery[]>()
    for (const d of due) byEndpoint.set(d.endpointId, [...(byEndpoint.get(d.endpointId) ?? []), d])
    const queues = [...byEndpoint.values()].map((q) => q.slice(0, ATTEMPTS_PER_ENDPOINT))
    const worker = async () => {
      for (let queue = queues.shift(); queue !== undefined; queue = queues.shift()) {
        for (const delivery of queue) {
          // An endpoint that just failed, or answered slowly, is not tried again this tick.
          const started = Date.now()
          if (!(await this.#attempt(delivery))) break
          if (Date.now() - started > SLOW_ATTEMPT_MS) break
        }
      }
    }
    await Promise.all(Array.from({ length: PARALLEL_ENDPOINTS }, worker))
  }

  /** One attempt; resolves whether the receiver took it (false too when another node has it). */
  async #attempt(delivery: DueWebhookDelivery): Promise<boolean> {
    const { storage, now } = this.deps
    const start = now()
    if (
      !(await storage.webhooks.claim(
        delivery.id,
        this.#owner,
        start,
        new Date(start.getTime() + LEASE_MS),
      ))
    )
      return true
    let httpStatus: number | null = null
    let error: string | null = null
    try {
      httpStatus = await this.#send(delivery)
      if (httpStatus < 200 || httpStatus >= 300)
        error = `the receiver answered ${String(httpStatus)}`
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause)
    }
    const at = now()
    if (error === null) {
      await storage.webhooks.attempted(delivery.id, this.#owner, {
        status: 'delivered',
        at,
        httpStatus,
        error: null,
        nextAttemptAt: null,
      })
      return true
    }
    const next = nextWebhookAttempt(delivery.attempts + 1, at)
    await storage.webhooks.attempted(delivery.id, this.#owner, {
      status: next === undefined ? 'dead' : 'failed',
      at,
      httpStatus,
      error: error.slice(0, 500),
      nextAttemptAt: next ?? null,
    })
    this.deps.logger.warn(
      {
        webhook: delivery.endpointId,
        tenant: delivery.tenantId,
        delivery: delivery.id,
        attempts: delivery.attempts + 1,
        err: error,
      },
      next === undefined
        ? 'webhook delivery failed for the last time; it is dead'
        : 'webhook delivery failed; it will be retried',
    )
    return false
  }

  async #send(delivery: DueWebhookDelivery): Promise<number> {
    const secret = this.deps.sealer
      .open(
        delivery.sealedSecret,
        webhookSealingContext({ tenantId: delivery.tenantId, id: delivery.endpointId }),
      )
      .toString('utf8')
    const timestamp = Math.floor(this.deps.now().getTime() / 1000)
    const response = await this.deps.fetcher.fetch(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...webhookHeaders(secret, delivery.id, timestamp, delivery.payload),
      },
      body: delivery.payload,
      // Only the status matters: a receiver that answers with a large body is cut off early.
      maxBytes: 65_536,
      timeoutMs: ATTEMPT_TIMEOUT_MS,
    })
    return response.status
  }

  /** The delivery log keeps 30 days of delivered and dead deliveries. */
  async #prune(endpoints: readonly WebhookEndpoint[]): Promise<void> {
    const now = this.deps.now().getTime()
    if (now - this.#lastPruneMs < PRUNE_EVERY_MS) return
    this.#lastPruneMs = now
    for (const endpoint of endpoints)
      await this.deps.storage.webhooks.prune(endpoint.id, new Date(now - KEEP_MS))
  }
}
