import { recordHash, type ChainContent, type ChainHead, type ChainLink } from './audit-chain.js'

/**
 * Recomputes an audit chain and names what was done to it. Records are pushed in stored order
 * (sequence number, then insertion order) and checked against the chain they should form:
 *
 * - changed: a record's content no longer matches its hash, or it was given a new hash that the
 *   next record does not link to;
 * - removed: a gap in the numbers, a record linking past a missing one, or a head or checkpoint
 *   beyond the last record;
 * - inserted: a second record with a number, a record nothing links to, or one past the head;
 * - reordered: a record whose hash matches its content at another number (moves and
 *   renumbering; a run with the same shift is reported once);
 * - checkpoint_mismatch: a signed checkpoint names a different hash for its record.
 *
 * Streaming, so a log of any length verifies in bounded memory: a window of records on either
 * side of the one being checked is kept to find where a moved record came from.
 */

export interface StoredChainRecord extends ChainContent, ChainLink {}

/** A signed checkpoint whose signature has already been verified. */
export interface TrustedCheckpoint {
  seq: number
  hash: string
  time: string
}

export type FindingKind = 'changed' | 'removed' | 'inserted' | 'reordered' | 'checkpoint_mismatch'

export interface Finding {
  kind: FindingKind | 'checkpoint_invalid'
  /** The first record concerned, and the last when it is a run. */
  seq: number
  through?: number
  message: string
}

export interface ChainReport {
  ok: boolean
  records: number
  /** The first and last sequence number seen. */
  first: number | null
  last: number | null
  /** Every record up to this one verified (the anchor's number when the first one failed). */
  verifiedThrough: number
  checkpointsChecked: number
  findings: Finding[]
  /** Findings beyond the reported ones, when there were very many. */
  moreFindings: number
}

const MAX_FINDINGS = 1000

const range = (from: number, to: number) => (from === to ? `#${from}` : `#${from}–#${to}`)

export class ChainVerifier {
  readonly #window: number
  #prev: ChainHead
  readonly #ahead: StoredChainRecord[] = []
  readonly #behind: StoredChainRecord[] = []
  readonly #byHash = new Map<string, StoredChainRecord>()
  readonly #flagged = new Set<number>()
  readonly #checkpoints = new Map<number, TrustedCheckpoint[]>()
  readonly #findings: Finding[] = []
  #records = 0
  #first: number | null = null
  #last: number | null = null
  #checkpointsChecked = 0
  #firstFailure: number | null = null
  readonly #anchorSeq: number

  constructor(
    /** The record before the first to check: genesis, a retention cut, or `--from` − 1. */
    anchor: ChainHead,
    private readonly expect: {
      checkpoints?: readonly TrustedCheckpoint[]
      /** The stored head, when checking to the end of the chain. */
      head?: ChainHead | undefined
      window?: number
    } = {},
  ) {
    this.#prev = anchor
    this.#anchorSeq = anchor.seq
    this.#window = expect.window ?? 2000
    for (const cp of expect.checkpoints ?? []) {
      if (cp.seq <= anchor.seq) continue
      this.#checkpoints.set(cp.seq, [...(this.#checkpoints.get(cp.seq) ?? []), cp])
    }
  }

