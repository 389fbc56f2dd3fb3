import type SQLite from 'better-sqlite3'

import { GENESIS_HASH, type ChainHead } from '../../domain/audit-chain.js'
import type { TokenAuditEvent } from '../contract.js'
import { SQLITE_HEAD_SQL, chainRows, tenantsOf, unchainedRows } from './audit-chain-rows.js'
import { auditEventRow } from './rows.js'
import { acceptedEvents, recordedEvent, type LiveRow } from './token-liveness.js'

type InsertParams = [
  string,
  number,
  string,
  string,
  string | null,
  string,
  number | null,
  string | null,
  string | null,
]

/**
 * The token-audit commit on SQLite, written against better-sqlite3 directly rather than
 * through Kysely: it runs once per batch on the token endpoint's hot path, where building the
 * query and preparing its statement each time cost more than the commit itself (about a fifth
 * of the CPU per token in profiles). Statements prepared once — the liveness read takes its
 * secret ids as one JSON array, so its text never changes — run in one synchronous BEGIN
 * IMMEDIATE transaction, which also appends to each tenant's hash chain (its head, the newest
 * chained record, is read inside it, so no other writer, in this process or another, comes
 * between; `audit_heads` is left alone, see storedHead). Same semantics as the portable path
 * in audit-store.ts.
 */
export class SqliteTokenAudit {
  readonly #live: SQLite.Statement<[string], LiveRow>
  readonly #insert: SQLite.Statement<InsertParams>
  readonly #head: SQLite.Statement<[string, string], ChainHead>
  readonly #commit: SQLite.Transaction<
    (events: readonly TokenAuditEvent[], nowMs: number) => boolean[]
  >

  constructor(
    private readonly database: SQLite.Database,
    chain = true,
  ) {
    this.#live = database.prepare(
      `select s.id as secret_id, s.expires_at as secret_expires_at, a.client_id, a.status,
              a.expires_at as app_expires_at
         from client_secrets s join applications a on a.client_id = s.client_id
        where s.id in (select value from json_each(?))`,
    )
    this.#insert = database.prepare(
      `insert into audit_events
         (tenant_id, occurred_at, type, actor, client_id, data, seq, prev_hash, hash)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    this.#head = database.prepare(SQLITE_HEAD_SQL)
    this.#commit = database.transaction((events, nowMs) => {
      const ids = [...new Set(events.map((e) => e.live.secretId))]
      const accepted = acceptedEvents(events, this.#live.all(JSON.stringify(ids)), nowMs)
      const rows = events.map((event, i) =>
        auditEventRow(recordedEvent(event, accepted[i] === true)),
      )
      const heads = new Map<string, ChainHead>()
      if (chain)
        for (const tenantId of tenantsOf(rows))
          heads.set(tenantId, this.#head.get(tenantId, tenantId) ?? { seq: 0, hash: GENESIS_HASH })
      for (const r of chain ? chainRows(rows, heads) : unchainedRows(rows)) {
        this.#insert.run(
          r.tenant_id,
          r.occurred_at,
          r.type,
          r.actor,
          r.client_id,
          r.data,
          r.seq,
          r.prev_hash,
          r.hash,
        )
      }
      return accepted
    })
  }

  /**
   * Commits the batch and returns which events were accepted, or undefined while the
   * connection is inside a Kysely transaction (a nested call would join that transaction and
   * share its fate): the caller then takes the portable path, which waits its turn.
   */
  tryCommit(events: readonly TokenAuditEvent[], nowMs: number): boolean[] | undefined {
    if (this.database.inTransaction) return undefined
    return this.#commit.immediate(events, nowMs)
  }
}
