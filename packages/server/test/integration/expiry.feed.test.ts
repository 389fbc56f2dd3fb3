import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createVerifier } from '../../../verify/src/index.js'
import { freshPostgresSchema } from '../support/databases.js'
import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { startServer, temporaryDir, type TestServer } from '../support/server.js'

interface FeedEntry {
  type: string
  client_id: string
  revoked_at: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function resourceServerOf(server: TestServer): Promise<ApplicationFixture> {
  const response = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
    name: `resource-server-${Date.now()}`,
    can_introspect: true,
  })
  const body = (await response.json()) as { client_id: string; client_secret: string }
  return { clientId: body.client_id, clientSecret: body.client_secret, body }
}

async function feedEntries(
  server: TestServer,
  reader: ApplicationFixture,
  clientId: string,
): Promise<FeedEntry[]> {
  const response = await fetch(`${server.issuer}/oauth/revocations`, {
    headers: { authorization: basic(reader.clientId, reader.clientSecret) },
  })
  expect(response.status).toBe(200)
  const { entries } = (await response.json()) as { entries: FeedEntry[] }
  return entries.filter((e) => e.type === 'application' && e.client_id === clientId)
}

async function expireSoon(server: TestServer, clientId: string, inMs: number): Promise<Date> {
  const expiresAt = new Date(Date.now() + inMs)
  const response = await server.admin_(
    'PATCH',
    `/admin/v1/tenants/${server.tenant}/applications/${clientId}`,
    { expires_at: expiresAt.toISOString() },
  )
  expect(response.status).toBe(200)
  return expiresAt
}

/**
 * Finding 5 of the outside probe: moving an application's expiry earlier published nothing, so
 * a verifier following the feed kept accepting tokens issued before the move for their whole
 * lifetime while introspection already said inactive. An expiry now reaches the feed when it
 * takes effect, within a second, once, on every node, and also across a restart.
 */
describe('an application expiry reaches the revocation feed', () => {
  let server: TestServer
  let api: ApiFixture
  let reader: ApplicationFixture

  beforeAll(async () => {
    server = await startServer()
    api = await createApi(server)
    reader = await resourceServerOf(server)
  })
  afterAll(() => server.stop())

  it('refuses a token issued before the expiry was moved earlier, within a second of it', async () => {
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
      token_lifetime_seconds: 3600,
    })
    const minted = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic(app.clientId, app.clientSecret) },
    )
    const token = minted.body['access_token'] as string
    expect(minted.body['expires_in']).toBe(3600)
    const verifier = createVerifier({
      issuer: server.issuer,
      audience: api.audience,
      revocationFeed: { clientId: reader.clientId, clientSecret: reader.clientSecret },
    })
    try {
      await verifier.ready
      const expiresAt = await expireSoon(server, app.clientId, 3000)
      // Not yet in effect: the token is still good, and nothing is in the feed.
      await expect(verifier.verify(token)).resolves.toMatchObject({ client_id: app.clientId })
      expect(await feedEntries(server, reader, app.clientId)).toEqual([])
      await sleep(Math.max(0, expiresAt.getTime() - Date.now()))
      let refusedAfterMs: number | undefined
      for (let i = 0; i < 60 && refusedAfterMs === undefined; i++) {
        const refused = await verifier.verify(token).then(
          () => false,
          () => true,
        )
        if (refused) refusedAfterMs = Date.now() - expiresAt.getTime()
        else await sleep(50)
      }
      expect(refusedAfterMs).toBeDefined()
      expect(refusedAfterMs).toBeLessThan(1000)
      const introspected = await postForm(
        `${server.issuer}/oauth/introspect`,
        { token },
        { authorization: basic(reader.clientId, reader.clientSecret) },
      )
      expect(introspected.body['active']).toBe(false)
      const entries = await feedEntries(server, reader, app.clientId)
      expect(entries).toHaveLength(1)
      expect(entries[0]?.revoked_at).toBe(Math.floor(expiresAt.getTime() / 1000))
    } finally {
      verifier.close()
    }
  })

  it('publishes nothing for an expiry moved later again before it was reached', async () => {
    const app = await createApplication(server, { token_lifetime_seconds: 3600 })
    await expireSoon(server, app.clientId, 3000)
    await expireSoon(server, app.clientId, 3_600_000)
    await sleep(3500)
    expect(await feedEntries(server, reader, app.clientId)).toEqual([])
  })
})

describe('an expiry reached while the server was down', () => {
  it('is published once, as the server starts again', async () => {
    const dataDir = temporaryDir()
    const first = await startServer({ dataDir })
    const reader = await resourceServerOf(first)
    const app = await createApplication(first, { token_lifetime_seconds: 3600 })
    const expiresAt = await expireSoon(first, app.clientId, 3000)
    await first.stop()
    await sleep(Math.max(0, expiresAt.getTime() - Date.now()) + 300)
    const second = await startServer({ dataDir, admin: first.admin })
    try {
      let entries: FeedEntry[] = []
      for (let i = 0; i < 20 && entries.length === 0; i++) {
        entries = await feedEntries(second, reader, app.clientId)
        if (entries.length === 0) await sleep(50)
      }
      expect(entries).toHaveLength(1)
    } finally {
      await second.stop()
    }
    const third = await startServer({ dataDir, admin: first.admin })
    try {
      await sleep(300)
      expect(await feedEntries(third, reader, app.clientId)).toHaveLength(1)
    } finally {
      await third.stop()
    }
  })
})

describe('expiries on several nodes sharing PostgreSQL', () => {
  it('are published exactly once each', async () => {
    const schema = await freshPostgresSchema()
    const nodes: TestServer[] = []
    try {
      // One deployment: the same database and the same master key (data dir).
      const dataDir = temporaryDir()
      nodes.push(await startServer({ dataDir, databaseUrl: schema.url }))
      const first = nodes[0]!
      for (let i = 0; i < 2; i++)
        nodes.push(await startServer({ dataDir, databaseUrl: schema.url, admin: first.admin }))
      const reader = await resourceServerOf(first)
      const apps = await Promise.all(
        Array.from({ length: 8 }, () => createApplication(first, { token_lifetime_seconds: 3600 })),
      )
      const expiries = await Promise.all(apps.map((app) => expireSoon(first, app.clientId, 4000)))
      await sleep(Math.max(...expiries.map((e) => e.getTime())) - Date.now() + 1200)
      for (const node of nodes) {
        for (const app of apps)
          expect(await feedEntries(node, reader, app.clientId), app.clientId).toHaveLength(1)
      }
    } finally {
      for (const node of nodes) await node.stop()
      await schema.drop()
    }
  })
})
