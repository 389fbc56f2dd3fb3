import { hash as digest } from 'node:crypto'

/**
 * The audit log's hash chain. Every record of a tenant has a sequence number (1, 2, 3, … with
 * no gaps) and a hash over its canonical content and the previous record's hash, so changing,
 * removing, inserting or reordering a stored record breaks the chain at that record. Hashing
 * the record's sequence number too is what makes a reordering show as one.
 *
 * This module is pure (no storage, no keys): the server uses it when it writes records, and
 * `tokenmint audit verify --file` uses it offline on an export.
 */

/** The "previous hash" of a tenant's first record: 32 zero bytes, base64url. */
export const GENESIS_HASH = 'A'.repeat(43)

/** Names the canonical form below; a future format would hash with another tag. */
const FORMAT = 'tokenmint-audit-v1'

/** A record's content as it is stored: `data` is the exact JSON text of the `data` column. */
export interface ChainContent {
  tenantId: string
  seq: number
  occurredAtMs: number
  type: string
  actor: string
  clientId: string | null
  data: string
}

export interface ChainLink {
  prevHash: string
  hash: string
}

export interface ChainHead {
  seq: number
  hash: string
}

/**
 * SHA-256, base64url, over one line of JSON (an array of the record's fields in a fixed order,
 * ending with the previous hash), a newline, and the record's `data` text exactly as stored.
 * A JSON array of strings, integers and null has exactly one serialisation and ends where its
 * brackets close, so every implementation that follows docs/audit.md hashes the same bytes;
 * `data` follows as is rather than inside the array, which would escape it for nothing (this
 * runs once per token).
 */
export function recordHash(prevHash: string, r: ChainContent): string {
  const head = JSON.stringify([
    FORMAT,
    r.tenantId,
    r.seq,
    r.occurredAtMs,
    r.type,
    r.actor,
    r.clientId,
    prevHash,
  ])
  return digest('sha256', `${head}\n${r.data}`, 'base64url')
}

/**
 * Gives `records` (all of one tenant, in the order they are written) the sequence numbers and
 * hashes that follow `head`, and returns the new head.
 */
export function extendChain<T extends Omit<ChainContent, 'seq'>>(
  head: ChainHead,
  records: readonly T[],
): { chained: (T & ChainLink & { seq: number })[]; head: ChainHead } {
  let { seq, hash } = head
  const chained = records.map((record) => {
    seq += 1
    const prevHash = hash
    hash = recordHash(prevHash, { ...record, seq })
    return { ...record, seq, prevHash, hash }
  })
  return { chained, head: { seq, hash } }
}