  push(record: StoredChainRecord): void {
    this.#records++
    this.#first ??= record.seq
    this.#last = Math.max(this.#last ?? record.seq, record.seq)
    this.#ahead.push(record)
    this.#byHash.set(record.hash, record)
    while (this.#ahead.length > this.#window) this.#step(false)
  }

  finish(): ChainReport {
    while (this.#ahead.length > 0) this.#step(true)
    const head = this.expect.head
    let tailEnd = head?.seq ?? this.#prev.seq
    let tailWhy = `the chain's head is #${String(tailEnd)}`
    for (const [seq, cps] of this.#checkpoints) {
      if (seq > tailEnd) {
        tailEnd = seq
        tailWhy = `a checkpoint signed at ${cps[0]?.time ?? '?'} covers #${String(seq)}`
      }
    }
    if (tailEnd > this.#prev.seq) {
      this.#report({
        kind: 'removed',
        seq: this.#prev.seq + 1,
        through: tailEnd,
        message: `${this.#prev.seq + 1 === tailEnd ? 'record' : 'records'} ${range(this.#prev.seq + 1, tailEnd)} ${this.#prev.seq + 1 === tailEnd ? 'was' : 'were'} removed from the end (${tailWhy})`,
      })
    } else if (head !== undefined && head.seq === this.#prev.seq && head.hash !== this.#prev.hash) {
      this.#report({
        kind: 'changed',
        seq: head.seq,
        message: `record #${String(head.seq)} was changed: the chain's head names another hash for it`,
      })
    }
    const findings = collapse(this.#findings)
    return {
      ok: findings.length === 0,
      records: this.#records,
      first: this.#first,
      last: this.#last,
      verifiedThrough:
        this.#firstFailure === null
          ? Math.max(this.#prev.seq, this.#last ?? 0)
          : this.#firstFailure - 1,
      checkpointsChecked: this.#checkpointsChecked,
      findings: findings.slice(0, MAX_FINDINGS),
      moreFindings: Math.max(0, findings.length - MAX_FINDINGS),
    }
  }

  /** Checks the next group of records that share a sequence number. */
  #step(finishing: boolean): void {
    const first = this.#ahead[0]
    if (first === undefined) return
    let size = 1
    while (this.#ahead[size]?.seq === first.seq) size++
    // A group is only complete once a later number has arrived, or at the end.
    if (!finishing && size === this.#ahead.length) return
    const group = this.#ahead.splice(0, size)
    this.#checkGroup(first.seq, group)
    for (const r of group) this.#behind.push(r)
    while (this.#behind.length > this.#window) {
      const old = this.#behind.shift()
      if (old === undefined) break
      if (this.#byHash.get(old.hash) === old) this.#byHash.delete(old.hash)
      this.#flagged.delete(old.seq)
    }
  }

  #checkGroup(seq: number, group: StoredChainRecord[]): void {
    const prev = this.#prev
    const head = this.expect.head
    if (seq <= prev.seq) {
      // Numbers are never reused: at or below where the check starts, or already checked.
      const why =
        seq <= this.#anchorSeq
          ? `the check starts after #${String(this.#anchorSeq)}, and records up to it were removed or are not part of this check`
          : `a second record numbered #${String(seq)}`
      for (const r of group) this.#inserted(r.seq, why)
      return
    }
    if (head !== undefined && seq > head.seq) {
      for (const r of group)
        this.#inserted(r.seq, `it is beyond the chain's head #${String(head.seq)}`)
      return
    }
    const intact = (r: StoredChainRecord) => recordHash(r.prevHash, r) === r.hash
    const genuine =
      group.find((r) => r.prevHash === prev.hash && intact(r)) ?? group.find(intact) ?? group[0]
    if (genuine === undefined) return
    for (const r of group) {
      if (r !== genuine) this.#inserted(seq, `a second record numbered #${String(seq)}`)
    }
    const r = genuine
    const linked = r.prevHash === prev.hash ? prev : this.#byHash.get(r.prevHash)

    if (seq > prev.seq + 1) {
      this.#report({
        kind: 'removed',
        seq: prev.seq + 1,
        through: seq - 1,
        message: `${seq - 1 === prev.seq + 1 ? 'record' : 'records'} ${range(prev.seq + 1, seq - 1)} ${seq - 1 === prev.seq + 1 ? 'was' : 'were'} removed`,
      })
    }
    if (linked !== undefined && linked.seq < prev.seq && linked.seq < seq - 1) {
      // It links past records that are present: those were inserted.
      for (let s = linked.seq + 1; s < seq; s++) {
        if (s > prev.seq || this.#flagged.has(s)) continue
        this.#inserted(s, `record #${String(seq)} links past it to #${String(linked.seq)}`)
      }
    }
    if (!intact(r)) {
      const candidates = new Set([
        ...(linked === undefined ? [] : [linked.seq + 1]),
        seq - 1,
        seq + 1,
      ])
      candidates.delete(seq)
      const writtenAs = [...candidates].find(
        (s) => s > 0 && recordHash(r.prevHash, { ...r, seq: s }) === r.hash,
      )
      if (writtenAs === undefined) {
        this.#report({
          kind: 'changed',
          seq,
          message: `record #${String(seq)} was changed: its content no longer matches its hash`,
        })
      } else {
        if (linked === undefined && r.prevHash !== prev.hash && seq === prev.seq + 1) {
          this.#report({
            kind: 'removed',
            seq: writtenAs - 1,
            message: `the record written as #${String(writtenAs - 1)} was removed and the records after it renumbered`,
          })
        }
        this.#report({
          kind: 'reordered',
          seq,
          through: writtenAs,
          message: `record #${String(seq)} holds the record written as #${String(writtenAs)}`,
        })
      }
    } else if (seq === prev.seq + 1 && r.prevHash !== prev.hash) {
      if (linked === undefined && !this.#flagged.has(prev.seq)) {
        this.#report({
          kind: 'changed',
          seq: prev.seq,
          message: `record #${String(prev.seq)} was rewritten: record #${String(seq)} still links to its original hash`,
        })
      } else if (linked !== undefined && linked.seq > seq) {
        this.#report({
          kind: 'reordered',
          seq,
          through: seq,
          message: `record #${String(seq)} links to #${String(linked.seq)}, which comes after it`,
        })
      }
    }
    this.#prev = { seq, hash: r.hash }
    for (const cp of this.#checkpoints.get(seq) ?? []) {
      this.#checkpointsChecked++
      if (cp.hash !== r.hash)
        this.#report({
          kind: 'checkpoint_mismatch',
          seq,
          message: `record #${String(seq)} does not match the checkpoint signed at ${cp.time}: the history up to #${String(seq)} was rewritten`,
        })
    }
    this.#checkpoints.delete(seq)
  }

  #inserted(seq: number, why: string): void {
    this.#report({ kind: 'inserted', seq, message: `record #${String(seq)} was inserted: ${why}` })
  }

  #report(finding: Finding): void {
    this.#flagged.add(finding.seq)
    if (this.#firstFailure === null || finding.seq < this.#firstFailure)
      this.#firstFailure = finding.seq
    this.#findings.push(finding)
  }
}

