import type { AuditEventType } from '../../domain/audit-events.js'
import { sql, type Kysely } from 'kysely'

import { GENESIS_HASH, type ChainHead } from '../../domain/audit-chain.js'

import { ValidationError } from '../../domain/errors.js'
import type {
  AuditEvent,
  AuditQuery,
  AuditStore,
  Page,
  SecretUsage,
  StoredAuditEvent,
  TokenAuditEvent,
} from '../contract.js'
import {
  chainRows,
  storedHead,
  tenantsOf,
  unchainedRows,
  type AuditRow,
} from './audit-chain-rows.js'
import type { SqlDialectName } from './dialect.js'
import { auditEventRow, ms } from './rows.js'
import type { Database } from './schema.js'
import type { SqliteTokenAudit } from './sqlite-token-audit.js'
import { acceptedEvents, recordedEvent } from './token-liveness.js'

/**
 * Appends rows to their tenants' hash chains inside the transaction `db` is: each tenant's head
 * row is locked (the upsert's row lock on PostgreSQL, so nodes append one at a time per
 * tenant; on SQLite it takes the write lock, and write transactions are serial), the rows are
 * chained after the head (see `storedHead` for where SQLite keeps it), and the head row moves on.
 */
export async function insertChained(
  db: Kysely<Database>,
  rows: readonly AuditRow[],
  options: { chain: boolean; dialect: SqlDialectName },
): Promise<void> {
  if (rows.length === 0) return
  if (!options.chain) {
    await db.insertInto('audit_events').values(unchainedRows(rows)).execute()
    return
  }
  const heads = new Map<string, ChainHead>()
  for (const tenantId of tenantsOf(rows)) {
    const head = await sql<ChainHead>`
      insert into audit_heads (tenant_id, seq, hash) values (${tenantId}, 0, ${GENESIS_HASH})
      on conflict (tenant_id) do update set seq = audit_heads.seq
      returning seq, hash`.execute(db)
    const row = head.rows[0]
    if (row === undefined) throw new Error('the audit head upsert returned no row')
    const current = options.dialect === 'sqlite' ? await storedHead(db, tenantId) : row
    heads.set(tenantId, { seq: current?.seq ?? row.seq, hash: current?.hash ?? row.hash })
  }
  await db.insertInto('audit_events').values(chainRows(rows, heads)).execute()
  for (const [tenantId, head] of heads) {
    await db
      .updateTable('audit_heads')
      .set({ seq: head.seq, hash: head.hash })
      .where('tenant_id', '=', tenantId)
      .execute()
  }
}

export class SqlAuditStore implements AuditStore {
  /** Inside a transaction: appends wait for its end (see `flushDeferred`). */
  #deferred: AuditRow[] = []

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialectName,
    private readonly usage: SecretUsage,
    private readonly options: {
      /** Whether `db` is a transaction. */
      inTransaction: boolean
      /** TOKENMINT_AUDIT_CHAIN; off only in benchmarks. */
      chain: boolean
      /** SQLite, outside transactions: the hot path's prepared-statement commit. */
      sqliteFastPath?: SqliteTokenAudit | undefined
    },
  ) {}

  get #chainOptions() {
    return { chain: this.options.chain, dialect: this.dialect }
  }

  async append(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return
    if (this.options.inTransaction) {
      this.#deferred.push(...events.map(auditEventRow))
      return
    }
    await this.db
      .transaction()
      .execute((trx) => insertChained(trx, events.map(auditEventRow), this.#chainOptions))
  }

  /**
   * Writes what a transaction appended, as its last step. Taking the tenant's audit head last
   * means a transaction holding it never waits for another lock, so audit appends cannot
   * deadlock with the row locks of management changes or of the token commit.
   */
  async flushDeferred(): Promise<void> {
    const rows = this.#deferred
    this.#deferred = []
    await insertChained(this.db, rows, this.#chainOptions)
  }

  async appendTokenEvents(events: readonly TokenAuditEvent[], now: Date): Promise<boolean[]> {
    if (events.length === 0) return []
    const nowMs = ms(now)
    const accepted =
      this.options.sqliteFastPath?.tryCommit(events, nowMs) ??
      (await this.#commitPortable(events, nowMs))
    // After the commit, never inside it (see SqlSecretUsage).
    const uses = events
      .filter((_, i) => accepted[i] === true)
      .map((e) => ({
        secretId: e.live.secretId,
        clientId: e.live.clientId,
        ip: e.live.ip,
        at: e.occurredAt,
      }))
    await this.usage.record(uses, now).catch(() => undefined)
    return accepted
  }

  #commitPortable(events: readonly TokenAuditEvent[], nowMs: number): Promise<boolean[]> {
    return this.db.transaction().execute(async (trx) => {
      const secretIds = [...new Set(events.map((e) => e.live.secretId))]
      // One read confirms each secret and its application are still live. FOR SHARE (Postgres):
      // a concurrent revoke's UPDATE waits for this commit, or this read waits for the revoke,
      // so no token is recorded after a revoke has committed. SQLite serialises write
      // transactions, which gives the same order.
      let live = trx
        .selectFrom('client_secrets as s')
        .innerJoin('applications as a', 'a.client_id', 's.client_id')
        .select([
          's.id as secret_id',
          's.expires_at as secret_expires_at',
          'a.client_id',
          'a.status',
          'a.expires_at as app_expires_at',
        ])
        .where('s.id', 'in', secretIds)
      if (this.dialect === 'postgres') live = live.forShare()
      const accepted = acceptedEvents(events, await live.execute(), nowMs)
      const rows = events.map((event, i) =>
        auditEventRow(recordedEvent(event, accepted[i] === true)),
      )
      await insertChained(trx, rows, this.#chainOptions)

      return accepted
    })
  }

  async list(query: AuditQuery): Promise<Page<StoredAuditEvent>> {
    let select = this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('tenant_id', '=', query.tenantId)
      .orderBy('id', 'desc')
      .limit(query.limit + 1)
    if (query.clientId !== undefined) select = select.where('client_id', '=', query.clientId)
    if (query.type !== undefined) select = select.where('type', '=', query.type)
    if (query.since !== undefined) select = select.where('occurred_at', '>=', ms(query.since))
    if (query.until !== undefined) select = select.where('occurred_at', '<', ms(query.until))
    if (query.cursor !== undefined) {
      const before = Number(query.cursor)
      if (!Number.isSafeInteger(before))
        throw new ValidationError('cursor', 'the cursor is not one this server issued')
      select = select.where('id', '<', before)
    }
    const rows = await select.execute()
    const items = rows.slice(0, query.limit).map((r): StoredAuditEvent => ({
      id: String(r.id),
      seq: r.seq,
      tenantId: r.tenant_id,
      occurredAt: new Date(r.occurred_at),
      // Only AuditEventType values are ever written (storage/contract's AuditEvent).
      type: r.type as AuditEventType,
      actor: r.actor,
      clientId: r.client_id,
      data: JSON.parse(r.data) as Record<string, unknown>,
    }))
    const last = items.at(-1)
    return { items, nextCursor: rows.length > query.limit && last !== undefined ? last.id : null }
  }
}
