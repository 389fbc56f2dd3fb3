import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { freshPostgresSchema } from '../support/databases.js'
import { basic, postForm } from '../support/fixtures.js'
import {
  adminVia,
  startCluster,
  until,
  type Cluster,
  type ServerProcess,
} from '../support/nodes.js'
import { freePort } from '../support/server.js'

/** A redis-server of this test's own, on its own port, that it can kill and start again. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => {
        resolve(false)
      })
    })
    if (up) return child
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('redis-server did not start')
}

describe('Redis outage under two nodes', () => {
  let redisPort: number
  let redis: ChildProcess
  let cluster: Cluster
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>
  let admin: ReturnType<typeof adminVia>
  let a: ServerProcess
  let b: ServerProcess
  const audience = 'https://outage.example.com'

  const readiness = async (node: ServerProcess) =>
    (await (await fetch(`${node.url}/readyz`)).json()) as {
      status: string
      changes: { health: string }
      rate_limits: { health: string }
    }
  const createApp = async (extra: Record<string, unknown> = {}) => {
    const response = await admin(a, 'POST', '/admin/v1/tenants/default/applications', {
      name: `app ${Math.random().toString(36).slice(2)}`,
      grants: [{ audience, scopes: ['read:a'] }],
      ...extra,
    })
    expect(response.status).toBe(201)
    const body = (await response.json()) as { client_id: string; client_secret: string }
    return { clientId: body.client_id, clientSecret: body.client_secret }
  }
  const mint = (node: ServerProcess, app: { clientId: string; clientSecret: string }) =>
    postForm(
      `${node.url}/t/default/oauth/token`,
      { grant_type: 'client_credentials' },
      { authorization: basic(app.clientId, app.clientSecret) },
    )
  const setScopes = async (app: { clientId: string }, scopes: string[]) => {
    const path = `/admin/v1/tenants/default/applications/${app.clientId}`
    const read = await admin(a, 'GET', path)
    const patched = await admin(
      a,
      'PATCH',
      path,
      { grants: [{ audience, scopes }] },
      { 'if-match': read.headers.get('etag') ?? '' },
    )
    expect(patched.status).toBe(200)
  }

  beforeAll(async () => {
    redisPort = await freePort()
    redis = await startRedis(redisPort)
    schema = await freshPostgresSchema()
    cluster = await startCluster({
      nodes: 2,
      env: {
        TOKENMINT_DATABASE_URL: schema.url,
        TOKENMINT_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        TOKENMINT_CACHE_MAX_AGE: '3600',
      },
    })
    ;[a, b] = cluster.nodes as [ServerProcess, ServerProcess]
    admin = adminVia(cluster)
    expect(
      (
        await admin(a, 'POST', '/admin/v1/tenants/default/apis', {
          audience,
          name: 'Outage API',
          scopes: ['read:a', 'write:a'],
        })
      ).status,
    ).toBe(201)
  }, 60_000)
  afterAll(async () => {
    await cluster.stop()
    redis.kill('SIGKILL')
    await schema.drop()
  })

  it('shares one token quota across nodes while Redis is up', async () => {
    expect((await readiness(a)).status).toBe('ready')
    const app = await createApp({ token_rate_limit_per_minute: 6 })
    const statuses = []
    for (let i = 0; i < 8; i++) statuses.push((await mint(i % 2 === 0 ? a : b, app)).status)
    // Six in all, not six per node.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429])
  })

  it('keeps serving, limiting and propagating changes while Redis is down, then recovers', async () => {
    const limited = await createApp({ token_rate_limit_per_minute: 4 })
    const app = await createApp()
    expect((await mint(b, app)).body['scope']).toBe('read:a')

    redis.kill('SIGKILL')
    for (const node of [a, b]) {
      // Both uses of Redis notice the loss (each on its own connection).
      await until('readyz to say degraded for changes and rate limits', 5000, async () => {
        const body = await readiness(node)
        return body.status === 'degraded' &&
          body.changes.health === 'degraded' &&
          body.rate_limits.health === 'degraded'
          ? body
          : undefined
      })
      // Degraded is not down: the load balancer keeps the node.
      expect((await fetch(`${node.url}/readyz`)).status).toBe(200)
    }

    // Tokens are still issued, and limits still hold: per node now, never unlimited.
    const statuses = []
    for (let i = 0; i < 6; i++) statuses.push((await mint(a, limited)).status)
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429])
    const refused = await mint(a, limited)
    expect(refused.status).toBe(429)
    expect(Number(refused.response.headers.get('retry-after'))).toBeGreaterThan(0)

    // A change through node A reaches node B by polling storage.
    await setScopes(app, ['read:a', 'write:a'])
    await until('node B to see the change by polling', 6000, async () =>
      (await mint(b, app)).body['scope'] === 'read:a write:a' ? true : undefined,
    )

    redis = await startRedis(redisPort)
    for (const node of [a, b]) {
      await until('readyz to recover', 10_000, async () =>
        (await readiness(node)).status === 'ready' ? true : undefined,
      )
    }
    // Back on the bus: a change arrives at once again.
    await setScopes(app, ['read:a'])
    await until('node B to see the change through the bus', 1000, async () =>
      (await mint(b, app)).body['scope'] === 'read:a' ? true : undefined,
    )
  })
})
