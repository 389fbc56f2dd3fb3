import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { storageDrivers as drivers } from '../support/databases.js'
import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApiFixture,
} from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'

describe.each(drivers)('application lifecycle on %s', (_name, open) => {
  let server: TestServer
  let api: ApiFixture
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    const db = await open()
    cleanup = db.cleanup
    server = await startServer(db.databaseUrl === undefined ? {} : { databaseUrl: db.databaseUrl })
    api = await createApi(server, {
      scopes: [
        'read:assigned-policies',
        'create:assigned-policies',
        'update:assigned-policies',
        'delete:assigned-policies',
      ],
    })
  })
  afterAll(async () => {
    await server.stop()
    await cleanup()
  })

  const appPath = (clientId: string) =>
    `/admin/v1/tenants/${server.tenant}/applications/${clientId}`
  const mint = (clientId: string, clientSecret: string, extra: Record<string, string> = {}) =>
    postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials', ...extra },
      { authorization: basic(clientId, clientSecret) },
    )

  it('applies a scope edit to the very next token and says issued tokens keep theirs', async () => {
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    expect((await mint(app.clientId, app.clientSecret)).body['scope']).toBe(
      'read:assigned-policies',
    )
    const response = await server.admin_('PATCH', appPath(app.clientId), {
      grants: [
        { audience: api.audience, scopes: ['read:assigned-policies', 'delete:assigned-policies'] },
      ],
    })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { notice: string }).notice).toMatch(
      /tokens already issued keep their scopes/i,
    )
    expect((await mint(app.clientId, app.clientSecret)).body['scope']).toBe(
      'read:assigned-policies delete:assigned-policies',
    )
  })

  it('resets a token lifetime and a quota to the tenant default with null', async () => {
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
      token_lifetime_seconds: 600,
    })
    const set = await server.admin_('PATCH', appPath(app.clientId), {
      token_rate_limit_per_minute: 100,
    })
    expect(await set.json()).toMatchObject({
      token_lifetime_seconds: 600,
      token_rate_limit_per_minute: 100,
    })
    const reset = await server.admin_('PATCH', appPath(app.clientId), {
      token_lifetime_seconds: null,
      token_rate_limit_per_minute: null,
    })
    expect(reset.status).toBe(200)
    expect(await reset.json()).toMatchObject({
      token_lifetime_seconds: null,
      token_rate_limit_per_minute: null,
    })
    expect((await mint(app.clientId, app.clientSecret)).body['expires_in']).toBe(3600)
  })

  it('filters the application list by environment, status and a search, across pages', async () => {
    const tag = `flt${Date.now().toString(36)}`
    const made = []
    for (const [name, environment] of [
      [`${tag} Deploy_bot`, 'staging'],
      [`${tag} scanner`, 'staging'],
      [`${tag} 100% reader`, 'production'],
      [`${tag} exporter`, 'staging'],
    ] as const) {
      made.push(await createApplication(server, { name, environment, grants: [] }))
    }
    await server.admin_('POST', `${appPath(made[1]!.clientId)}/revoke`)
    const list = async (query: string) => {
      const names: string[] = []
      let cursor = ''
      for (let page = 0; page < 20; page++) {
        const response = await server.admin_(
          'GET',
          `/admin/v1/tenants/${server.tenant}/applications?limit=1&${query}${cursor}`,
        )
        expect(response.status).toBe(200)
        const body = (await response.json()) as {
          items: { name: string }[]
          next_cursor: string | null
        }
        names.push(...body.items.map((a) => a.name))
        if (body.next_cursor === null) break
        cursor = `&cursor=${encodeURIComponent(body.next_cursor)}`
      }
      return names.sort()
    }
    expect(await list(`q=${tag}&environment=staging&status=active`)).toEqual([
      `${tag} Deploy_bot`,
      `${tag} exporter`,
    ])
    expect(await list(`q=${tag}&status=revoked`)).toEqual([`${tag} scanner`])
    // A search is a plain, case-insensitive substring: % and _ match only themselves.
    expect(await list(`q=${encodeURIComponent(`${tag} 100%`)}`)).toEqual([`${tag} 100% reader`])
    expect(await list(`q=${encodeURIComponent(`${tag} deploy_`)}`)).toEqual([`${tag} Deploy_bot`])
    expect(await list(`q=${encodeURIComponent(`${tag} deploy%`)}`)).toEqual([])
    expect(await list(`q=${made[2]!.clientId}`)).toEqual([`${tag} 100% reader`])
    const bad = await server.admin_(
      'GET',
      `/admin/v1/tenants/${server.tenant}/applications?status=gone`,
    )
    expect(bad.status).toBe(400)
  })

  it('lets only one of two concurrent edits with the same ETag win; the other gets 412', async () => {
    const app = await createApplication(server)
    const read = await server.admin_('GET', appPath(app.clientId))
    const etag = read.headers.get('etag')!
    const token = await server.adminToken()
    const edit = (name: string) =>
      fetch(`${server.url}${appPath(app.clientId)}`, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'if-match': etag,
        },
        body: JSON.stringify({ name }),
      })
    const statuses = (await Promise.all([edit('first admin'), edit('second admin')]))
      .map((r) => r.status)
      .sort()
    expect(statuses).toEqual([200, 412])
    const after = (await (await server.admin_('GET', appPath(app.clientId))).json()) as {
      name: string
    }
    expect(['first admin', 'second admin']).toContain(after.name)
  })

  it('rotates with an overlap: both secrets work, then only the new one after end-overlap', async () => {
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    await mint(app.clientId, app.clientSecret)
    const rotated = (await (
      await server.admin_('POST', `${appPath(app.clientId)}/rotate-secret`, {
        overlap_seconds: 3600,
      })
    ).json()) as {
      client_secret: string
      previous_secret: { expires_at: string }
    }
    expect(rotated.client_secret).not.toBe(app.clientSecret)
    expect(Date.parse(rotated.previous_secret.expires_at) - Date.now()).toBeGreaterThan(3500_000)
    expect((await mint(app.clientId, app.clientSecret)).status).toBe(200)
    expect((await mint(app.clientId, rotated.client_secret)).status).toBe(200)

    // The old secret is still in use just before its overlap ends: the admin is warned.
    const shown = (await (await server.admin_('GET', appPath(app.clientId))).json()) as {
      warnings?: string[]
      secrets: { last_used_at: string }[]
    }
    expect(shown.secrets).toHaveLength(2)
    expect(shown.warnings?.[0]).toMatch(/still in use/)

    // A third secret cannot be added while two are live.
    expect((await server.admin_('POST', `${appPath(app.clientId)}/rotate-secret`, {})).status).toBe(
      409,
    )

    expect((await server.admin_('POST', `${appPath(app.clientId)}/end-overlap`)).status).toBe(200)
    expect((await mint(app.clientId, app.clientSecret)).status).toBe(401)
    expect((await mint(app.clientId, rotated.client_secret)).status).toBe(200)
  })

  it('ends the old secret at once with overlap 0', async () => {
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const rotated = (await (
      await server.admin_('POST', `${appPath(app.clientId)}/rotate-secret`, { overlap_seconds: 0 })
    ).json()) as {
      client_secret: string
    }
    expect((await mint(app.clientId, app.clientSecret)).status).toBe(401)
    expect((await mint(app.clientId, rotated.client_secret)).status).toBe(200)
  })

  it('keeps rotating without downtime while tokens are requested with the old secret', async () => {
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const burst = Array.from({ length: 40 }, () => mint(app.clientId, app.clientSecret))
    const rotation = server.admin_('POST', `${appPath(app.clientId)}/rotate-secret`, {
      overlap_seconds: 600,
    })
    const results = await Promise.all(burst)
    expect((await rotation).status).toBe(200)
    expect(results.every((r) => r.status === 200)).toBe(true)
  })

  it('revokes while 50 token requests are in flight: none is issued after the revoke returned', async () => {
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const inFlight = Array.from({ length: 50 }, () =>
      mint(app.clientId, app.clientSecret).then((r) => ({ ...r, answeredAt: Date.now() })),
    )
    const revokeResponse = await server.admin_('POST', `${appPath(app.clientId)}/revoke`)
    const revokedAt = Date.now()
    expect(revokeResponse.status).toBe(200)
    const results = await Promise.all(inFlight)
    for (const r of results) expect([200, 401]).toContain(r.status)

    // From the audit log: every issued token was committed before the revoke.
    const audit = (await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/audit?client_id=${app.clientId}&limit=1000`,
      )
    ).json()) as {
      items: { id: string; type: string; data: { jti?: string } }[]
    }
    const revokeEvent = audit.items.find((e) => e.type === 'application.revoked')!
    const issued = audit.items.filter((e) => e.type === 'token.issued')
    for (const event of issued) expect(Number(event.id)).toBeLessThan(Number(revokeEvent.id))
    // Every token a client received has its audit record.
    const returned = results
      .filter((r) => r.status === 200)
      .map((r) => decodeJwt(r.body['access_token'] as string).jti)
    expect(new Set(issued.map((e) => e.data.jti))).toEqual(new Set(returned))

    // After the revoke returned, the very next request fails.
    const after = await mint(app.clientId, app.clientSecret)
    expect(after.status).toBe(401)
    expect(after.body['error_description']).toMatch(/revoked/)
    expect(revokedAt).toBeLessThanOrEqual(Date.now())
    // Revoked is terminal.
    expect((await server.admin_('PATCH', appPath(app.clientId), { name: 'revived' })).status).toBe(
      409,
    )
  })

  it('deletes an application and its secrets but keeps its audit history', async () => {
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    await mint(app.clientId, app.clientSecret)
    expect((await server.admin_('DELETE', appPath(app.clientId))).status).toBe(204)
    expect((await server.admin_('GET', appPath(app.clientId))).status).toBe(404)
    expect((await mint(app.clientId, app.clientSecret)).status).toBe(401)
    const audit = (await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/audit?client_id=${app.clientId}`,
      )
    ).json()) as {
      items: { type: string }[]
    }
    expect(audit.items.map((e) => e.type)).toEqual(
      expect.arrayContaining(['application.created', 'token.issued', 'application.deleted']),
    )
  })

  it('never lets a token outlive the application expiry, and refuses once it has passed', async () => {
    const expiresAt = new Date(Date.now() + 120_000)
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
      expires_at: expiresAt.toISOString(),
    })
    const { body } = await mint(app.clientId, app.clientSecret)
    expect(decodeJwt(body['access_token'] as string).exp).toBeLessThanOrEqual(
      Math.floor(expiresAt.getTime() / 1000),
    )
    expect(body['expires_in']).toBeLessThanOrEqual(120)
  })

  it('records usage: last used, the client IP and tokens per day', async () => {
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    for (let i = 0; i < 3; i++) await mint(app.clientId, app.clientSecret)
    const shown = (await (await server.admin_('GET', appPath(app.clientId))).json()) as {
      usage: {
        last_used_at: string
        last_client_ip: string
        tokens_per_day: { day: string; tokens: number }[]
      }
    }
    expect(shown.usage.last_client_ip).toBe('127.0.0.1')
    expect(Date.now() - Date.parse(shown.usage.last_used_at)).toBeLessThan(60_000)
    expect(shown.usage.tokens_per_day).toEqual([
      { day: new Date().toISOString().slice(0, 10), tokens: 3 },
    ])
  })

  it('grants from presets and a catalog, and refuses an unknown scope naming it', async () => {
    const created = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/apis`, {
      audience: 'https://catalog.example.com',
      name: 'Catalog API',
      catalog: {
        categories: [
          {
            name: 'Policies',
            resources: [
              { name: 'Assigned Policies', actions: ['read', 'create', 'update', 'delete'] },
              { name: 'Policy Templates', actions: ['read'] },
            ],
          },
        ],
        custom_scopes: [
          { scope: 'connectors.self:write-resource' },
          { scope: 'Resource/base_scope' },
        ],
        presets: [{ name: 'Auditor', scopes: ['read:assigned-policies', 'Resource/base_scope'] }],
      },
    })
    expect(created.status).toBe(201)
    const catalogApi = (await created.json()) as {
      scopes: string[]
      presets: { name: string; scopes: string[] }[]
    }
    expect(catalogApi.scopes).toEqual([
      'read:assigned-policies',
      'create:assigned-policies',
      'update:assigned-policies',
      'delete:assigned-policies',
      'read:policy-templates',
      'connectors.self:write-resource',
      'Resource/base_scope',
    ])
    expect(catalogApi.presets.map((p) => p.name)).toEqual(['read-only', 'full-access', 'auditor'])

    const readOnly = await createApplication(server, {
      grants: [{ audience: 'https://catalog.example.com', preset: 'read-only' } as never],
    })
    expect((await mint(readOnly.clientId, readOnly.clientSecret)).body['scope']).toBe(
      'read:assigned-policies read:policy-templates',
    )
    const mixed = await createApplication(server, {
      grants: [
        {
          audience: 'https://catalog.example.com',
          preset: 'auditor',
          scopes: ['connectors.self:write-resource'],
        } as never,
      ],
    })
    expect((await mint(mixed.clientId, mixed.clientSecret)).body['scope']).toBe(
      'read:assigned-policies Resource/base_scope connectors.self:write-resource',
    )
    const unknown = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
      name: 'bad',
      grants: [{ audience: 'https://catalog.example.com', scopes: ['write:everything'] }],
    })
    expect(unknown.status).toBe(400)
    expect(JSON.stringify(await unknown.json())).toContain('write:everything')
  })

  it('takes a scope removed from the API away from the applications holding it', async () => {
    const own = await createApi(server, { scopes: ['read:x', 'delete:x'] })
    const app = await createApplication(server, {
      grants: [{ audience: own.audience, scopes: ['read:x', 'delete:x'] }],
    })
    const response = await server.admin_(
      'PATCH',
      `/admin/v1/tenants/${server.tenant}/apis/${own.id}`,
      { scopes: ['read:x'] },
    )
    expect(response.status).toBe(200)
    expect(
      ((await response.json()) as { affected_applications: string[] }).affected_applications,
    ).toEqual([app.clientId])
    expect((await mint(app.clientId, app.clientSecret)).body['scope']).toBe('read:x')
  })

  it('returns snippets that mint a token once the secret is filled in', async () => {
    const response = await server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/applications`,
      {
        name: 'snippet test',
        grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
      },
    )
    const created = (await response.json()) as {
      client_secret: string
      snippets: { curl: string; curl_basic: string }
    }
    expect(created.snippets.curl).toContain('$CLIENT_SECRET')
    expect(created.snippets.curl).not.toContain(created.client_secret)
    const { execFile } = await import('node:child_process')
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        'sh',
        ['-c', created.snippets.curl],
        { env: { ...process.env, CLIENT_SECRET: created.client_secret } },
        (error, stdout) => {
          if (error) reject(new Error('the snippet failed', { cause: error }))
          else resolve(stdout)
        },
      )
    })
    expect(JSON.parse(output)).toMatchObject({
      token_type: 'Bearer',
      scope: 'read:assigned-policies',
    })
  })
})
