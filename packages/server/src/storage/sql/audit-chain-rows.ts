import { recordHash, type ChainHead } from '../../domain/audit-chain.js'
import type { auditEventRow } from './rows.js'

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