/**
 * Runs of records that each hold the record written a fixed distance away (renumbering after
 * an insertion or removal) become one finding. For other `reordered` findings `through` holds
 * the number the record was written as, which is dropped here.
 */
function collapse(findings: readonly Finding[]): Finding[] {
  const out: Finding[] = []
  let run: { seq: number; through: number; shift: number } | undefined
  const flush = () => {
    if (run === undefined) return
    if (run.seq === run.through) {
      out.push({
        kind: 'reordered',
        seq: run.seq,
        message: `record #${String(run.seq)} holds the record written as #${String(run.seq + run.shift)}`,
      })
    } else {
      const how = `${String(Math.abs(run.shift))} ${run.shift < 0 ? 'lower' : 'higher'}`
      out.push({
        kind: 'reordered',
        seq: run.seq,
        through: run.through,
        message: `records ${range(run.seq, run.through)} were renumbered: each holds the record written ${how}`,
      })
    }
    run = undefined
  }
  for (const f of findings) {
    if (f.kind === 'reordered' && f.through !== undefined && f.through !== f.seq) {
      const shift = f.through - f.seq
      if (run !== undefined && run.shift === shift && run.through + 1 === f.seq) {
        run.through = f.seq
        continue
      }
      flush()
      run = { seq: f.seq, through: f.seq, shift }
      continue
    }
    flush()
    out.push(
      f.kind === 'reordered' || f.through === f.seq
        ? { kind: f.kind, seq: f.seq, message: f.message }
        : f,
    )
  }
  flush()
  return out
}
