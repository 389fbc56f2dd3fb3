import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createVerifier, requireScopes } from '../../../verify/src/index.js'
import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { storageDrivers } from '../support/databases.js'
import { startServer, type TestServer } from '../support/server.js'

interface Finding {
  kind: string
  client_id: string
  message: string
  audience?: string
  scopes?: string[]
  tokens_per_hour?: number
  avg_remaining_seconds?: number
  refusals?: number
  description?: string
}

interface InsightsView {
  days: number
  findings: Finding[]
  scopes?: {
    scope: string
    last_requested_at: string | null
    last_required_at: string | null
    tokens: number
  }[]
}

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe.each(storageDrivers)(
  'least-privilege insight and explainable quotas (%s)',
  (_driver, openDatabase) => {
    let server: TestServer
    let cleanup: () => Promise<void>
    let api: ApiFixture
    /** The server's clock runs this far ahead of the real one: the tests skip time with it. */
    let skewMs = 0
    const skip = (ms: number) => (skewMs += ms)

    beforeAll(async () => {
      const database = await openDatabase()
      cleanup = database.cleanup
      server = await startServer({
        ...(database.databaseUrl !== undefined && { databaseUrl: database.databaseUrl }),
        now: () => new Date(Date.now() + skewMs),
      })
      api = await createApi(server, { scopes: ['read:a', 'read:b', 'write:c', 'delete:d'] })
    })
    afterAll(async () => {
      await server.stop()
      await cleanup()
    })

    const mint = (app: ApplicationFixture, scope?: string) =>
      postForm(
        server.tokenEndpoint,
        { grant_type: 'client_credentials', ...(scope !== undefined && { scope }) },
        { authorization: basic(app.clientId, app.clientSecret) },
      )
    const insights = async (query: string): Promise<InsightsView> => {
      const response = await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/insights?${query}`,
      )
      expect(response.status).toBe(200)
      return (await response.json()) as InsightsView
    }

    it('lists the scopes neither requested nor required, and removing them changes the next token', async () => {
      const app = await createApplication(server, {
        grants: [{ audience: api.audience, scopes: ['read:a', 'read:b', 'write:c', 'delete:d'] }],
      })
      const gateway = await createApplication(server, {})
      await server.admin_(
        'PATCH',
        `/admin/v1/tenants/${server.tenant}/applications/${gateway.clientId}`,
        {
          can_introspect: true,
        },
      )
      // The integration requests two of its four scopes.
      const issued = await mint(app, 'read:a read:b')
      expect(issued.status).toBe(200)
      expect((await mint(app, 'read:a read:b')).status).toBe(200)
      // The API (a real @tokenmint/verify with reporting on) requires one of them.
      const verifier = createVerifier({
        issuer: server.issuer,
        audience: api.audience,
        revocationFeed: { clientId: gateway.clientId, clientSecret: gateway.clientSecret },
        reportScopeUse: { intervalMs: 100 },
      })
      try {
        await verifier.ready
        const claims = await verifier.verify(issued.body['access_token'] as string)
        requireScopes(claims, ['read:a'])
        skip(10_000)
        const view = await until(async () => {
          const v = await insights(`days=0&client_id=${app.clientId}`)
          return v.scopes?.find((s) => s.scope === 'read:a')?.last_required_at ? v : undefined
        }, 'the scope-use report')
        const byScope = new Map(view.scopes?.map((s) => [s.scope, s]))
        expect(byScope.get('read:a')).toMatchObject({ tokens: 2 })
        expect(byScope.get('read:b')?.last_requested_at).not.toBeNull()
        expect(byScope.get('read:b')?.last_required_at).toBeNull()
        expect(byScope.get('write:c')).toMatchObject({
          tokens: 0,
          last_requested_at: null,
          last_required_at: null,
        })
        const unused = view.findings.filter(
          (f) => f.kind === 'unused_scopes' && f.client_id === app.clientId,
        )
        expect(unused).toHaveLength(1)
        expect(unused[0]).toMatchObject({ audience: api.audience, scopes: ['write:c', 'delete:d'] })
      } finally {
        verifier.close()
      }
      // With the default 30-day window a fresh application is given time before it is judged.
      const windowed = await insights(`client_id=${app.clientId}`)
      expect(windowed.findings.filter((f) => f.kind === 'unused_scopes')).toEqual([])

      // Only scopes insight lists as unused can be removed this way.
      const remove = (scopes: string[]) =>
        server.admin_('POST', `/admin/v1/tenants/${server.tenant}/insights/remove-unused-scopes`, {
          client_id: app.clientId,
          audience: api.audience,
          scopes,
          days: 0,
        })
      const refused = await remove(['read:a', 'write:c'])
      expect(refused.status).toBe(409)
      expect(await refused.text()).toContain('read:a')
      expect((await remove(['write:c', 'delete:d'])).status).toBe(200)
      // The next token, asked for every granted scope, carries only what is left.
      const next = await mint(app)
      expect(next.status).toBe(200)
      expect((next.body['scope'] as string).split(' ').sort()).toEqual(['read:a', 'read:b'])
    })

    it('finds token churn from a client that discards tokens, not from one that caches them', async () => {
      const grants = [{ audience: api.audience, scopes: ['read:a'] }]
      const discarding = await createApplication(server, { grants, token_lifetime_seconds: 3600 })
      const caching = await createApplication(server, { grants, token_lifetime_seconds: 3600 })
      // 12 tokens a minute apart, each thrown away with 59 minutes left.
      for (let i = 0; i < 12; i++) {
        expect((await mint(discarding)).status).toBe(200)
        skip(60_000)
      }
      // 12 tokens, each requested when the one before had less than half its hour left.
      for (let i = 0; i < 12; i++) {
        expect((await mint(caching)).status).toBe(200)
        skip(35 * 60_000)
      }
      const view = await insights('days=1')
      const churn = view.findings.filter(
        (f) =>
          f.kind === 'token_churn' && [discarding.clientId, caching.clientId].includes(f.client_id),
      )
      expect(churn.map((f) => f.client_id)).toEqual([discarding.clientId])
      expect(churn[0]?.tokens_per_hour).toBeGreaterThanOrEqual(55)
      expect(churn[0]?.avg_remaining_seconds).toBeGreaterThan(3000)
      expect(churn[0]?.message).toMatch(/cache the token/)
      // The background round announces it once, as an audit record (which webhooks deliver).
      await server.services.usageRollup.tick()
      await server.services.usageRollup.tick()
      const found = (await (
        await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/audit?type=insight.found`)
      ).json()) as { items: { client_id: string; data: { kind: string } }[] }
      const ours = found.items.filter((e) =>
        [discarding.clientId, caching.clientId].includes(e.client_id),
      )
      expect(ours.map((e) => e.client_id)).toEqual([discarding.clientId])
      expect(ours[0]?.data.kind).toBe('token_churn')
    })

    it('explains a quota refusal with the limit, the measurement and the fix, and keeps its history', async () => {
      const app = await createApplication(server, {
        grants: [{ audience: api.audience, scopes: ['read:a'] }],
      })
      await server.admin_(
        'PATCH',
        `/admin/v1/tenants/${server.tenant}/applications/${app.clientId}`,
        {
          token_rate_limit_per_minute: 2,
        },
      )
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((await mint(app)).status)
      expect(statuses).toEqual([200, 200, 429, 429])
      const limited = await mint(app)
      expect(limited.response.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(limited.body['error_description']).toMatch(
        /more than 2 token requests in the last minute, against this application's quota of 2 per minute.*cache it/,
      )
      const view = await insights('days=1')
      const quota = view.findings.find(
        (f) => f.kind === 'quota_exceeded' && f.client_id === app.clientId,
      )
      expect(quota?.refusals).toBe(3)
      expect(quota?.description).toBe(limited.body['error_description'])
    })

    it('announces an application about to expire and a secret still in use as its overlap ends, once each', async () => {
      const soon = new Date(Date.now() + skewMs + 3 * 86_400_000).toISOString()
      const expiring = await createApplication(server, { expires_at: soon })
      const rotating = await createApplication(server, {
        grants: [{ audience: api.audience, scopes: ['read:a'] }],
      })
      const rotated = await server.admin_(
        'POST',
        `/admin/v1/tenants/${server.tenant}/applications/${rotating.clientId}/rotate-secret`,
        { overlap_seconds: 1800 },
      )
      expect(rotated.status).toBe(200)
      // Something still uses the previous secret.
      expect((await mint(rotating)).status).toBe(200)
      const view = await insights('days=0')
      expect(view.findings).toContainEqual(
        expect.objectContaining({ kind: 'expiring_application', client_id: expiring.clientId }),
      )
      expect(view.findings).toContainEqual(
        expect.objectContaining({
          kind: 'secret_in_use_at_overlap_end',
          client_id: rotating.clientId,
        }),
      )
      await until(async () => {
        await server.services.usageRollup.tick()
        const audit = (await (
          await server.admin_(
            'GET',
            `/admin/v1/tenants/${server.tenant}/audit?type=application.secret_still_in_use`,
          )
        ).json()) as { items: { client_id: string }[] }
        return audit.items.some((e) => e.client_id === rotating.clientId) ? true : undefined
      }, 'the still-in-use record')
      await server.services.usageRollup.tick()
      const expiringRecords = (await (
        await server.admin_(
          'GET',
          `/admin/v1/tenants/${server.tenant}/audit?type=application.expiring`,
        )
      ).json()) as { items: { client_id: string }[] }
      expect(expiringRecords.items.filter((e) => e.client_id === expiring.clientId)).toHaveLength(1)
    })

    it('refuses a scope-use report from an application that may not introspect, and bad input', async () => {
      const plain = await createApplication(server, {})
      const post = (app: ApplicationFixture, body: unknown) =>
        fetch(`${server.issuer}/oauth/scope-usage`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: basic(app.clientId, app.clientSecret),
          },
          body: JSON.stringify(body),
        })
      const denied = await post(plain, { audience: api.audience, uses: [] })
      expect(denied.status).toBe(403)
      await server.admin_(
        'PATCH',
        `/admin/v1/tenants/${server.tenant}/applications/${plain.clientId}`,
        {
          can_introspect: true,
        },
      )
      const unknownApi = await post(plain, { audience: 'https://nope.example.com', uses: [] })
      expect(unknownApi.status).toBe(400)
      expect(((await unknownApi.json()) as { error: string }).error).toBe('invalid_request')
      const badUse = await post(plain, {
        audience: api.audience,
        uses: [{ client_id: 'x', scope: 'a', count: -1 }],
      })
      expect(badUse.status).toBe(400)
      const tooMany = await post(plain, {
        audience: api.audience,
        uses: Array.from({ length: 1001 }, () => ({
          client_id: 'x',
          scope: 'a',
          count: 1,
          last_at: 1,
        })),
      })
      expect(tooMany.status).toBe(400)
      expect((await post(plain, { audience: api.audience, uses: [] })).status).toBe(204)
      // Duplicates are merged and scopes the API does not define are dropped (no 500, no rows).
      const target = await createApplication(server, {
        grants: [{ audience: api.audience, scopes: ['read:b'] }],
      })
      const use = (scope: string) => ({ client_id: target.clientId, scope, count: 2, last_at: 1 })
      const merged = await post(plain, {
        audience: api.audience,
        uses: [use('read:b'), use('read:b'), use('made:up')],
      })
      expect(merged.status).toBe(204)
      const view = await insights(`days=0&client_id=${target.clientId}`)
      expect(view.scopes?.map((s) => s.scope)).toEqual(['read:b'])
      expect(view.scopes?.[0]?.last_required_at).not.toBeNull()
      // A removal judged over a window shorter than a week is refused.
      const short = await server.admin_(
        'POST',
        `/admin/v1/tenants/${server.tenant}/insights/remove-unused-scopes`,
        { client_id: target.clientId, audience: api.audience, scopes: ['read:b'], days: 1 },
      )
      expect(short.status).toBe(400)
    })
  },
)
