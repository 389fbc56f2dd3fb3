import type { Kysely } from 'kysely'

import { recordHash, type ChainHead } from '../../domain/audit-chain.js'
import type { auditEventRow } from './rows.js'
import type { Database } from './schema.js'

export type AuditRow = ReturnType<typeof auditEventRow>
export type ChainedAuditRow = AuditRow & {
  seq: number | null
  prev_hash: string | null
  hash: string | null
}

/**
 * Gives each row its tenant's next sequence number and hash (domain/audit-chain), advancing
 * `heads`, which must hold the current head of every tenant in `rows`. Shared by the portable
 * write and the SQLite hot path, so both chain identically.
 */
export function chainRows(
  rows: readonly AuditRow[],
  heads: Map<string, ChainHead>,
): ChainedAuditRow[] {
  return rows.map((r) => {
    const head = heads.get(r.tenant_id)
    if (head === undefined) throw new Error(`no audit head read for tenant ${r.tenant_id}`)
    const seq = head.seq + 1
    const hash = recordHash(head.hash, {
      tenantId: r.tenant_id,
      seq,
      occurredAtMs: r.occurred_at,
      type: r.type,
      actor: r.actor,
      clientId: r.client_id,
      data: r.data,
    })
    heads.set(r.tenant_id, { seq, hash })
    return { ...r, seq, prev_hash: head.hash, hash }
  })
}

/** The rows as written when the chain is off (TOKENMINT_AUDIT_CHAIN=off, benchmarks only). */
export function unchainedRows(rows: readonly AuditRow[]): ChainedAuditRow[] {
  return rows.map((r) => ({ ...r, seq: null, prev_hash: null, hash: null }))
}

/** Tenants in a fixed order: heads are locked in it, so two writers never deadlock. */
export function tenantsOf(rows: readonly AuditRow[]): string[] {
  return [...new Set(rows.map((r) => r.tenant_id))].sort()
}

/**
 * Where a tenant's head is kept. On PostgreSQL every writer moves `audit_heads` under its row
 * lock, so that row is the head. On SQLite the token hot path does not move it: that write
 * dirtied one more page per commit, about half of what the chain cost there; the newest chained
 * record is the head, and `audit_heads` is a floor that holds it when retention has removed
 * every record (`raiseHeadFloor`). Both readers below take the newer of the two.
 *
 * The hot path's prepared form of `storedHead` (two parameters, both the tenant).
 */
export const SQLITE_HEAD_SQL = `
  select seq, hash from (
    select seq, hash from audit_events where tenant_id = ? and seq is not null
     order by seq desc limit 1)
  union all select seq, hash from audit_heads where tenant_id = ?
  order by seq desc limit 1`

/** The tenant's head: the newer of its last chained record and its `audit_heads` row. */
export async function storedHead(
  db: Kysely<Database>,
  tenantId: string,
): Promise<ChainHead | undefined> {
  const floor = await db
    .selectFrom('audit_heads')
    .select(['seq', 'hash'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst()
  const last = await db
    .selectFrom('audit_events')
    .select(['seq', 'hash'])
    .where('tenant_id', '=', tenantId)
    .where('seq', 'is not', null)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst()
  const record =
    last?.seq != null && last.hash !== null ? { seq: last.seq, hash: last.hash } : undefined
  if (floor === undefined) return record
  const head = { seq: floor.seq, hash: floor.hash }
  return record !== undefined && record.seq > head.seq ? record : head
}

/**
 * Before records are removed: moves the `audit_heads` floor up to the newest record, so the
 * head survives even if every record goes.
 */
export async function raiseHeadFloor(db: Kysely<Database>, tenantId: string): Promise<void> {
  const head = await storedHead(db, tenantId)
  if (head === undefined) return
  await db
    .insertInto('audit_heads')
    .values({ tenant_id: tenantId, seq: head.seq, hash: head.hash })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ seq: head.seq, hash: head.hash }))
    .execute()
}
