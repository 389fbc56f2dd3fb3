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

interface LogLine {
  level: number
  msg: string
  err?: { message?: string; stack?: string }
}

describe('PostgreSQL outage', () => {
  let server: TestServer
  let proxy: TcpProxy
  let drop: () => Promise<void>
  let app: ApplicationFixture
  const logs: LogLine[] = []

  beforeAll(async () => {
    const schema = await freshPostgresSchema()
    drop = schema.drop
    proxy = await startTcpProxy(5432)
    const url = new URL(schema.url)
    url.port = String(proxy.port)
    server = await startServer({
      databaseUrl: url.toString(),
      logDestination: {
        write: (line: string) => {
          logs.push(JSON.parse(line) as LogLine)
        },
      },
    })
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
    // Readiness returns with the next probe write, at most a second later.
    let ready = 0
    for (let i = 0; i < 30 && ready !== 200; i++) {
      ready = (await fetch(`${server.url}/readyz`)).status
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(ready).toBe(200)
  })

  it('logs an outage once when it starts and once when it ends, and counts what it refused', async () => {
    const adminToken = await server.adminToken()
    const unavailableTotal = async () => {
      const metrics = await (await fetch(`${server.metricsUrl!}/metrics`)).text()
      return Number(/^tokenmint_storage_unavailable_total (\d+)$/m.exec(metrics)?.[1])
    }
    // The outage before this one is over, change bus included.
    let status: unknown
    for (let i = 0; i < 50 && status !== 'ready'; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100))
      status = ((await (await fetch(`${server.url}/readyz`)).json()) as { status: string }).status
    }
    expect(status).toBe('ready')
    const counted = await unavailableTotal()
    const from = logs.length

    await proxy.cut()
    const statuses = new Set<number>()
    for (let i = 0; i < 200; i++) {
      const response =
        i % 2 === 0
          ? (await mint()).response
          : await fetch(`${server.url}/admin/v1/tenants/${server.tenant}/applications`, {
              headers: { authorization: `Bearer ${adminToken}` },
            })
      statuses.add(response.status)
    }
    const during = logs.slice(from)

    expect([...statuses]).toEqual([503])
    // A line when storage became unavailable, with its cause, and at most one from each
    // background task that met the outage on its own (the change bus, the expiry publisher, a
    // periodic job whose turn came): none per refused request, and no message or stack trace
    // twice. How many tasks' turns fall inside the outage varies; 200 refused requests must not
    // add a line.
    const messages = during.map((line) => line.msg)
    expect(messages.length, messages.join(' | ')).toBeLessThanOrEqual(6)
    expect(new Set(messages).size, messages.join(' | ')).toBe(messages.length)
    expect(during.filter((line) => line.msg === 'request failed')).toEqual([])
    expect(during.filter((line) => line.msg.startsWith('storage is unavailable'))).toEqual([
      expect.objectContaining({
        err: expect.objectContaining({
          message: expect.stringMatching(/ECONNREFUSED|Connection terminated/),
        }),
      }),
    ])
    const stacks = during.flatMap((line) => line.err?.stack ?? [])
    expect(new Set(stacks).size).toBe(stacks.length)
    expect((await unavailableTotal()) - counted).toBe(200)

    await proxy.restore()
    let recovered = false
    for (let i = 0; i < 100 && !recovered; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      recovered = logs.slice(from).some((line) => line.msg === 'storage is available again')
    }
    expect(recovered).toBe(true)
    expect((await mint()).status).toBe(200)
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
    const after = logs.slice(from + during.length)
    expect(after.filter((line) => line.msg === 'storage is available again')).toHaveLength(1)
    expect(after.filter((line) => line.level >= 50)).toEqual([])
  })
})
