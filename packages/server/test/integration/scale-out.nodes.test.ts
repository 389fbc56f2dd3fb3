import http from 'node:http'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createVerifier, type Verifier } from '../../../verify/src/index.js'
import { freshPostgresSchema } from '../support/databases.js'
import { basic, postForm } from '../support/fixtures.js'
import {
  adminVia,
  startCluster,
  until,
  type Cluster,
  type ServerProcess,
} from '../support/nodes.js'
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js'

const REDIS_URL = process.env['TOKENMINT_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379'

/** Caches never expire on their own here: only the change bus can make a node see a change. */
const NODE_ENV = {
  TOKENMINT_CACHE_MAX_AGE: '3600',
  TOKENMINT_FAILED_AUTH_LIMIT: '1000000',
}

interface Deployment {
  cluster: Cluster
  /** The nodes requests can be aimed at; with --workers, one port served by several processes. */
  nodes: ServerProcess[]
  /** The load balancer every verifier goes through. */
  balancer: TcpProxy
  cleanup: () => Promise<void>
}

/** The same guarantees, whatever carries changes between the processes. */
function scaleOutSuite(name: string, start: () => Promise<Deployment>) {
  describe(name, () => {
    let deployment: Deployment
    let admin: ReturnType<typeof adminVia>
    let audience: string
    let feed: { clientId: string; clientSecret: string }
    const tenantPath = () => `/admin/v1/tenants/${deployment.cluster.tenant}`

    const createApp = async (scopes: string[]) => {
      const response = await admin(deployment.nodes[0]!, 'POST', `${tenantPath()}/applications`, {
        name: `app ${Math.random().toString(36).slice(2)}`,
        grants: [{ audience, scopes }],
      })
      expect(response.status).toBe(201)
      const body = (await response.json()) as { client_id: string; client_secret: string }
      return { clientId: body.client_id, clientSecret: body.client_secret }
    }
    const mint = (node: ServerProcess, app: { clientId: string; clientSecret: string }) =>
      postForm(
        `${node.url}/t/${deployment.cluster.tenant}/oauth/token`,
        { grant_type: 'client_credentials' },
        { authorization: basic(app.clientId, app.clientSecret) },
      )

    beforeAll(async () => {
      deployment = await start()
      admin = adminVia(deployment.cluster)
      audience = `https://scale-${Date.now()}.example.com`
      const api = await admin(deployment.nodes[0]!, 'POST', `${tenantPath()}/apis`, {
        audience,
        name: 'Scale API',
        scopes: ['read:a', 'write:a'],
      })
      expect(api.status).toBe(201)
      const feedApp = await admin(deployment.nodes[0]!, 'POST', `${tenantPath()}/applications`, {
        name: 'feed reader',
        can_introspect: true,
      })
      const body = (await feedApp.json()) as { client_id: string; client_secret: string }
      feed = { clientId: body.client_id, clientSecret: body.client_secret }
    }, 60_000)
    afterAll(async () => {
      await deployment.cleanup()
    })

    it('applies a change made through one node on every node at once', async () => {
      const app = await createApp(['read:a'])
      // Every node (and worker) now holds the application in its cache.
      for (const node of deployment.nodes) {
        for (let i = 0; i < 6; i++) expect((await mint(node, app)).body['scope']).toBe('read:a')
      }
      const path = `${tenantPath()}/applications/${app.clientId}`
      const read = await admin(deployment.nodes[0]!, 'GET', path)
      const patched = await admin(
        deployment.nodes[0]!,
        'PATCH',
        path,
        { grants: [{ audience, scopes: ['read:a', 'write:a'] }] },
        { 'if-match': read.headers.get('etag') ?? '' },
      )
      expect(patched.status).toBe(200)
      for (const node of deployment.nodes) {
        // The bus carries the change in milliseconds; a second is generous.
        await until('the new scopes on every node', 1000, async () => {
          const scopes = await Promise.all(
            Array.from({ length: 6 }, async () => (await mint(node, app)).body['scope']),
          )
          return scopes.every((s) => s === 'read:a write:a') ? true : undefined
        })
      }
    })

    it('reports the bus, its lag and the database pool on the metrics listener', async () => {
      // Up to 30 reads, until one shows a change received from another process (under
      // --workers the primary sums both workers' metrics).
      const texts: string[] = []
      const receivedIn = (text: string) =>
        Number(/tokenmint_change_bus_received (\d+)/.exec(text)?.[1])
      for (let i = 0; i < 30 && !texts.some((t) => receivedIn(t) > 0); i++) {
        texts.push(await (await fetch(`${deployment.nodes.at(-1)!.metricsUrl}/metrics`)).text())
      }
      const transport = /tokenmint_change_bus_up\{transport="(\w+)"\} 1/.exec(texts[0]!)?.[1]
      expect(['redis', 'postgres', 'cluster']).toContain(transport)
      expect(Math.max(...texts.map(receivedIn))).toBeGreaterThan(0)
      expect(texts[0]).toMatch(/tokenmint_change_bus_lag_seconds \d/)
      if (transport !== 'cluster') {
        const total = Number(/tokenmint_db_connections\{state="total"\} (\d+)/.exec(texts[0]!)?.[1])
        expect(total).toBeGreaterThan(0)
      }
      const publicPort = await fetch(`${deployment.nodes.at(-1)!.url}/metrics`)
      expect(publicPort.status).toBe(404)
    })

    it('counts every token a node issued in one scrape, whichever worker issued it', async () => {
      const node = deployment.nodes.at(-1)!
      const app = await createApp(['read:a'])
      const issued = async () => {
        const text = await (await fetch(`${node.metricsUrl}/metrics`)).text()
        const pattern = new RegExp(
          `tokenmint_tokens_issued_total\\{tenant="${deployment.cluster.tenant}",grant_type="client_credentials"\\} (\\d+)`,
        )
        return Number(pattern.exec(text)?.[1] ?? 0)
      }
      // A new connection per request, so that under --workers round-robin spreads them.
      const mintOnNewConnection = () =>
        new Promise<number>((resolve, reject) => {
          const body = 'grant_type=client_credentials'
          http
            .request(
              `${node.url}/t/${deployment.cluster.tenant}/oauth/token`,
              {
                method: 'POST',
                agent: false,
                headers: {
                  'content-type': 'application/x-www-form-urlencoded',
                  'content-length': String(body.length),
                  authorization: basic(app.clientId, app.clientSecret),
                },
              },
              (response) => {
                response.resume()
                response.on('end', () => {
                  resolve(response.statusCode ?? 0)
                })
              },
            )
            .on('error', reject)
            .end(body)
        })
      const before = await issued()
      const statuses: number[] = []
      for (let i = 0; i < 10; i++) statuses.push(await mintOnNewConnection())
      expect(statuses).toEqual(Array.from({ length: 10 }, () => 200))
      expect((await issued()) - before).toBe(10)
    })

    it('returns no token from any node once a revoke through one node has returned', async () => {
      const app = await createApp(['read:a'])
      const results: { started: number; status: number }[] = []
      let running = true
      const loops = deployment.nodes.flatMap((node) =>
        Array.from({ length: 4 }, async () => {
          // Bounded: 3000 requests per loop at most, and the flag stops it sooner.
          for (let i = 0; i < 3000 && running; i++) {
            const started = performance.now()
            const { status } = await mint(node, app)
            results.push({ started, status })
          }
        }),
      )
      // Enough traffic on either side of the revoke, however slow the machine is: wait for it
      // (bounded) rather than for a fixed time.
      const until = async (enough: () => boolean) => {
        const deadline = performance.now() + 15_000
        while (!enough() && performance.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 50))
      }
      await until(() => results.filter((r) => r.status === 200).length > 20)
      const revoke = await admin(
        deployment.nodes[0]!,
        'POST',
        `${tenantPath()}/applications/${app.clientId}/revoke`,
      )
      const revokedAt = performance.now()
      expect(revoke.status).toBe(200)
      await until(() => results.filter((r) => r.started >= revokedAt).length > 20)
      running = false
      await Promise.all(loops)

      const before = results.filter((r) => r.started < revokedAt)
      const after = results.filter((r) => r.started >= revokedAt)
      expect(before.filter((r) => r.status === 200).length).toBeGreaterThan(20)
      expect(after.length).toBeGreaterThan(20)
      expect(after.filter((r) => r.status === 200)).toEqual([])

      // Every token a client received has its audit record, and no record lacks its token.
      let audited = 0
      let cursor: string | null = null
      for (let page = 0; page < 200; page++) {
        const query = new URLSearchParams({
          client_id: app.clientId,
          type: 'token.issued',
          limit: '200',
          ...(cursor !== null && { cursor }),
        })
        const response = await admin(
          deployment.nodes[0]!,
          'GET',
          `${tenantPath()}/audit?${query.toString()}`,
        )
        const body = (await response.json()) as { items: unknown[]; next_cursor: string | null }
        audited += body.items.length
        cursor = body.next_cursor
        if (cursor === null) break
      }
      expect(audited).toBe(results.filter((r) => r.status === 200).length)
    })

    it('keeps a verifier moved to another node in step, without losing a revocation', async () => {
      const { balancer, nodes } = deployment
      const apps = [await createApp(['read:a']), await createApp(['read:a'])]
      const keeper = await createApp(['read:a'])
      const tokens = await Promise.all(
        [...apps, keeper].map(
          async (app, i) =>
            (await mint(nodes[i % nodes.length]!, app)).body['access_token'] as string,
        ),
      )
      await balancer.retarget(nodes[1 % nodes.length]!.port)
      const verifier: Verifier = createVerifier({
        issuer: `${deployment.cluster.publicUrl}/t/${deployment.cluster.tenant}`,
        audience,
        revocationFeed: feed,
      })
      try {
        await verifier.ready
        await expect(verifier.verify(tokens[0]!)).resolves.toMatchObject({ scope: 'read:a' })
        const revoke = (app: { clientId: string }) =>
          admin(nodes[0]!, 'POST', `${tenantPath()}/applications/${app.clientId}/revoke`)
        expect((await revoke(apps[0]!)).status).toBe(200)
        await until('the first revocation at the verifier', 3000, () =>
          verifier.verify(tokens[0]!).then(
            () => undefined,
            () => true,
          ),
        )
        // The balancer moves the verifier's stream to another node; a revoke lands meanwhile.
        await balancer.retarget(nodes[2 % nodes.length]!.port)
        expect((await revoke(apps[1]!)).status).toBe(200)
        await until('the second revocation after the move', 8000, () =>
          verifier.verify(tokens[1]!).then(
            () => undefined,
            () => true,
          ),
        )
        await expect(verifier.verify(tokens[2]!)).resolves.toMatchObject({ scope: 'read:a' })
      } finally {
        verifier.close()
      }

      // Every node serves the same feed, in the same order.
      const feeds = await Promise.all(
        nodes.map(async (node) => {
          const response = await fetch(
            `${node.url}/t/${deployment.cluster.tenant}/oauth/revocations`,
            { headers: { authorization: basic(feed.clientId, feed.clientSecret) } },
          )
          expect(response.status).toBe(200)
          return ((await response.json()) as { entries: unknown[] }).entries
        }),
      )
      expect(feeds[0]!.length).toBeGreaterThanOrEqual(2)
      for (const other of feeds.slice(1)) expect(other).toEqual(feeds[0])
    })
  })
}

