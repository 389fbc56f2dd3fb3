// Regressions found by the hostile-input suite (test/fuzz): each case is its minimal reproduction.
import net from 'node:net'

import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  basic,
  createApi,
  createApplication,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'

describe('repeated parameters, repeated headers and odd numbers are refused, not guessed at', () => {
  let server: TestServer
  let app: ApplicationFixture
  let introspector: { client_id: string; client_secret: string }

  beforeAll(async () => {
    server = await startServer()
    const api = await createApi(server)
    app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const created = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
      name: 'resource server',
      can_introspect: true,
    })
    introspector = (await created.json()) as typeof introspector
  })
  afterAll(() => server.stop())

  async function issuedCount(): Promise<number> {
    const page = await server.services.storage.audit.list({
      tenantId: server.tenant,
      type: 'token.issued',
      limit: 1000,
    })
    return page.items.length
  }

  async function send(
    path: string,
    headers: string[],
    body?: string,
    method = 'POST',
  ): Promise<{ status: number; json: Record<string, unknown>; setCookie: unknown }> {
    const response = await request(`${server.url}${path}`, { method, headers, body })
    return {
      status: response.statusCode,
      json: (await response.body.json()) as Record<string, unknown>,
      setCookie: response.headers['set-cookie'],
    }
  }

  it('refuses a JSON token request that repeats a member, whichever copy is valid', async () => {
    const before = await issuedCount()
    const credentials = `"client_id":"${app.clientId}","client_secret":"${app.clientSecret}"`
    for (const body of [
      `{"grant_type":"client_credentials","grant_type":"client_credentials",${credentials}}`,
      `{"grant_type":"password","grant_type":"client_credentials",${credentials}}`,
      `{"grant_type":"client_credentials",${credentials},"client_secret":"tms_guess"}`,
    ]) {
      const { status, json } = await send(
        server.tokenEndpoint.replace(server.url, ''),
        ['content-type', 'application/json'],
        body,
      )
      expect(status).toBe(400)
      expect(json['error']).toBe('invalid_request')
      expect(json['error_description']).toMatch(/is repeated/)
    }
    expect(await issuedCount()).toBe(before)
  })

  it('refuses a repeated member at introspection as at the token endpoint', async () => {
    const body = JSON.stringify({
      client_id: introspector.client_id,
      client_secret: introspector.client_secret,
    }).replace('}', ',"token":"a","token":"b"}')
    const { status, json } = await send(
      `/t/${server.tenant}/oauth/introspect`,
      ['content-type', 'application/json'],
      body,
    )
    expect(status).toBe(400)
    expect(json['error']).toBe('invalid_request')
  })

  it('refuses two Authorization headers at the token endpoint, even when the first is valid', async () => {
    const before = await issuedCount()
    const valid = basic(app.clientId, app.clientSecret)
    for (const second of [valid, basic('someone', 'else')]) {
      const { status, json } = await send(
        server.tokenEndpoint.replace(server.url, ''),
        [
          'content-type',
          'application/x-www-form-urlencoded',
          'authorization',
          valid,
          'authorization',
          second,
        ],
        'grant_type=client_credentials',
      )
      expect(status).toBe(400)
      expect(json['error_description']).toMatch(/Authorization header is repeated/)
    }
    expect(await issuedCount()).toBe(before)
  })

  it('refuses two Authorization headers on the admin API, even when the first is valid', async () => {
    const token = await server.adminToken()
    const { status, json } = await send(
      `/admin/v1/tenants/${server.tenant}/applications`,
      ['authorization', `Bearer ${token}`, 'authorization', 'Bearer x'],
      undefined,
      'GET',
    )
    expect(status).toBe(400)
    expect(json['detail']).toMatch(/Authorization header is repeated/)
  })

  it('refuses a console sign-in that names the password twice, and sets no cookie', async () => {
    const owner = server.owner!
    const { status, json, setCookie } = await send(
      '/console/api/session',
      ['content-type', 'application/json'],
      `{"tenant":"${server.tenant}","username":"${owner.username}","password":"wrong-guess","password":${JSON.stringify(owner.password)}}`,
    )
    expect(status).toBe(400)
    expect(json['errors']).toEqual([
      { field: 'password', message: 'password is repeated; send it once' },
    ])
    expect(setCookie).toBeUndefined()
  })

  it('answers limit=Infinity and limit=1e400 with a 400 naming limit, not a 500', async () => {
    const token = await server.adminToken()
    for (const route of ['applications', 'users', 'audit']) {
      for (const limit of ['Infinity', '-Infinity', '1e400']) {
        const { status, json } = await send(
          `/admin/v1/tenants/${server.tenant}/${route}?limit=${limit}`,
          ['authorization', `Bearer ${token}`],
          undefined,
          'GET',
        )
        expect({ route, limit, status }).toEqual({ route, limit, status: 400 })
        expect(json['errors']).toEqual([
          { field: 'limit', message: 'limit must be a finite number' },
        ])
      }
    }
  })

  it('does not read /admin/v1/tenants/root/... as a root-tenant route', async () => {
    const rootToken = await server.adminToken()
    const before = await send(
      '/admin/v1/tenants/root/apis',
      ['authorization', `Bearer ${rootToken}`],
      undefined,
      'GET',
    )
    expect(before.status).toBe(401)

    // A tenant may be called "root": it manages itself, and other tenants cannot see into it.
    const created = await server.admin_('POST', '/admin/v1/tenants', { id: 'root' })
    expect(created.status).toBe(201)
    const { admin } = (await created.json()) as {
      admin: { client_id: string; client_secret: string }
    }
    const tokenResponse = await send(
      '/t/root/oauth/token',
      ['content-type', 'application/x-www-form-urlencoded'],
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: admin.client_id,
        client_secret: admin.client_secret,
        audience: 'urn:tokenmint:admin',
      }).toString(),
    )
    const ownToken = tokenResponse.json['access_token'] as string
    const own = await send(
      '/admin/v1/tenants/root/apis',
      ['authorization', `Bearer ${ownToken}`],
      undefined,
      'GET',
    )
    expect(own.status).toBe(200)
    const foreign = await send(
      '/admin/v1/tenants/root/applications',
      ['authorization', `Bearer ${rootToken}`],
      undefined,
      'GET',
    )
    expect(foreign.status).toBe(401)
    const tenants = await send(
      '/admin/v1/tenants',
      ['authorization', `Bearer ${ownToken}`],
      undefined,
      'GET',
    )
    expect(tenants.status).toBe(403)
  })

  it('answers a path the router cannot decode in the OAuth format, echoing nothing of the URL', async () => {
    const secret = app.clientSecret
    const response = await fetch(`${server.url}/t/%/oauth/token?client_secret=${secret}`, {
      method: 'POST',
    })
    expect(response.status).toBe(400)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const text = await response.text()
    expect(text).not.toContain(secret)
    expect(JSON.parse(text)).toEqual({
      error: 'invalid_request',
      error_description: 'the request path is not valid percent-encoding',
    })
  })

  it('answers broken HTTP framing and oversized headers with a JSON error, then closes', async () => {
    const { port } = new URL(server.url)
    const exchange = (raw: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(raw))
        let answer = ''
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')))
        socket.on('close', () => resolve(answer))
        socket.on('error', reject)
        socket.setTimeout(5000, () => socket.destroy())
      })
    const badLength = await exchange(
      'POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
    )
    expect(badLength).toMatch(/^HTTP\/1\.1 400 /)
    expect(badLength).toContain('"error":"invalid_request"')
    const huge = await exchange(
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`,
    )
    expect(huge).toMatch(/^HTTP\/1\.1 431 /)
    expect(huge).toContain('the request headers are too large')
    const hugeAdmin = await exchange(
      `GET /admin/v1/tenants/acme/apis HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`,
    )
    expect(hugeAdmin).toMatch(/^HTTP\/1\.1 431 /)
    expect(hugeAdmin).toContain('Content-Type: application/problem+json')
  })

  it('answers an unknown admin path with problem details', async () => {
    const response = await fetch(`${server.url}/admin/v1/tenants/${server.tenant}/nothing`)
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  })

  it('names a short grant_type back but never a long one (a pasted secret stays unrepeated)', async () => {
    const send = (grantType: string) =>
      fetch(server.tokenEndpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(app.clientId, app.clientSecret),
        },
        body: new URLSearchParams({ grant_type: grantType }),
      }).then(async (r) => (await r.json()) as { error: string; error_description: string })
    const typo = await send('client_credential')
    expect(typo.error).toBe('unsupported_grant_type')
    expect(typo.error_description).toContain("'client_credential'")
    const pasted = await send(app.clientSecret)
    expect(pasted.error).toBe('unsupported_grant_type')
    expect(pasted.error_description).not.toContain(app.clientSecret.slice(4, 20))
  })

  it('refuses a user field sent as a one-item array with 400, naming it, and creates nothing', async () => {
    for (const field of ['email', 'display_name']) {
      const response = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/users`, {
        username: `array-${field}`,
        password: 'a long enough passphrase 1',
        [field]: ['x@example.com'],
      })
      expect(response.status, field).toBe(400)
    }
    const list = await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/users`)
    const { items } = (await list.json()) as { items: { username: string }[] }
    expect(items.filter((u) => u.username.startsWith('array-'))).toEqual([])
  })
})
