import type { StoredChainRecord } from './audit-verification.js'

/**
 * One audit record as exported and streamed (`audit/export`, `audit/stream`, `tokenmint audit
 * tail`): every field the chain hashes, so a copy verifies offline. `data` is the stored JSON
 * text parsed; serialising it again with JSON.stringify gives back the hashed text.
 */
export interface ExportedRecord {
  seq: number
  tenant_id: string
  occurred_at: string
  type: string
  actor: string
  client_id: string | null
  data: unknown
  prev_hash: string
  hash: string
}

/** The first line of an export: what it covers and where its chain starts. */
export interface ExportHeader {
  format: 'tokenmint-audit-export-v1'
  tenant: string
  exported_at: string
  /** The record before the first one exported (number 0 and the genesis hash from the start). */
  anchor: { seq: number; hash: string }
  /** The chain's head when exported in full, so records cut off the end are found. */
  head: { seq: number; hash: string } | null
}

export function exportedRecord(r: StoredChainRecord): ExportedRecord {
  return {
    seq: r.seq,
    tenant_id: r.tenantId,
    occurred_at: new Date(r.occurredAtMs).toISOString(),
    type: r.type,
    actor: r.actor,
    client_id: r.clientId,
    data: JSON.parse(r.data) as unknown,
    prev_hash: r.prevHash,
    hash: r.hash,
  }
}

/** Reads a record back for verification; throws on a line that is not one. */
export function recordFromExport(value: unknown): StoredChainRecord {
  const v = value as Partial<Record<keyof ExportedRecord, unknown>>
  const occurredAtMs = typeof v.occurred_at === 'string' ? Date.parse(v.occurred_at) : NaN
  if (
    typeof v !== 'object' ||
    !Number.isSafeInteger(v.seq) ||
    typeof v.tenant_id !== 'string' ||
    Number.isNaN(occurredAtMs) ||
    typeof v.type !== 'string' ||
    typeof v.actor !== 'string' ||
    !(typeof v.client_id === 'string' || v.client_id === null) ||
    typeof v.prev_hash !== 'string' ||
    typeof v.hash !== 'string'
  )
    throw new Error('not an exported audit record')
  return {
    seq: v.seq as number,
    tenantId: v.tenant_id,
    occurredAtMs,
    type: v.type,
    actor: v.actor,
    clientId: v.client_id,
    data: JSON.stringify(v.data),
    prevHash: v.prev_hash,
    hash: v.hash,
  }
}
