import { describe, expect, it } from 'vitest'

import { GroupCommitAuditSink } from './audit-group-commit.js'
import type { AuditEvent, TokenAuditEvent } from './contract.js'

/**
 * A store whose commits finish only when the test says so, recording each batch: what the
 * sink batches and how many batches it has in flight at once is the behaviour under test.
 */
function heldStore() {
  const batches: string[][] = []
  const pending: Array<() => void> = []
  let inFlight = 0
  let maxInFlight = 0
  return {
    batches,
    get maxInFlight() {
      return maxInFlight
    },
    releaseAll() {
      for (const release of pending.splice(0)) release()
    },
    store: {
      async appendTokenEvents(events: readonly TokenAuditEvent[]): Promise<boolean[]> {
        batches.push(events.map((e) => e.actor))
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        await new Promise<void>((resolve) => pending.push(resolve))
        inFlight--
        return events.map(() => true)
      },
      async append(_events: readonly AuditEvent[]): Promise<void> {},
    },
  }
}

const token = (actor: string): TokenAuditEvent => ({
  tenantId: 't',
  occurredAt: new Date(),
  type: 'token.issued',
  actor,
  clientId: actor,
  data: {},
  live: { secretId: `s-${actor}`, clientId: actor, ip: '127.0.0.1' },
})

const turn = () => new Promise((resolve) => setImmediate(resolve))

describe('GroupCommitAuditSink', () => {
  it('commits one batch at a time by default: what arrives meanwhile waits for the next', async () => {
    const held = heldStore()
    const sink = new GroupCommitAuditSink(held.store, () => new Date())
    const first = [sink.recordToken(token('a')), sink.recordToken(token('b'))]
    await turn()
    const second = [sink.recordToken(token('c')), sink.recordToken(token('d'))]
    await turn()
    expect(held.batches).toEqual([['a', 'b']])
    held.releaseAll()
    await Promise.all(first)
    await turn()
    expect(held.batches).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ])
    held.releaseAll()
    expect(await Promise.all(second)).toEqual([true, true])
    expect(held.maxInFlight).toBe(1)
  })

  it('with concurrency 2, starts a second batch while the first is committing, never a third', async () => {
    const held = heldStore()
    const sink = new GroupCommitAuditSink(held.store, () => new Date(), { concurrency: 2 })
    const all = [sink.recordToken(token('a'))]
    await turn()
    all.push(sink.recordToken(token('b')))
    await turn()
    all.push(sink.recordToken(token('c')), sink.recordToken(token('d')))
    await turn()
    expect(held.batches).toEqual([['a'], ['b']])
    held.releaseAll()
    await turn()
    await turn()
    // Both committers came back for the rest of the queue: one took it all.
    expect(held.batches).toEqual([['a'], ['b'], ['c', 'd']])
    held.releaseAll()
    expect(await Promise.all(all)).toEqual([true, true, true, true])
    expect(held.maxInFlight).toBe(2)
    await sink.drain()
  })
})
