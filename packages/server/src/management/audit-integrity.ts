import type { JSONWebKeySet } from 'jose'

import { GENESIS_HASH, type ChainHead } from '../domain/audit-chain.js'
import type { ExportHeader } from '../domain/audit-export.js'
import { ValidationError } from '../domain/errors.js'
import type {
  AuditCheckpoint,
  AuditCheckpointKind,
  ChainedAuditRecord,
  Storage,
} from '../storage/contract.js'
import { checkChain, openCheckpoint, type ChainCheck } from './audit-chain-check.js'
import {
  auditKeySet,
  currentKey,
  requireTenant,
  signCheckpoint,
  type AuditDeps as Deps,
} from './audit-keys.js'

/** Signs and stores a checkpoint of `at` (the head, or the last record before a cut). */
async function addCheckpoint(
  deps: Deps,
  storage: Storage,
  tenantId: string,
  at: ChainHead,
  kind: AuditCheckpointKind,
): Promise<AuditCheckpoint> {
  const key = await currentKey(deps, storage, tenantId)
  const now = deps.now()
  const claims = { tenant: tenantId, seq: at.seq, hash: at.hash, kind, time: now.toISOString() }
  const checkpoint: AuditCheckpoint = {
    tenantId,
    seq: at.seq,
    hash: at.hash,
    kind,
    createdAt: now,
    kid: key.kid,
    jws: await signCheckpoint(deps, key, claims),
  }
  await storage.auditChain.addCheckpoint(checkpoint)
  return checkpoint
}

/** A checkpoint of the chain as it is now, asked for by an administrator. */
export async function checkpointNow(deps: Deps, tenantId: string): Promise<AuditCheckpoint> {
  return deps.storage.transaction(async (storage) => {
    await requireTenant(storage, tenantId)
    await storage.tenants.lockForChange(tenantId)
    const head = (await storage.auditChain.head(tenantId)) ?? { seq: 0, hash: GENESIS_HASH }
    return addCheckpoint(deps, storage, tenantId, head, 'on_demand')
  })
}

/**
 * The scheduled checkpoint: taken when the chain has grown since the last one and that one is
 * older than `dueBefore`. Decided under the tenant's lock, so nodes ticking together sign once.
 */
export async function checkpointIfDue(
  deps: Deps,
  tenantId: string,
  dueBefore: Date,
): Promise<AuditCheckpoint | undefined> {
  return deps.storage.transaction(async (storage) => {
    await storage.tenants.lockForChange(tenantId)
    const head = await storage.auditChain.head(tenantId)
    const latest = await storage.auditChain.latestCheckpoint(tenantId)
    if (head === undefined) return undefined
    if (latest !== undefined && (latest.seq >= head.seq || latest.createdAt > dueBefore))
      return undefined
    return addCheckpoint(deps, storage, tenantId, head, 'scheduled')
  })
}

export async function listCheckpoints(deps: Deps, tenantId: string): Promise<AuditCheckpoint[]> {
  await requireTenant(deps.storage, tenantId)
  return deps.storage.auditChain.checkpoints(tenantId)
}

/**
 * Retention: removes the records written before `before`, after signing a `cut` checkpoint of
 * the last one removed. What remains verifies from that checkpoint; the cut itself is recorded
 * in the chain (`audit.pruned`).
 */
export async function pruneAudit(
  deps: Deps,
  tenantId: string,
  before: Date,
): Promise<{ through: number; removed: number } | undefined> {
  return deps.storage.transaction(async (storage) => {
    await storage.tenants.lockForChange(tenantId)
    const last = await storage.auditChain.lastBefore(tenantId, before)
    if (last === undefined) return undefined
    await addCheckpoint(deps, storage, tenantId, { seq: last.seq, hash: last.hash }, 'cut')
    const removed = await storage.auditChain.removeThrough(tenantId, last.seq)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: deps.now(),
        type: 'audit.pruned',
        actor: 'system',
        clientId: null,
        data: { through_seq: last.seq, before: before.toISOString(), removed },
      },
    ])
    return { through: last.seq, removed }
  })
}

