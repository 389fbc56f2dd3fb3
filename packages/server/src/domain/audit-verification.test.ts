import { describe, expect, it } from 'vitest'

import { GENESIS_HASH, extendChain, recordHash } from './audit-chain.js'
import { ChainVerifier, type StoredChainRecord } from './audit-verification.js'

function chain(n: number): StoredChainRecord[] {
  const records = Array.from({ length: n }, (_, i) => ({
    tenantId: 'acme',
    occurredAtMs: 1_700_000_000_000 + i,
    type: 'token.issued',
    actor: 'client:app',
    clientId: 'app',
    data: JSON.stringify({ n: i + 1 }),
  }))
  return extendChain({ seq: 0, hash: GENESIS_HASH }, records).chained
}

function verify(records: readonly StoredChainRecord[], head?: { seq: number; hash: string }) {
  const verifier = new ChainVerifier({ seq: 0, hash: GENESIS_HASH }, { head, window: 4 })
  for (const r of [...records].sort((a, b) => a.seq - b.seq)) verifier.push(r)
  return verifier.finish()
}

const kinds = (report: ReturnType<typeof verify>) =>
  report.findings.map((f) => [f.kind, f.seq, f.through])

describe('audit chain verification', () => {
  const clean = chain(20)
  const head = { seq: 20, hash: clean[19]?.hash ?? '' }
  const at = (records: StoredChainRecord[], seq: number) => {
    const r = records.find((x) => x.seq === seq)
    if (r === undefined) throw new Error(`no #${String(seq)}`)
    return r
  }

  it('a clean chain verifies to its end', () => {
    const report = verify(clean, head)
    expect(report).toMatchObject({ ok: true, records: 20, verifiedThrough: 20, findings: [] })
  })

  it('names a record whose content was edited', () => {
    const edited = clean.map((r) => (r.seq === 7 ? { ...r, data: '{"n":700}' } : r))
    const report = verify(edited, head)
    expect(kinds(report)).toEqual([['changed', 7, undefined]])
    expect(report.verifiedThrough).toBe(6)
  })

  it('names a record rewritten with a freshly computed hash by the record after it', () => {
    const edited = clean.map((r) => {
      if (r.seq !== 7) return r
      const changed = { ...r, actor: 'client:someone-else' }
      return { ...changed, hash: recordHash(changed.prevHash, changed) }
    })
    expect(kinds(verify(edited, head))).toEqual([['changed', 7, undefined]])
  })

  it('names removed records, in the middle and at the end', () => {
    expect(
      kinds(
        verify(
          clean.filter((r) => r.seq !== 5 && r.seq !== 6),
          head,
        ),
      ),
    ).toEqual([['removed', 5, 6]])
    expect(
      kinds(
        verify(
          clean.filter((r) => r.seq < 18),
          head,
        ),
      ),
    ).toEqual([['removed', 18, 20]])
  })

  it('names a record inserted with a number already taken, whichever is stored first', () => {
    const forged = { ...at(clean, 9), data: '{"n":"forged"}', hash: 'x'.repeat(43) }
    expect(kinds(verify([...clean, forged], head))).toEqual([['inserted', 9, undefined]])
    expect(kinds(verify([forged, ...clean], head))).toEqual([['inserted', 9, undefined]])
  })

  it('names an inserted record when the ones after it were renumbered', () => {
    const before = clean.filter((r) => r.seq < 10)
    const prev = at(clean, 9)
    const content = { ...at(clean, 10), seq: 10, data: '{"n":"forged"}' }
    const forged = { ...content, prevHash: prev.hash, hash: recordHash(prev.hash, content) }
    const shifted = clean.filter((r) => r.seq >= 10).map((r) => ({ ...r, seq: r.seq + 1 }))
    const report = verify([...before, forged, ...shifted], { seq: 21, hash: head.hash })
    expect(kinds(report)).toEqual([
      ['inserted', 10, undefined],
      ['reordered', 11, 21],
    ])
    expect(report.findings[1]?.message).toContain('each holds the record written 1 lower')
  })

  it('names a removal followed by renumbering', () => {
    const shifted = clean
      .filter((r) => r.seq !== 12)
      .map((r) => (r.seq > 12 ? { ...r, seq: r.seq - 1 } : r))
    const report = verify(shifted, { seq: 19, hash: head.hash })
    expect(kinds(report)).toEqual([
      ['removed', 12, undefined],
      ['reordered', 12, 19],
    ])
  })

  it('names two records that swapped places', () => {
    const swapped = clean.map((r) =>
      r.seq === 4 ? { ...r, seq: 5 } : r.seq === 5 ? { ...r, seq: 4 } : r,
    )
    const report = verify(swapped, head)
    expect(kinds(report)).toEqual([
      ['reordered', 4, undefined],
      ['reordered', 5, undefined],
    ])
    expect(report.findings.map((f) => f.message)).toEqual([
      'record #4 holds the record written as #5',
      'record #5 holds the record written as #4',
    ])
  })

  it('a checkpoint catches a consistent rewrite of the whole history before it', () => {
    const rewritten = extendChain(
      { seq: 0, hash: GENESIS_HASH },
      clean.map((r) => ({ ...r, actor: r.seq === 3 ? 'client:hidden' : r.actor })),
    ).chained
    const checkpoint = { seq: 10, hash: at(clean, 10).hash, time: '2026-11-30T00:00:00.000Z' }
    const verifier = new ChainVerifier(
      { seq: 0, hash: GENESIS_HASH },
      { checkpoints: [checkpoint] },
    )
    for (const r of rewritten) verifier.push(r)
    const report = verifier.finish()
    expect(kinds(report)).toEqual([['checkpoint_mismatch', 10, undefined]])
    expect(report.checkpointsChecked).toBe(1)
  })

  it('starts from a retention cut and refuses records cut away being put back', () => {
    const cut = at(clean, 8)
    const verifier = new ChainVerifier({ seq: 8, hash: cut.hash }, { head })
    for (const r of clean.filter((x) => x.seq > 8)) verifier.push(r)
    expect(verifier.finish()).toMatchObject({ ok: true, first: 9, verifiedThrough: 20 })
    const again = new ChainVerifier({ seq: 8, hash: cut.hash }, { head })
    for (const r of clean.filter((x) => x.seq > 9)) again.push(r)
    expect(kinds(again.finish())).toEqual([['removed', 9, undefined]])
  })
})
