import { execFile } from 'node:child_process'
import fs from 'node:fs'
import { promisify } from 'node:util'

import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { scopesForRole } from '../../src/domain/admin-api.js'
import { ConsoleClient } from '../support/console-client.js'
import { storageDrivers } from '../support/databases.js'
import { basic, createApplication, postForm } from '../support/fixtures.js'
import { CLI, cliEnvFor } from '../support/serve-process.js'
import { startServer, type TestServer } from '../support/server.js'

const ADMIN = 'urn:tokenmint:admin'
const run = promisify(execFile)

interface Credentials {
  clientId: string
  clientSecret: string
}

interface Provisioned {
  id: string
  admin: Credentials
  owner: { username: string; password: string }
}

interface TenantBody {
  id: string
  display_name: string
  external_id: string | null
  metadata: Record<string, string>
  status: string
}

interface FeedEntry {
  type: string
  client_id: string
  revoked_at: number
  expires_at: number
}

let counter = 0
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++counter}`

describe.each(storageDrivers)('tenant provisioning with root credentials (%s)', (_name, open) => {
  let server: TestServer
  let cleanup: () => Promise<void>
  let rootOwner: ConsoleClient
  let rootViewer: ConsoleClient

  const json = (response: Response) => response.json() as Promise<Record<string, unknown>>

  function call(token: string | undefined, method: string, path: string, body?: unknown) {
    return fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
  }

  async function tokenFor(
    tenant: string,
    app: Credentials,
    audience = ADMIN,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    return postForm(`${server.url}/t/${tenant}/oauth/token`, {
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.clientSecret,
      audience,
    })
  }

  async function adminTokenFor(tenant: string, app: Credentials): Promise<string> {
    const { status, body } = await tokenFor(tenant, app)
    expect(status, JSON.stringify(body)).toBe(200)
    return body['access_token'] as string
  }

  async function provision(input: Record<string, unknown> = {}): Promise<Provisioned> {
    const id = (input['id'] as string | undefined) ?? unique('cust')
    const response = await server.admin_('POST', '/admin/v1/tenants', { id, ...input })
    expect(response.status, await response.clone().text()).toBe(201)
    const body = (await response.json()) as {
      admin: { client_id: string; client_secret: string }
      owner: { username: string; password: string }
    }
    return {
      id,
      admin: { clientId: body.admin.client_id, clientSecret: body.admin.client_secret },
      owner: body.owner,
    }
  }

  async function tenants(): Promise<TenantBody[]> {
    const response = await server.admin_('GET', '/admin/v1/tenants')
    expect(response.status).toBe(200)
    return ((await response.json()) as { items: TenantBody[] }).items
  }

  async function auditOf(tenant: string, type: string) {
    const page = await server.services.storage.audit.list({ tenantId: tenant, type, limit: 100 })
    return page.items
  }

  /** An application of `tenant` made with its own admin credentials. */
  async function applicationIn(
    tenant: Provisioned,
    extra: Record<string, unknown> = {},
  ): Promise<Credentials> {
    const token = await adminTokenFor(tenant.id, tenant.admin)
    const api = await call(token, 'POST', `/admin/v1/tenants/${tenant.id}/apis`, {
      audience: `https://${unique('api')}.example.com`,
      name: 'Orders',
      scopes: ['read:orders'],
    })
    expect(api.status).toBe(201)
    const { audience } = (await api.json()) as { audience: string }
    const app = await call(token, 'POST', `/admin/v1/tenants/${tenant.id}/applications`, {
      name: unique('app'),
      grants: [{ audience, scopes: ['read:orders'] }],
      ...extra,
    })
    expect(app.status).toBe(201)
    const body = (await app.json()) as { client_id: string; client_secret: string }
    return { clientId: body.client_id, clientSecret: body.client_secret }
  }

  beforeAll(async () => {
    const database = await open()
    cleanup = database.cleanup
    server = await startServer(
      database.databaseUrl === undefined ? {} : { databaseUrl: database.databaseUrl },
    )
    if (server.owner === undefined) throw new Error('first start creates an owner')
    rootOwner = new ConsoleClient(server)
    expect((await rootOwner.signIn('acme', 'owner', server.owner.password)).status).toBe(200)
    const viewer = await rootOwner.call('POST', '/admin/v1/tenants/acme/administrators', {
      username: 'root-viewer',
      role: 'viewer',
    })
    expect(viewer.status).toBe(201)
    rootViewer = new ConsoleClient(server)
    const { password } = (await viewer.json()) as { password: string }
    expect((await rootViewer.signIn('acme', 'root-viewer', password)).status).toBe(200)
  })
  afterAll(async () => {
    await server.stop()
    await cleanup()
  })

  describe('create, idempotent by external_id', () => {
    it('returns the tenant it made, without credentials, when the same external_id comes again', async () => {
      const id = unique('cust')
      const first = await server.admin_('POST', '/admin/v1/tenants', {
        id,
        external_id: `ext-${id}`,
        metadata: { plan: 'pro' },
      })
      expect(first.status).toBe(201)
      const created = await json(first)
      expect(created['created']).toBe(true)
      expect(created['tenant']).toMatchObject({
        id,
        external_id: `ext-${id}`,
        metadata: { plan: 'pro' },
        status: 'active',
      })

      const again = await server.admin_('POST', '/admin/v1/tenants', {
        id,
        external_id: `ext-${id}`,
        metadata: { plan: 'other' },
      })
      expect(again.status).toBe(200)
      expect(again.headers.get('cache-control')).toBe('no-store')
      const existing = await json(again)
      expect(existing['created']).toBe(false)
      expect(existing['tenant']).toMatchObject({ id, metadata: { plan: 'pro' } })
      expect(existing).not.toHaveProperty('admin')
      expect(existing).not.toHaveProperty('owner')
      expect(await auditOf(id, 'tenant.created')).toHaveLength(1)
    })

    it('makes one tenant out of eight concurrent creates with one external_id', async () => {
      const id = unique('par')
      const responses = await Promise.all(
        Array.from({ length: 8 }, () =>
          server.admin_('POST', '/admin/v1/tenants', { id, external_id: `ext-${id}` }),
        ),
      )
      const statuses = responses.map((r) => r.status).sort()
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 201])
      const bodies = await Promise.all(responses.map(json))
      expect(bodies.filter((b) => 'admin' in b)).toHaveLength(1)
      expect((await tenants()).filter((t) => t.id === id)).toHaveLength(1)
      expect(await auditOf(id, 'tenant.created')).toHaveLength(1)
    })

    it('refuses an external_id that belongs to another tenant, creating nothing', async () => {
      const holder = unique('holder')
      await provision({ id: holder, external_id: `ext-${holder}` })
      const before = await tenants()

      const other = unique('other')
      const stolen = await server.admin_('POST', '/admin/v1/tenants', {
        id: other,
        external_id: `ext-${holder}`,
      })
      expect(stolen.status).toBe(409)
      expect(JSON.stringify(await stolen.json())).toContain(holder)

      // The tenant id taken, with a new external_id: a conflict too, and the holder unchanged.
      const taken = await server.admin_('POST', '/admin/v1/tenants', {
        id: holder,
        external_id: `ext-${unique('new')}`,
      })
      expect(taken.status).toBe(409)

      const badId = await server.admin_('POST', '/admin/v1/tenants', {
        id: other,
        external_id: 'has spaces',
      })
      expect(badId.status).toBe(400)
      expect(await tenants()).toEqual(before)
    })
  })

  describe('update', () => {
    it("changes another tenant's name, external_id and metadata, recorded in both logs", async () => {
      const tenant = await provision({ external_id: `ext-${unique('u')}`, metadata: { a: '1' } })
      const externalId = `ext-${unique('u2')}`
      const response = await server.admin_('PATCH', `/admin/v1/tenants/${tenant.id}`, {
        display_name: 'Customer U',
        external_id: externalId,
        metadata: { plan: 'enterprise' },
      })
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({
        id: tenant.id,
        display_name: 'Customer U',
        external_id: externalId,
        metadata: { plan: 'enterprise' },
        status: 'active',
      })
      const own = await auditOf(tenant.id, 'tenant.updated')
      const root = (await auditOf('acme', 'tenant.updated')).filter(
        (e) => e.data['tenant'] === tenant.id,
      )
      for (const records of [own, root]) {
        expect(records).toHaveLength(1)
        expect(records[0]?.actor).toBe(`client:${server.admin.clientId}`)
        expect(records[0]?.data['after']).toMatchObject({ external_id: externalId })
      }
      // The new external_id is what creation is idempotent by now.
      const again = await server.admin_('POST', '/admin/v1/tenants', {
        id: tenant.id,
        external_id: externalId,
      })
      expect(again.status).toBe(200)

      const cleared = await server.admin_('PATCH', `/admin/v1/tenants/${tenant.id}`, {
        external_id: null,
      })
      expect(((await cleared.json()) as TenantBody).external_id).toBeNull()
    })

    it("refuses another tenant's external_id and bad metadata, changing nothing", async () => {
      const holder = await provision({ external_id: `ext-${unique('h')}` })
      const tenant = await provision({ external_id: `ext-${unique('t')}` })
      const before = (await tenants()).find((t) => t.id === tenant.id)
      const [holderBody] = (await tenants()).filter((t) => t.id === holder.id)
      const taken = await server.admin_('PATCH', `/admin/v1/tenants/${tenant.id}`, {
        display_name: 'Changed',
        external_id: holderBody?.external_id,
      })
      expect(taken.status).toBe(409)
      const bad = await server.admin_('PATCH', `/admin/v1/tenants/${tenant.id}`, {
        display_name: 'Changed',
        metadata: { 'not a key': 'x' },
      })
      expect(bad.status).toBe(400)
      const missing = await server.admin_('PATCH', `/admin/v1/tenants/${unique('nobody')}`, {
        display_name: 'Changed',
      })
      expect(missing.status).toBe(404)
      expect((await tenants()).find((t) => t.id === tenant.id)).toEqual(before)
    })
  })

  describe('suspend and resume', () => {
    let tenant: Provisioned
    let app: Credentials
    let reader: Credentials
    let tokenBefore: string
    let adminTokenBefore: string
    let session: ConsoleClient
    let suspendedAt: number

    beforeAll(async () => {
      tenant = await provision({ external_id: `ext-${unique('s')}` })
      app = await applicationIn(tenant)
      reader = await applicationIn(tenant, { can_introspect: true })
      const token = await postForm(`${server.url}/t/${tenant.id}/oauth/token`, {
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: app.clientSecret,
      })
      expect(token.status).toBe(200)
      tokenBefore = token.body['access_token'] as string
      adminTokenBefore = await adminTokenFor(tenant.id, tenant.admin)
      session = new ConsoleClient(server)
      expect((await session.signIn(tenant.id, 'owner', tenant.owner.password)).status).toBe(200)

      const response = await server.admin_('POST', `/admin/v1/tenants/${tenant.id}/suspend`)
      expect(response.status).toBe(200)
      expect(((await response.json()) as TenantBody).status).toBe('suspended')
      suspendedAt = Math.floor(Date.now() / 1000)
    })

    it("revokes every token the tenant issued through the feed, each entry outliving the tenant's longest token", async () => {
      const stored = await server.services.storage.revocations.list(tenant.id, undefined, 100)
      const entries: FeedEntry[] = stored.map((r) => ({
        type: r.type,
        client_id: r.clientId,
        revoked_at: Math.floor(r.revokedAt.getTime() / 1000),
        expires_at: Math.floor(r.expiresAt.getTime() / 1000),
      }))
      const apps = await server.services.storage.applications.listAll(tenant.id)
      expect(apps).toHaveLength(3) // the admin application, app and reader
      for (const a of apps) {
        const entry = entries.find((e) => e.type === 'application' && e.client_id === a.clientId)
        expect(entry, a.clientId).toBeDefined()
        expect(entry!.revoked_at).toBeGreaterThanOrEqual(decodeJwt(tokenBefore).iat!)
        expect(entry!.expires_at - entry!.revoked_at).toBeGreaterThanOrEqual(86_400)
      }
      // The same entries as a verifier reads them from the tenant's feed.
      const feed = await fetch(`${server.url}/t/${tenant.id}/oauth/revocations`, {
        headers: { authorization: basic(reader.clientId, reader.clientSecret) },
      })
      if (feed.status === 200) {
        const body = (await feed.json()) as { entries: FeedEntry[] }
        const listed = body.entries.filter((e) => e.type === 'application').map((e) => e.client_id)
        expect(listed.sort()).toEqual(apps.map((a) => a.clientId).sort())
      } else {
        // The feed's reader is an application of the suspended tenant: refusing it is fine too.
        expect([401, 403]).toContain(feed.status)
      }
      const introspected = await postForm(
        `${server.url}/t/${tenant.id}/oauth/introspect`,
        { token: tokenBefore },
        { authorization: basic(reader.clientId, reader.clientSecret) },
      )
      expect(introspected.body['active'] ?? false).toBe(false)
    })

    it("issues no token to the suspended tenant's applications", async () => {
      const refused = await postForm(`${server.url}/t/${tenant.id}/oauth/token`, {
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: app.clientSecret,
      })
      expect(refused.status).not.toBe(200)
      expect(refused.body).not.toHaveProperty('access_token')
      expect(JSON.stringify(refused.body)).toContain('suspended')
    })

    it("turns the tenant's administrators away, naming the suspension to those who signed in", async () => {
      const viaToken = await call(adminTokenBefore, 'GET', `/admin/v1/tenants/${tenant.id}/apis`)
      expect([401, 403]).toContain(viaToken.status)
      const viaSession = await session.call('GET', `/admin/v1/tenants/${tenant.id}/apis`)
      expect(viaSession.status).toBe(403)
      expect(JSON.stringify(await viaSession.json())).toContain('suspended')

      const signIn = await new ConsoleClient(server).signIn(
        tenant.id,
        'owner',
        tenant.owner.password,
      )
      expect(signIn.status).toBe(403)
      expect(JSON.stringify(await signIn.json())).toContain('is suspended')
      const wrong = await new ConsoleClient(server).signIn(tenant.id, 'owner', 'not-the-password')
      expect(wrong.status).toBe(401)
      expect(JSON.stringify(await wrong.json())).not.toContain('suspended')
    })

    it('records the suspension in both logs once, however often it is asked', async () => {
      const again = await server.admin_('POST', `/admin/v1/tenants/${tenant.id}/suspend`)
      expect(again.status).toBe(200)
      const own = await auditOf(tenant.id, 'tenant.suspended')
      const root = (await auditOf('acme', 'tenant.suspended')).filter(
        (e) => e.data['tenant'] === tenant.id,
      )
      expect(own).toHaveLength(1)
      expect(root).toHaveLength(1)
      expect(root[0]?.data['applications_revoked']).toBe(3)
      expect(root[0]?.actor).toBe(`client:${server.admin.clientId}`)
    })

    it('lists the tenant as suspended', async () => {
      expect((await tenants()).find((t) => t.id === tenant.id)?.status).toBe('suspended')
    })

    it('issues new tokens again once resumed; those revoked by the suspension stay revoked', async () => {
      // Let a second pass, so new tokens' iat is after the revocation's.
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, (suspendedAt + 1) * 1000 - Date.now() + 50)),
      )
      const response = await server.admin_('POST', `/admin/v1/tenants/${tenant.id}/resume`)
      expect(response.status).toBe(200)
      expect(((await response.json()) as TenantBody).status).toBe('active')
      expect(await auditOf(tenant.id, 'tenant.resumed')).toHaveLength(1)

      const issued = await postForm(`${server.url}/t/${tenant.id}/oauth/token`, {
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: app.clientSecret,
      })
      expect(issued.status).toBe(200)
      const iat = decodeJwt(issued.body['access_token'] as string).iat!
      const entries = await server.services.storage.revocations.list(tenant.id, undefined, 100)
      const entry = entries.find((e) => e.clientId === app.clientId)!
      // A verifier following the feed refuses tokens issued up to revoked_at, not after it.
      expect(iat).toBeGreaterThan(Math.floor(entry.revokedAt.getTime() / 1000))
      expect(entry.expiresAt.getTime()).toBeGreaterThan(Date.now())

      expect((await session.signIn(tenant.id, 'owner', tenant.owner.password)).status).toBe(200)
      const introspected = await postForm(
        `${server.url}/t/${tenant.id}/oauth/introspect`,
        { token: tokenBefore },
        { authorization: basic(reader.clientId, reader.clientSecret) },
      )
      expect(introspected.body['active']).toBe(false)
    })

    // The server's own check (admin API, introspection) follows the feed's rule: an application
    // entry ends the tokens issued up to its `revoked_at`, so a resumed tenant's new ones work.
    it("serves the tenant's new tokens again once resumed: admin API and introspection", async () => {
      const adminToken = await adminTokenFor(tenant.id, tenant.admin)
      const apis = await call(adminToken, 'GET', `/admin/v1/tenants/${tenant.id}/apis`)
      expect(apis.status, await apis.clone().text()).toBe(200)
      const issued = await postForm(`${server.url}/t/${tenant.id}/oauth/token`, {
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: app.clientSecret,
      })
      const introspected = await postForm(
        `${server.url}/t/${tenant.id}/oauth/introspect`,
        { token: issued.body['access_token'] as string },
        { authorization: basic(reader.clientId, reader.clientSecret) },
      )
      expect(introspected.body['active']).toBe(true)
    })
  })

  describe('delete', () => {
    let tenant: Provisioned
    let app: Credentials
    let externalId: string

    beforeAll(async () => {
      externalId = `ext-${unique('d')}`
      tenant = await provision({ external_id: externalId, metadata: { plan: 'pro' } })
      app = await applicationIn(tenant)
      const response = await server.admin_('DELETE', `/admin/v1/tenants/${tenant.id}`)
      expect(response.status).toBe(204)
    })

    it("removes the tenant's data and serves it nowhere", async () => {
      const storage = server.services.storage
      expect(await storage.applications.listAll(tenant.id)).toEqual([])
      expect(await storage.apis.list(tenant.id)).toEqual([])
      expect(await storage.signingKeys.listForTenant(tenant.id)).toEqual([])
      expect(await storage.administrators.list(tenant.id)).toEqual([])
      expect(await storage.applications.findClient(app.clientId)).toBeUndefined()
      expect((await tenants()).map((t) => t.id)).not.toContain(tenant.id)

      for (const path of [
        `/t/${tenant.id}/.well-known/jwks.json`,
        `/t/${tenant.id}/.well-known/oauth-authorization-server`,
      ]) {
        expect((await fetch(`${server.url}${path}`)).status, path).toBe(404)
      }
      const token = await postForm(`${server.url}/t/${tenant.id}/oauth/token`, {
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: app.clientSecret,
      })
      expect(token.status).toBe(401)
      expect(token.body['error']).toBe('invalid_client')
      const adminToken = await tokenFor(tenant.id, tenant.admin)
      expect(adminToken.status).not.toBe(200)
      const signIn = await new ConsoleClient(server).signIn(
        tenant.id,
        'owner',
        tenant.owner.password,
      )
      expect(signIn.status).toBe(401)
    })

    it("revokes the tenant's tokens through the feed before the data goes", async () => {
      const entries = await server.services.storage.revocations.list(tenant.id, undefined, 100)
      expect(entries.map((e) => e.clientId)).toEqual(
        expect.arrayContaining([app.clientId, tenant.admin.clientId]),
      )
    })

    it('keeps its audit log, with the deletion in it and in the root tenant’s', async () => {
      expect(await auditOf(tenant.id, 'tenant.created')).toHaveLength(1)
      const own = await auditOf(tenant.id, 'tenant.deleted')
      const root = (await auditOf('acme', 'tenant.deleted')).filter(
        (e) => e.data['tenant'] === tenant.id,
      )
      for (const records of [own, root]) {
        expect(records).toHaveLength(1)
        expect(records[0]?.actor).toBe(`client:${server.admin.clientId}`)
        expect(records[0]?.data['external_id']).toBe(externalId)
      }
      expect(await server.services.storage.auditChain.head(tenant.id)).toBeDefined()
    })

    it('never gives the id out again, but frees the external_id for a new tenant', async () => {
      const sameId = await server.admin_('POST', '/admin/v1/tenants', { id: tenant.id })
      expect(sameId.status).toBe(409)
      const sameCustomer = await server.admin_('POST', '/admin/v1/tenants', {
        id: unique('again'),
        external_id: externalId,
      })
      expect(sameCustomer.status).toBe(201)
    })

    it('is 404 for every provisioning route afterwards', async () => {
      for (const [method, path, body] of [
        ['DELETE', `/admin/v1/tenants/${tenant.id}`, undefined],
        ['POST', `/admin/v1/tenants/${tenant.id}/suspend`, undefined],
        ['POST', `/admin/v1/tenants/${tenant.id}/resume`, undefined],
        ['PATCH', `/admin/v1/tenants/${tenant.id}`, { display_name: 'Back' }],
      ] as const) {
        expect((await server.admin_(method, path, body)).status, `${method} ${path}`).toBe(404)
      }
    })
  })

  it('refuses to suspend or delete the root tenant', async () => {
    for (const [method, path] of [
      ['POST', '/admin/v1/tenants/acme/suspend'],
      ['DELETE', '/admin/v1/tenants/acme'],
    ] as const) {
      const response = await server.admin_(method, path)
      expect(response.status, `${method} ${path}`).toBe(409)
    }
    expect((await tenants()).find((t) => t.id === 'acme')?.status).toBe('active')
    expect((await server.admin_('GET', '/admin/v1/tenants/acme/apis')).status).toBe(200)
  })

  describe('who may provision', () => {
    type Caller =
      'rootManage' | 'rootNoManage' | 'otherTenant' | 'rootOwner' | 'rootViewer' | 'none'
    const CALLERS: readonly Caller[] = [
      'rootManage',
      'rootNoManage',
      'otherTenant',
      'rootOwner',
      'rootViewer',
      'none',
    ]
    let rootNoManage: string
    let other: Provisioned
    let otherToken: string

    async function as(caller: Caller, method: string, path: string, body?: unknown) {
      switch (caller) {
        case 'rootManage':
          return call(await server.adminToken(), method, path, body)
        case 'rootNoManage':
          return call(rootNoManage, method, path, body)
        case 'otherTenant':
          return call(otherToken, method, path, body)
        case 'rootOwner':
          return rootOwner.call(method, path, body)
        case 'rootViewer':
          return rootViewer.call(method, path, body)
        case 'none':
          return call(undefined, method, path, body)
      }
    }

    beforeAll(async () => {
      // A root application granted every root admin scope but manage:tenants.
      const limited = await createApplication(server, {
        grants: [{ audience: ADMIN, scopes: ['read:tenants', 'create:tenants', 'read:apis'] }],
      })
      rootNoManage = await adminTokenFor('acme', limited)
      other = await provision()
      otherToken = await adminTokenFor(other.id, other.admin)
    })

    const allowed = (caller: Caller) => caller === 'rootManage' || caller === 'rootOwner'

    const ROUTES: {
      name: string
      method: string
      path: (id: string) => string
      body?: unknown
      ok: number
      /** Which callers succeed, when not only those holding manage:tenants. */
      allowed?: (caller: Caller) => boolean
    }[] = [
      {
        name: 'update',
        method: 'PATCH',
        path: (id) => `/admin/v1/tenants/${id}`,
        body: { display_name: 'Taken over' },
        ok: 200,
      },
      { name: 'suspend', method: 'POST', path: (id) => `/admin/v1/tenants/${id}/suspend`, ok: 200 },
      { name: 'resume', method: 'POST', path: (id) => `/admin/v1/tenants/${id}/resume`, ok: 200 },
      { name: 'delete', method: 'DELETE', path: (id) => `/admin/v1/tenants/${id}`, ok: 204 },
    ]

    it.each(ROUTES)('$name: only root callers holding manage:tenants', async (route) => {
      const victim = await provision({ metadata: { keep: 'me' } })
      const before = (await tenants()).find((t) => t.id === victim.id)
      const statuses: Record<string, number> = {}
      for (const caller of CALLERS.filter((c) => !allowed(c))) {
        statuses[caller] = (
          await as(caller, route.method, route.path(victim.id), route.body)
        ).status
      }
      expect(statuses).toEqual({
        rootNoManage: 403,
        otherTenant: 403,
        rootViewer: 403,
        none: 401,
      })
      // Nothing the refused callers asked for happened.
      expect((await tenants()).find((t) => t.id === victim.id)).toEqual(before)
      expect(await server.services.storage.revocations.list(victim.id, undefined, 10)).toEqual([])

      for (const caller of CALLERS.filter(allowed)) {
        const fresh = await provision()
        const response = await as(caller, route.method, route.path(fresh.id), route.body)
        expect(response.status, `${caller} ${route.name}`).toBe(route.ok)
      }
    })

    it('create: root callers with create:tenants or manage:tenants', async () => {
      const expected: Record<Caller, number> = {
        rootManage: 201,
        rootNoManage: 201,
        otherTenant: 403,
        rootOwner: 201,
        rootViewer: 403,
        none: 401,
      }
      // An application holding manage:tenants alone may create too.
      const manageOnly = await createApplication(server, {
        grants: [{ audience: ADMIN, scopes: ['manage:tenants'] }],
      })
      const manageOnlyToken = await adminTokenFor('acme', manageOnly)
      const created = await call(manageOnlyToken, 'POST', '/admin/v1/tenants', {
        id: unique('mo'),
      })
      expect(created.status).toBe(201)

      for (const caller of CALLERS) {
        const id = unique(caller.toLowerCase())
        const response = await as(caller, 'POST', '/admin/v1/tenants', { id })
        expect(response.status, caller).toBe(expected[caller])
        expect(
          (await tenants()).some((t) => t.id === id),
          caller,
        ).toBe(expected[caller] === 201)
      }
    })

    it('lets a non-root tenant change no tenant, not even itself', async () => {
      const victim = await provision()
      const otherSession = new ConsoleClient(server)
      expect((await otherSession.signIn(other.id, 'owner', other.owner.password)).status).toBe(200)
      for (const target of [victim.id, other.id, 'acme']) {
        for (const route of ROUTES) {
          const viaToken = await call(otherToken, route.method, route.path(target), route.body)
          expect(viaToken.status, `token ${route.name} ${target}`).toBe(403)
          const viaSession = await otherSession.call(route.method, route.path(target), route.body)
          expect(viaSession.status, `session ${route.name} ${target}`).toBe(403)
        }
      }
      const listed = await tenants()
      for (const id of [victim.id, other.id, 'acme'])
        expect(listed.find((t) => t.id === id)?.status, id).toBe('active')
      expect((await call(otherToken, 'GET', `/admin/v1/tenants/${other.id}/apis`)).status).toBe(200)
    })

    it('gives manage:tenants to root owners only', () => {
      expect(scopesForRole('owner', true).has('manage:tenants')).toBe(true)
      for (const [role, isRoot] of [
        ['owner', false],
        ['admin', true],
        ['viewer', true],
      ] as const)
        expect(scopesForRole(role, isRoot).has('manage:tenants'), `${role} ${isRoot}`).toBe(false)
    })
  })
})

