import { randomBytes } from 'node:crypto'
import os from 'node:os'

import type { Logger } from 'pino'

import { exportedRecord, type ExportedRecord } from '../domain/audit-export.js'
import { jsonLines, otlpLogs, syslogFrames, webhookHeaders } from '../domain/audit-sink-formats.js'
import type { KeySealer } from '../crypto/key-sealer.js'
import type { OutboundFetcher } from '../outbound/outbound-fetcher.js'
import type { AuditSinkConfig, Storage } from '../storage/contract.js'
import { recordsAfter } from './audit-integrity.js'
import { sinkSealingContext } from './audit-sinks.js'
import { BackgroundJob } from './periodic.js'

/** Records sent in one request or connection. */
const BATCH = 200
/** Batches one sink may send in a row before the others get their turn. */
const BATCHES_PER_TURN = 10
/** A lease outlives any one attempt (each is bounded by the fetcher's timeout). */
const LEASE_MS = 30_000
const TICK_MS = 500
const RETRY_BASE_MS = 500
const RETRY_MAX_MS = 300_000

/** 0.5 s, 1 s, 2 s, … up to 5 minutes between attempts while a receiver keeps failing. */
export function retryDelayMs(failures: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** Math.min(failures, 20), RETRY_MAX_MS)
}

/**
 * Delivers each tenant's audit records to its sinks. The records are the durable queue: a sink
 * keeps the number of the last record its receiver took, moved on only after a batch was
 * accepted (a 2xx; for syslog, the connection closed cleanly after the last byte). A receiver
 * that is down is retried with backoff and misses nothing; one node at a time holds a sink's
 * lease, so nodes never send the same batch twice. A crash between a receiver's answer and the
 * move of the number sends that batch again: receivers that need exactly once drop a record
 * whose (tenant, seq) they have seen (docs/audit.md).
 */
export class AuditSinkDelivery extends BackgroundJob {
  readonly #owner = `${os.hostname()}/${String(process.pid)}/${randomBytes(4).toString('hex')}`

  constructor(
    private readonly deps: {
      storage: Storage
      sealer: KeySealer
      fetcher: OutboundFetcher
      now: () => Date
      logger: Logger
      storageAvailable: () => boolean
    },
  ) {
    super(TICK_MS, deps, 'audit sink delivery could not read its state')
  }

  /** One round: every due sink with records it has not received yet. */
  protected async round(): Promise<void> {
    for (const sink of await this.deps.storage.auditSinks.due(this.deps.now(), this.#owner)) {
      const head = await this.deps.storage.auditChain.head(sink.tenantId)
      if (head === undefined || head.seq <= sink.deliveredThrough) continue
      await this.#deliver(sink)
    }
  }

  async #deliver(sink: AuditSinkConfig): Promise<void> {
    const { storage, now } = this.deps
    const start = now()
    if (
      !(await storage.auditSinks.claim(
        sink.id,
        this.#owner,
        start,
        new Date(start.getTime() + LEASE_MS),
      ))
    )
      return
    let through = sink.deliveredThrough
    try {
      for (let turn = 0; turn < BATCHES_PER_TURN; turn++) {
        const records = await recordsAfter(storage, sink.tenantId, through, BATCH)
        if (records.length === 0) break
        const last = records.at(-1)?.seq ?? through
        await this.#send(
          sink,
          records.map(exportedRecord),
          `${sink.id}:${String(through + 1)}-${String(last)}`,
        )
        await storage.auditSinks.delivered(sink.id, this.#owner, last, now())
        through = last
        if (records.length < BATCH) break
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      await storage.auditSinks.failed(
        sink.id,
        this.#owner,
        message.slice(0, 500),
        new Date(now().getTime() + retryDelayMs(sink.failures)),
      )
      this.deps.logger.warn(
        { sink: sink.id, tenant: sink.tenantId, kind: sink.kind, err: message },
        'audit sink delivery failed; it will be retried',
      )
    } finally {
      await storage.auditSinks.release(sink.id, this.#owner).catch(() => undefined)
    }
  }

  async #send(sink: AuditSinkConfig, records: ExportedRecord[], id: string): Promise<void> {
    const { fetcher } = this.deps
    if (sink.kind === 'syslog') {
      await fetcher.sendOverTls(sink.url, syslogFrames(records, os.hostname()))
      return
    }
    let body: string
    let headers: Record<string, string>
    if (sink.kind === 'https') {
      body = jsonLines(records)
      const secret = this.deps.sealer
        .open(sink.sealedSecret ?? '', sinkSealingContext(sink))
        .toString('utf8')
      headers = {
        'content-type': 'application/x-ndjson',
        ...webhookHeaders(secret, id, Math.floor(this.deps.now().getTime() / 1000), body),
      }
    } else {
      body = otlpLogs(records, sink.tenantId)
      headers = { 'content-type': 'application/json' }
    }
    const response = await fetcher.fetch(sink.url, {
      method: 'POST',
      headers,
      body,
      maxBytes: 65_536,
      timeoutMs: 10_000,
    })
    if (response.status < 200 || response.status >= 300)
      throw new Error(`the receiver answered ${String(response.status)}`)
  }
}
