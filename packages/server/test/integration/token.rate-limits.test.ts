import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApiFixture,
} from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'

describe('token endpoint rate limits', () => {
  let server: TestServer
  let api: ApiFixture

  beforeAll(async () => {
    server = await startServer({ env: { TOKENMINT_FAILED_AUTH_LIMIT: '10' } })
    api = await createApi(server)
  })
  afterAll(() => server.stop())

  const mint = (clientId: string, clientSecret: string) =>
    postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic(clientId, clientSecret) },
    )

  it('limits an application to its token quota with 429, Retry-After and an audit record', async () => {
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const patched = await server.admin_(
      'PATCH',
      `/admin/v1/tenants/${server.tenant}/applications/${app.clientId}`,
      { token_rate_limit_per_minute: 3 },
    )
    expect(patched.status).toBe(200)
    const statuses = []
    for (let i = 0; i < 5; i++) statuses.push((await mint(app.clientId, app.clientSecret)).status)
    expect(statuses).toEqual([200, 200, 200, 429, 429])
    const limited = await mint(app.clientId, app.clientSecret)
    expect(limited.body).toMatchObject({ error: 'rate_limited' })
    expect(limited.body['error_description']).toMatch(/3 tokens per minute/)
    const retryAfter = Number(limited.response.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    const audit = (await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/audit?client_id=${app.clientId}&type=token.refused`,
      )
    ).json()) as {
      items: { data: { error: string } }[]
    }
    expect(audit.items.some((e) => e.data.error === 'rate_limited')).toBe(true)
    const metrics = await (await fetch(`${server.metricsUrl!}/metrics`)).text()
    expect(metrics).toMatch(
      /tokenmint_tokens_refused_total\{tenant="acme",error="rate_limited"\} [1-9]/,
    )
  })

  it('limits failed client authentications per client id and address, not the client elsewhere', async () => {
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const other = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    // 10 per minute per IP → 2 per client id and IP.
    expect((await mint(app.clientId, other.clientSecret)).status).toBe(401)
    expect((await mint(app.clientId, other.clientSecret)).status).toBe(401)
    const blocked = await mint(app.clientId, app.clientSecret)
    expect(blocked.status).toBe(429)
    expect(blocked.response.headers.get('retry-after')).toBeTruthy()
    // Another client from the same address is not locked out by them.
    expect((await mint(other.clientId, other.clientSecret)).status).toBe(200)
  })
})