describe('tokenmint tenants (CLI)', () => {
  let server: TestServer
  let env: NodeJS.ProcessEnv
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { env })

  beforeAll(async () => {
    server = await startServer()
    env = cliEnvFor(server)
  })
  afterAll(() => server.stop())

  it('creates, updates, suspends, resumes and deletes a tenant', async () => {
    const id = unique('cli')
    const created = JSON.parse(
      (
        await cli(
          'tenants',
          'create',
          '--id',
          id,
          '--external-id',
          `ext-${id}`,
          '--metadata',
          'plan=free',
          '--json',
        )
      ).stdout,
    ) as { created: boolean; tenant: TenantBody }
    expect(created.created).toBe(true)
    expect(created.tenant).toMatchObject({ external_id: `ext-${id}`, metadata: { plan: 'free' } })
    const profile = env['TOKENMINT_PROFILE']!
    const saved = fs.readFileSync(profile, 'utf8')
    expect(saved).toContain(id)

    const again = await cli('tenants', 'create', '--id', id, '--external-id', `ext-${id}`)
    expect(again.stdout).toContain('already exists')
    expect(again.stdout).toContain('no credentials were saved')
    expect(fs.readFileSync(profile, 'utf8')).toBe(saved)

    const updated = JSON.parse(
      (
        await cli(
          'tenants',
          'update',
          id,
          '--name',
          'CLI customer',
          '--metadata',
          'region=eu',
          '--remove-metadata',
          'plan',
          '--json',
        )
      ).stdout,
    ) as TenantBody
    expect(updated).toMatchObject({ display_name: 'CLI customer', metadata: { region: 'eu' } })

    expect((await cli('tenants', 'suspend', id)).stdout).toContain('suspended')
    expect((await cli('tenants', 'list')).stdout).toMatch(new RegExp(`${id}.*suspended`))
    expect((await cli('tenants', 'resume', id)).stdout).toContain('active')
    expect((await cli('tenants', 'delete', id, '--yes')).stdout).toContain(`Deleted tenant ${id}`)
    expect((await cli('tenants', 'list')).stdout).not.toContain(id)

    const gone = await cli('tenants', 'delete', id, '--yes').catch((error: unknown) => error)
    // Exit code 3: the server refused (cli/cli-error.ts).
    expect(gone).toMatchObject({ code: 3, stderr: expect.stringContaining('404') as unknown })
  })
})
