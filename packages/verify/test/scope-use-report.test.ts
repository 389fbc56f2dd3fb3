import http from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { authenticate } from '../src/adapters/node.js'
import {
  authorize,
  createVerifier,
  requireScopes,
  type ScopeUseReportOptions,
  type Verifier,
} from '../src/index.js'
import {
  startFakeAuthorizationServer,
  type FakeAuthorizationServer,
  type ReceivedReport,
} from './fake-authorization-server.js'

interface Use {
  client_id: string
  scope: string
  count: number
  last_at: number
}

const FEED = { clientId: 'tmc_feed', clientSecret: 'tms_a b+c/d%' }
// RFC 6749 §2.3.1: id and secret form-encoded (space as +), then base64.
const BASIC = `Basic ${Buffer.from('tmc_feed:tms_a+b%2Bc%2Fd%25').toString('base64')}`
const AUDIENCE = 'https://things.example.com'

/** Polls until `done()` holds, for at most `timeoutMs`. */
async function waitFor(done: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const usesOf = (report: ReceivedReport) => (report.body as { uses: Use[] }).uses
const audienceOf = (report: ReceivedReport) => (report.body as { audience: string }).audience
const byPair = (a: Use, b: Use) =>
  `${a.client_id} ${a.scope}`.localeCompare(`${b.client_id} ${b.scope}`)

/** Counts per "client_id scope", summed over every report received. */
function totals(reports: ReceivedReport[]): Record<string, number> {
  const sums: Record<string, number> = {}
  for (const use of reports.flatMap(usesOf)) {
    const pair = `${use.client_id} ${use.scope}`
    sums[pair] = (sums[pair] ?? 0) + use.count
  }
  return sums
}

describe('the scope-use report (reportScopeUse)', () => {
  let as: FakeAuthorizationServer
  let verifiers: Verifier[]

  beforeEach(async () => {
    as = await startFakeAuthorizationServer({ scopeUsagePath: '/reports/scope-usage' })
    verifiers = []
  })
  afterEach(async () => {
    for (const verifier of verifiers) verifier.close()
    await as.stop()
  })

  async function verifierFor(
    reportScopeUse: boolean | ScopeUseReportOptions | undefined,
    audience = AUDIENCE,
  ): Promise<Verifier> {
    const verifier = createVerifier({
      issuer: as.issuer,
      audience,
      revocationFeed: FEED,
      ...(reportScopeUse !== undefined && { reportScopeUse }),
    })
    verifiers.push(verifier)
    await verifier.ready
    return verifier
  }

  const bearer = async (clientId: string, scope: string, audience = AUDIENCE) =>
    `Bearer ${await as.mint({ audience, clientId, scope })}`

  it('sends nothing when it is not turned on (the default)', async () => {
    const off = await verifierFor(undefined, 'https://off.example.com')
    const on = await verifierFor({ intervalMs: 50 }, 'https://on.example.com')
    for (const [verifier, audience] of [
      [off, 'https://off.example.com'],
      [on, 'https://on.example.com'],
    ] as const) {
      const header = await bearer('tmc_a', 'read:things', audience)
      await authorize(verifier, header, { all: ['read:things'] })
      requireScopes(await verifier.verifyAuthorization(header), ['read:things'])
    }
    await waitFor(() => as.reports.length > 0)
    off.close()
    // The reporting verifier's last report is sent after anything closing `off` could have sent.
    await authorize(on, await bearer('tmc_a', 'read:things', 'https://on.example.com'), {
      all: ['read:things'],
    })
    const before = as.reports.length
    on.close()
    await waitFor(() => as.reports.length > before)
    expect(as.reports.map(audienceOf)).toEqual(as.reports.map(() => 'https://on.example.com'))
  })

  it('reports each client’s uses per scope with Basic auth, through an adapter and requireScopes', async () => {
    const verifier = await verifierFor({ intervalMs: 100 })
    const api = http.createServer((request, response) => {
      void (async () => {
        const claims = await authenticate(
          verifier,
          request,
          response,
          request.method === 'POST' ? { any: ['write:things', 'admin'] } : { all: ['read:things'] },
        )
        if (claims !== undefined) response.writeHead(204).end()
      })()
    })
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}/things`
    const startedAt = Math.floor(Date.now() / 1000)
    try {
      const a = await bearer('tmc_a', 'read:things write:things')
      const b = await bearer('tmc_b', 'read:things write:things admin')
      for (const [method, authorization] of [
        ['GET', a],
        ['GET', a],
        ['GET', a],
        ['POST', a],
        ['POST', b],
        ['POST', b],
      ] as const) {
        const response = await fetch(url, { method, headers: { authorization } })
        expect(response.status).toBe(204)
      }
      requireScopes(await verifier.verifyAuthorization(b), ['read:things'])
    } finally {
      api.closeAllConnections()
      await new Promise((resolve) => api.close(resolve))
    }
    const expected = {
      'tmc_a read:things': 3,
      'tmc_a write:things': 1,
      'tmc_b write:things': 2,
      'tmc_b admin': 2,
      'tmc_b read:things': 1,
    }
    await waitFor(() => Object.values(totals(as.reports)).reduce((x, y) => x + y, 0) >= 9)
    expect(totals(as.reports)).toEqual(expected)
    const endedAt = Math.floor(Date.now() / 1000)
    for (const report of as.reports) {
      expect(report).toMatchObject({
        path: '/reports/scope-usage',
        authorization: BASIC,
        contentType: 'application/json',
      })
      // Only these: never a token, a jti or any other claim.
      expect(Object.keys(report.body as object).sort()).toEqual(['audience', 'uses'])
      expect(audienceOf(report)).toBe(AUDIENCE)
      for (const use of usesOf(report)) {
        expect(Object.keys(use).sort()).toEqual(['client_id', 'count', 'last_at', 'scope'])
        expect(use.last_at).toBeGreaterThanOrEqual(startedAt)
        expect(use.last_at).toBeLessThanOrEqual(endedAt)
      }
    }
  })

  it('counts only verifications that required scopes and succeeded', async () => {
    const verifier = await verifierFor({ intervalMs: 60_000 })
    const reader = await bearer('tmc_reader', 'read:things')
    const refused = (promise: Promise<unknown>) => expect(promise).rejects.toThrow()

    await verifier.verifyAuthorization(reader) // no scope required
    await authorize(verifier, reader, {})
    await authorize(verifier, reader, { all: [], any: [] })
    await refused(authorize(verifier, reader, { all: ['write:things'] }))
    // `all` holds but `any` does not: the request is refused, so read:things is not counted.
    await refused(authorize(verifier, reader, { all: ['read:things'], any: ['admin'] }))
    const expired = `Bearer ${await as.mint({ audience: AUDIENCE, clientId: 'tmc_late', scope: 'read:things', expiresInSeconds: -60 })}`
    await refused(authorize(verifier, expired, { all: ['read:things'] }))
    const elsewhere = await bearer('tmc_other', 'read:things', 'https://other.example.com')
    await refused(authorize(verifier, elsewhere, { all: ['read:things'] }))
    const forged = `${reader.slice(0, -4)}AAAA`
    await refused(authorize(verifier, forged, { all: ['read:things'] }))
    await refused(authorize(verifier, undefined, { all: ['read:things'] }))
    expect(as.reports).toEqual([])

    await authorize(verifier, reader, { all: ['read:things'] })
    verifier.close()
    await waitFor(() => as.reports.length > 0)
    expect(as.reports.flatMap(usesOf)).toEqual([
      { client_id: 'tmc_reader', scope: 'read:things', count: 1, last_at: expect.any(Number) },
    ])
  })

  it('holds at most maxEntries client/scope pairs, still counting the ones it holds', async () => {
    const verifier = await verifierFor({ intervalMs: 60_000, maxEntries: 3 })
    const a = await verifier.verifyAuthorization(await bearer('tmc_a', 's1 s2 s3'))
    const b = await verifier.verifyAuthorization(await bearer('tmc_b', 's1'))
    const c = await verifier.verifyAuthorization(await bearer('tmc_c', 's1'))
    requireScopes(a, ['s1'])
    requireScopes(a, ['s2'])
    requireScopes(b, ['s1'])
    requireScopes(c, ['s1']) // a fourth pair, new client: dropped
    requireScopes(a, ['s3']) // a fourth pair, known client: dropped
    requireScopes(a, ['s1']) // a pair it holds: counted
    verifier.close()
    await waitFor(() => as.reports.length > 0)
    expect(as.reports.flatMap(usesOf).sort(byPair)).toMatchObject([
      { client_id: 'tmc_a', scope: 's1', count: 2 },
      { client_id: 'tmc_a', scope: 's2', count: 1 },
      { client_id: 'tmc_b', scope: 's1', count: 1 },
    ])
    expect(as.reports.flatMap(usesOf)).toHaveLength(3)
  })

  it('sends more than 1000 pairs in requests of at most 1000', async () => {
    const verifier = await verifierFor({ intervalMs: 60_000, maxEntries: 5000 })
    const scopes = Array.from({ length: 100 }, (_, i) => `s${String(i).padStart(3, '0')}`)
    for (let client = 0; client < 21; client++) {
      const header = await bearer(`tmc_${client}`, scopes.join(' '))
      requireScopes(await verifier.verifyAuthorization(header), scopes)
    }
    verifier.close()
    await waitFor(() => as.reports.length >= 3)
    expect(as.reports.map((report) => usesOf(report).length)).toEqual([1000, 1000, 100])
    const pairs = new Set(as.reports.flatMap(usesOf).map((u) => `${u.client_id} ${u.scope}`))
    expect(pairs.size).toBe(2100)
  })

  it('loses only the report the server refused, and sends the next one', async () => {
    as.answers.push(500)
    const verifier = await verifierFor({ intervalMs: 50 })
    const claims = await verifier.verifyAuthorization(await bearer('tmc_a', 'read:things'))
    requireScopes(claims, ['read:things'])
    await waitFor(() => as.reports.length === 1)
    requireScopes(claims, ['read:things'])
    requireScopes(claims, ['read:things'])
    await waitFor(() => as.reports.length === 2)
    expect(as.reports.map(usesOf)).toMatchObject([
      [{ client_id: 'tmc_a', scope: 'read:things', count: 1 }],
      [{ client_id: 'tmc_a', scope: 'read:things', count: 2 }],
    ])
  })

  it('sends what was counted when the verifier is closed', async () => {
    const verifier = await verifierFor(true)
    await authorize(verifier, await bearer('tmc_a', 'read:things'), { all: ['read:things'] })
    expect(as.reports).toEqual([])
    verifier.close()
    await waitFor(() => as.reports.length > 0)
    expect(as.reports.flatMap(usesOf)).toMatchObject([
      { client_id: 'tmc_a', scope: 'read:things', count: 1 },
    ])
  })

  it('posts to {issuer}/oauth/scope-usage when the metadata names no endpoint', async () => {
    await as.stop()
    as = await startFakeAuthorizationServer()
    const verifier = await verifierFor({ intervalMs: 60_000 })
    await authorize(verifier, await bearer('tmc_a', 'read:things'), { all: ['read:things'] })
    verifier.close()
    await waitFor(() => as.reports.length > 0)
    expect(as.reports[0]?.path).toBe('/t/acme/oauth/scope-usage')
  })

  it('refuses to be turned on without revocationFeed credentials, or with a setting that cannot work', () => {
    const base = { issuer: 'https://auth.example.com/t/acme', audience: AUDIENCE }
    expect(() => createVerifier({ ...base, reportScopeUse: true })).toThrow(
      /reportScopeUse needs revocationFeed/,
    )
    expect(() =>
      createVerifier({ ...base, revocationFeed: FEED, reportScopeUse: { intervalMs: 0 } }),
    ).toThrow(/intervalMs/)
    expect(() =>
      createVerifier({ ...base, revocationFeed: FEED, reportScopeUse: { maxEntries: 0.5 } }),
    ).toThrow(/maxEntries/)
  })
})