/** Processes behind a balancer (a TCP proxy the verifier goes through), on a fresh schema. */
async function deploy(options: {
  nodes?: number
  workers?: number
  postgres: boolean
  env?: Record<string, string>
  transport: string
}): Promise<Deployment> {
  const schema = options.postgres ? await freshPostgresSchema() : undefined
  const balancer = await startTcpProxy(1)
  const cluster = await startCluster({
    ...(options.nodes !== undefined && { nodes: options.nodes }),
    ...(options.workers !== undefined && { workers: options.workers }),
    publicUrl: () => `http://127.0.0.1:${balancer.port}`,
    env: {
      ...NODE_ENV,
      ...(schema !== undefined && { TOKENMINT_DATABASE_URL: schema.url }),
      ...options.env,
    },
  })
  for (const node of cluster.nodes) {
    const ready = (await (await fetch(`${node.url}/readyz`)).json()) as Record<string, unknown>
    expect(ready).toMatchObject({
      status: 'ready',
      changes: { transport: options.transport, health: 'ok' },
      rate_limits: {
        shared: options.env?.['TOKENMINT_REDIS_URL'] === undefined ? 'none' : 'redis',
        health: 'ok',
      },
    })
  }
  return {
    cluster,
    nodes: cluster.nodes,
    balancer,
    cleanup: async () => {
      await cluster.stop()
      await balancer.cut()
      await schema?.drop()
    },
  }
}

scaleOutSuite('three nodes on PostgreSQL and Redis', () =>
  deploy({ nodes: 3, postgres: true, env: { TOKENMINT_REDIS_URL: REDIS_URL }, transport: 'redis' }),
)

scaleOutSuite('three nodes on PostgreSQL alone (LISTEN/NOTIFY)', () =>
  deploy({ nodes: 3, postgres: true, transport: 'postgres' }),
)

scaleOutSuite('serve --workers 2 on SQLite', () =>
  deploy({ workers: 2, postgres: false, transport: 'cluster' }),
)
