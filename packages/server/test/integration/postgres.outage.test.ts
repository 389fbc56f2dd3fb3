import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { freshPostgresSchema } from '../support/databases.js'
import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js'

describe('PostgreSQL outage', () => {
  let server: TestServer
  let proxy: TcpProxy
  let drop: () => Promise<void>
  let app: ApplicationFixture

  beforeAll(async () => {
    const schema = await freshPostgresSchema()
    drop = schema.drop
    proxy = await startTcpProxy(5432)
    const url = new URL(schema.url)
    url.port = String(proxy.port)
    server = await startServer({ databaseUrl: url.toString() })
    const api = await createApi(server)
    app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
  })
  afterAll(async () => {
    await server.stop().catch(() => undefined)
    await drop()
  })

  const mint = () =>
    postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic(app.clientId, app.clientSecret) },
    )

  it('answers 503 with Retry-After (never 500, never a token without its audit record), then recovers without a restart', async () => {
    expect((await mint()).status).toBe(200)
    const adminToken = await server.adminToken()

    await proxy.cut()
    const refused = await mint()
    expect(refused.status).toBe(503)
    expect(refused.body).toMatchObject({ error: 'temporarily_unavailable' })
    expect(refused.response.headers.get('retry-after')).toBeTruthy()
    expect(refused.body).not.toHaveProperty('access_token')
    const admin = await fetch(`${server.url}/admin/v1/tenants/${server.tenant}/applications`, {
      headers: { authorization: `Bearer ${adminToken}` },
    })
    expect(admin.status).toBe(503)
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)

    await proxy.restore()
    let recovered = 0
    for (let i = 0; i < 50 && recovered !== 200; i++) {
      recovered = (await mint()).status
      if (recovered !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(recovered).toBe(200)
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
  })
})
