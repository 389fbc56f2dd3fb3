import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createApi, createApplication, postForm } from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'

/** Shared auth checks for every admin route (no token, wrong tenant, missing scope, malformed). */
describe('admin API authentication and tenant isolation', () => {
  let server: TestServer
  let otherTenant: { id: string; clientId: string; clientSecret: string }
  let readOnly: { clientId: string; clientSecret: string }

  const routes = (tenant: string) =>
    [
      ['GET', `/admin/v1/tenants/${tenant}`, 'read:apis'],
      ['GET', `/admin/v1/tenants/${tenant}/apis`, 'read:apis'],
      ['POST', `/admin/v1/tenants/${tenant}/apis`, 'create:apis'],
      ['GET', `/admin/v1/tenants/${tenant}/applications`, 'read:applications'],
      ['POST', `/admin/v1/tenants/${tenant}/applications`, 'create:applications'],
      ['GET', `/admin/v1/tenants/${tenant}/keys`, 'read:keys'],
      ['POST', `/admin/v1/tenants/${tenant}/keys/rotate`, 'update:keys'],
      ['GET', `/admin/v1/tenants/${tenant}/audit`, 'read:audit'],
    ] as const

  async function tokenFor(clientId: string, clientSecret: string, issuer: string): Promise<string> {
    const { body } = await postForm(`${issuer}/oauth/token`, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      audience: 'urn:tokenmint:admin',
    })
    return body['access_token'] as string
  }

  async function call(method: string, path: string, token?: string) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
        ...(method === 'POST' && { 'content-type': 'application/json' }),
      },
      ...(method === 'POST' && {
        body: JSON.stringify({ name: 'x', audience: 'https://x', id: 'x' }),
      }),
    })
    return response
  }

  beforeAll(async () => {
    server = await startServer()
    const created = await server.admin_('POST', '/admin/v1/tenants', { id: 'globex' })
    expect(created.status).toBe(201)
    const body = (await created.json()) as { admin: { client_id: string; client_secret: string } }
    otherTenant = {
      id: 'globex',
      clientId: body.admin.client_id,
      clientSecret: body.admin.client_secret,
    }
    readOnly = await createApplication(server, {
      grants: [{ audience: 'urn:tokenmint:admin', scopes: ['read:applications'] }],
    })
  })
  afterAll(() => server.stop())

  it('refuses every route without a token, with a Bearer challenge', async () => {
    for (const [method, path] of routes('acme')) {
      const response = await call(method, path)
      // RFC 6750 §3.1: no credentials at all → 401 and a challenge without an error code.
      expect(response.status, `${method} ${path}`).toBe(401)
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="tokenmint"$/)
    }
  })

  it('refuses every route with a malformed or forged token', async () => {
    const forged = (await server.adminToken()).slice(0, -4) + 'AAAA'
    for (const token of ['not-a-jwt', forged]) {
      for (const [method, path] of routes('acme')) {
        const response = await call(method, path, token)
        expect(response.status, `${method} ${path}`).toBe(401)
        expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"')
      }
    }
  })

  it('refuses a token of one tenant on every route of another, both ways', async () => {
    const globexToken = await tokenFor(
      otherTenant.clientId,
      otherTenant.clientSecret,
      `${server.url}/t/globex`,
    )
    for (const [method, path] of routes('acme')) {
      expect((await call(method, path, globexToken)).status, `${method} ${path}`).toBe(401)
    }
    const acmeToken = await server.adminToken()
    for (const [method, path] of routes('globex')) {
      expect((await call(method, path, acmeToken)).status, `${method} ${path}`).toBe(401)
    }
  })

  it('refuses a token without the route scope, naming the scope', async () => {
    const token = await tokenFor(readOnly.clientId, readOnly.clientSecret, server.issuer)
    for (const [method, path, scope] of routes('acme')) {
      const response = await call(method, path, token)
      if (scope === 'read:applications') {
        expect(response.status).toBe(200)
        continue
      }
      expect(response.status, `${method} ${path}`).toBe(403)
      expect(response.headers.get('www-authenticate')).toContain(`scope="${scope}"`)
    }
  })

  it('lets only the root tenant manage tenants', async () => {
    const globexToken = await tokenFor(
      otherTenant.clientId,
      otherTenant.clientSecret,
      `${server.url}/t/globex`,
    )
    expect((await call('GET', '/admin/v1/tenants', globexToken)).status).toBe(403)
    expect((await call('POST', '/admin/v1/tenants', globexToken)).status).toBe(403)
    const list = await server.admin_('GET', '/admin/v1/tenants')
    expect(((await list.json()) as { items: { id: string }[] }).items.map((t) => t.id)).toEqual([
      'acme',
      'globex',
    ])
  })

  it("hides another tenant's application as not found", async () => {
    const globexToken = await tokenFor(
      otherTenant.clientId,
      otherTenant.clientSecret,
      `${server.url}/t/globex`,
    )
    const response = await fetch(
      `${server.url}/admin/v1/tenants/globex/applications/${readOnly.clientId}`,
      {
        headers: { authorization: `Bearer ${globexToken}` },
      },
    )
    expect(response.status).toBe(404)
  })

  it('answers validation errors as RFC 9457 problems naming each field, and changes nothing', async () => {
    const api = await createApi(server, { scopes: ['read:a'] })
    const before = (
      (await (
        await server.admin_('GET', `/admin/v1/tenants/acme/applications?limit=200`)
      ).json()) as { items: unknown[] }
    ).items.length
    const cases: [unknown, string][] = [
      [{ grants: [] }, 'name'],
      [
        { name: 'x', grants: [{ audience: api.audience, scopes: ['write:a'] }] },
        'grants[0].scopes',
      ],
      [{ name: 'x', grants: [{ audience: 'https://nowhere', scopes: [] }] }, 'grants[0].audience'],
      [{ name: 'x', expires_at: '2001-01-01' }, 'expires_at'],
      [{ name: 'x', expires_at: 'tomorrow' }, 'expires_at'],
      [{ name: 'x', token_lifetime_seconds: 10 }, 'token_lifetime_seconds'],
      [{ name: 'x', unknown_field: 1 }, 'unknown_field'],
    ]
    for (const [body, field] of cases) {
      const response = await server.admin_('POST', '/admin/v1/tenants/acme/applications', body)
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.headers.get('content-type')).toContain('application/problem+json')
      const problem = (await response.json()) as { errors: { field: string }[] }
      expect(problem.errors.map((e) => e.field).join(' '), JSON.stringify(body)).toContain(field)
    }
    const after = (
      (await (
        await server.admin_('GET', `/admin/v1/tenants/acme/applications?limit=200`)
      ).json()) as { items: unknown[] }
    ).items.length
    expect(after).toBe(before)
  })

  it('never returns the secret or its hash after creation', async () => {
    const app = await createApplication(server)
    const shown = await (
      await server.admin_('GET', `/admin/v1/tenants/acme/applications/${app.clientId}`)
    ).text()
    expect(shown).not.toContain(app.clientSecret)
    expect(shown).not.toContain('hash')
    expect(shown).toContain(`tms_…${app.clientSecret.slice(-4)}`)
    const listed = await (await server.admin_('GET', `/admin/v1/tenants/acme/applications`)).text()
    expect(listed).not.toContain(app.clientSecret)
  })

  it('publishes an OpenAPI 3.1 document of the admin API', async () => {
    const document = (await (await fetch(`${server.url}/admin/v1/openapi.json`)).json()) as {
      openapi: string
      paths: Record<string, unknown>
    }
    expect(document.openapi).toBe('3.1.0')
    expect(Object.keys(document.paths)).toContain('/admin/v1/tenants/{tenant}/applications')
    expect(Object.keys(document.paths).every((p) => p.startsWith('/admin/v1/'))).toBe(true)
  })
})