/** Up to `limit` records numbered after `seq`, in order (streams and sinks resume this way). */
export function recordsAfter(
  storage: Storage,
  tenantId: string,
  seq: number,
  limit: number,
): Promise<ChainedAuditRecord[]> {
  return storage.auditChain.records(
    tenantId,
    { seq, id: Number.MAX_SAFE_INTEGER },
    undefined,
    limit,
  )
}

export async function* storedRecords(
  storage: Storage,
  tenantId: string,
  fromSeq: number,
  through: number | undefined,
): AsyncGenerator<ChainedAuditRecord> {
  let after = { seq: fromSeq - 1, id: Number.MAX_SAFE_INTEGER }
  for (;;) {
    const page = await storage.auditChain.records(tenantId, after, through, 2000)
    yield* page
    const last = page.at(-1)
    if (last === undefined || page.length < 2000) return
    after = { seq: last.seq, id: last.id }
  }
}

/**
 * Where a check or an export starts: after the newest retention cut whose signature verifies,
 * or after record `from` − 1 when that is later.
 */
async function startOf(
  storage: Storage,
  tenantId: string,
  keys: JSONWebKeySet,
  checkpoints: readonly AuditCheckpoint[],
  from: number | undefined,
): Promise<ChainHead> {
  let anchor: ChainHead = { seq: 0, hash: GENESIS_HASH }
  // Newest first, stopping at the first whose signature verifies: a cut is taken every hour
  // under a retention policy, and every one is checked again by the verification itself. Were
  // the stored numbers edited to reorder them, an older cut is chosen and the records between
  // show as removed: never a later start than the signatures allow.
  const cuts = checkpoints.filter((c) => c.kind === 'cut').sort((a, b) => b.seq - a.seq)
  for (const cut of cuts) {
    const opened = await openCheckpoint(cut.jws, tenantId, keys)
    if ('claims' in opened) {
      anchor = { seq: opened.claims.seq, hash: opened.claims.hash }
      break
    }
  }
  if (from !== undefined && from - 1 > anchor.seq) {
    const before = await storage.auditChain.recordAt(tenantId, from - 1)
    if (before === undefined)
      throw new ValidationError('from', `there is no record #${String(from - 1)} to start after`)
    anchor = { seq: before.seq, hash: before.hash }
  }
  return anchor
}

export interface AuditRange {
  from?: number | undefined
  to?: number | undefined
}

async function openRange(deps: Deps, tenantId: string, range: AuditRange) {
  const { storage } = deps
  const keys = await auditKeySet(deps, tenantId) // 404 for an unknown tenant
  if (range.from !== undefined && range.to !== undefined && range.to < range.from)
    throw new ValidationError('to', 'must not be below from')
  const checkpoints = await storage.auditChain.checkpoints(tenantId)
  const anchor = await startOf(storage, tenantId, keys, checkpoints, range.from)
  const head = range.to === undefined ? await storage.auditChain.head(tenantId) : undefined
  // From the start of what is stored: a record put back below a cut is an insertion.
  const records = storedRecords(storage, tenantId, range.from ?? 0, range.to)
  return { keys, checkpoints, anchor, head, records }
}

/**
 * Verifies the tenant's chain as stored, from the retention cut (or `from`) to the head (or
 * `to`), against every signed checkpoint.
 */
export async function verifyAudit(
  deps: Deps,
  tenantId: string,
  range: AuditRange = {},
): Promise<ChainCheck> {
  const opened = await openRange(deps, tenantId, range)
  return checkChain({ tenantId, ...opened, through: range.to })
}

/** What `audit/export` writes: a header, the signed checkpoints, then the records in order. */
export async function exportAudit(
  deps: Deps,
  tenantId: string,
  range: AuditRange = {},
): Promise<{
  header: ExportHeader
  checkpoints: AuditCheckpoint[]
  records: AsyncIterable<ChainedAuditRecord>
}> {
  const opened = await openRange(deps, tenantId, range)
  return {
    header: {
      format: 'tokenmint-audit-export-v1',
      tenant: tenantId,
      exported_at: deps.now().toISOString(),
      anchor: opened.anchor,
      head: opened.head ?? null,
    },
    checkpoints: opened.checkpoints,
    records: opened.records,
  }
}
