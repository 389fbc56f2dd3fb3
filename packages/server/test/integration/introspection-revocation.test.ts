import http from 'node:http'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'

describe('introspection (RFC 7662), revocation (RFC 7009) and the revocation feed', () => {
  let server: TestServer
  let api: ApiFixture
  let app: ApplicationFixture
  let resourceServer: ApplicationFixture

  beforeAll(async () => {
    server = await startServer()
    api = await createApi(server)
    app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const response = await server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/applications`,
      { name: 'Policies API', can_introspect: true },
    )
    const body = (await response.json()) as { client_id: string; client_secret: string }
    resourceServer = { clientId: body.client_id, clientSecret: body.client_secret, body }
  })
  afterAll(() => server.stop())

  const mint = async (who = app) =>
    (
      await postForm(
        server.tokenEndpoint,
        { grant_type: 'client_credentials' },
        { authorization: basic(who.clientId, who.clientSecret) },
      )
    ).body['access_token'] as string
  const introspect = (token: string, who = resourceServer) =>
    postForm(
      `${server.issuer}/oauth/introspect`,
      { token },
      { authorization: basic(who.clientId, who.clientSecret) },
    )
  const feed = async (since?: string) => {
    const response = await fetch(
      `${server.issuer}/oauth/revocations${since === undefined ? '' : `?since=${since}`}`,
      {
        headers: { authorization: basic(resourceServer.clientId, resourceServer.clientSecret) },
      },
    )
    return {
      status: response.status,
      body: (await response.json()) as {
        entries: { cursor: string; type: string; client_id: string; jti?: string }[]
        next_cursor: string | null
      },
    }
  }

  it('records when and from where a secret last authenticated introspection, the feed and revocation', async () => {
    const created = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
      name: 'Gateway',
      can_introspect: true,
    })
    const gateway = (await created.json()) as { client_id: string; client_secret: string }
    const lastUse = async (clientId: string) => {
      const response = await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/applications/${clientId}`,
      )
      const body = (await response.json()) as {
        last_used_at: string | null
        secrets: { last_used_at: string | null; last_used_ip: string | null }[]
      }
      return { app: body.last_used_at, secret: body.secrets[0] }
    }
    const eventually = async (clientId: string) => {
      for (let i = 0; i < 50; i++) {
        const use = await lastUse(clientId)
        if (use.secret?.last_used_at !== null) return use
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      return lastUse(clientId)
    }
    expect((await lastUse(gateway.client_id)).secret?.last_used_at).toBeNull()
    const asGateway = { clientId: gateway.client_id, clientSecret: gateway.client_secret, body: {} }
    expect((await introspect(await mint(), asGateway)).status).toBe(200)
    const afterIntrospection = await eventually(gateway.client_id)
    expect(afterIntrospection.secret?.last_used_ip).toBe('127.0.0.1')
    expect(afterIntrospection.app).not.toBeNull()

    // The feed alone counts too (a verifier that only follows it), as does RFC 7009 revocation.
    const follower = (await (
      await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
        name: 'Feed follower',
        can_introspect: true,
      })
    ).json()) as { client_id: string; client_secret: string }
    const read = await fetch(`${server.issuer}/oauth/revocations`, {
      headers: { authorization: basic(follower.client_id, follower.client_secret) },
    })
    expect(read.status).toBe(200)
    expect((await eventually(follower.client_id)).secret?.last_used_at).not.toBeNull()

    const revoker = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const before = (await lastUse(revoker.clientId)).secret?.last_used_at
    expect(before).toBeNull()
    const revoked = await postForm(
      `${server.issuer}/oauth/revoke`,
      { token: 'not-a-token' },
      { authorization: basic(revoker.clientId, revoker.clientSecret) },
    )
    expect(revoked.status).toBe(200)
    expect((await eventually(revoker.clientId)).secret?.last_used_at).not.toBeNull()
  })

  it('describes an active token with the RFC 7662 members', async () => {
    const { status, body, response } = await introspect(await mint())
    expect(status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(body).toMatchObject({
      active: true,
      client_id: app.clientId,
      scope: 'read:assigned-policies',
      sub: app.clientId,
      aud: api.audience,
      iss: server.issuer,
      token_type: 'Bearer',
    })
    for (const claim of ['exp', 'iat', 'jti']) expect(body).toHaveProperty(claim)
  })

  it('answers only {"active":false} for malformed, foreign and forged tokens', async () => {
    const token = await mint()
    const [h, p] = token.split('.')
    const forged = `${h}.${p}.${'A'.repeat(86)}`
    for (const candidate of ['garbage', forged, token.slice(0, -10), 'x'.repeat(9000)]) {
      const { status, body } = await introspect(candidate)
      expect(status).toBe(200)
      expect(body).toEqual({ active: false })
    }
  })

  it('refuses introspection to applications without the right, and to bad credentials', async () => {
    const token = await mint()
    const notAllowed = await introspect(token, app)
    expect(notAllowed.status).toBe(403)
    expect(notAllowed.body['error']).toBe('unauthorized_client')
    const wrong = await introspect(token, { ...resourceServer, clientSecret: app.clientSecret })
    expect(wrong.status).toBe(401)
    expect(wrong.body['error']).toBe('invalid_client')
    const missing = await postForm(
      `${server.issuer}/oauth/introspect`,
      {},
      { authorization: basic(resourceServer.clientId, resourceServer.clientSecret) },
    )
    expect(missing.status).toBe(400)
  })

  it('lets an application revoke its own token: 200 {} and inactive from then on, listed in the feed', async () => {
    const token = await mint()
    const before = await feed()
    const { status, body, response } = await postForm(
      `${server.issuer}/oauth/revoke`,
      { token, token_type_hint: 'access_token' },
      {
        authorization: basic(app.clientId, app.clientSecret),
      },
    )
    expect(status).toBe(200)
    expect(body).toEqual({})
    expect(response.headers.get('content-type')).toContain('application/json')
    expect((await introspect(token)).body).toEqual({ active: false })
    const after = await feed(before.body.next_cursor ?? undefined)
    expect(after.body.entries).toHaveLength(1)
    expect(after.body.entries[0]).toMatchObject({ type: 'token', client_id: app.clientId })
  })

  it("answers 200 for unknown tokens and refuses to revoke another application's token", async () => {
    expect(
      (
        await postForm(
          `${server.issuer}/oauth/revoke`,
          { token: 'not-a-token' },
          { authorization: basic(app.clientId, app.clientSecret) },
        )
      ).status,
    ).toBe(200)
    const otherApp = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: [] }],
    })
    const otherToken = await mint(otherApp)
    const refused = await postForm(
      `${server.issuer}/oauth/revoke`,
      { token: otherToken },
      { authorization: basic(app.clientId, app.clientSecret) },
    )
    expect(refused.status).toBe(400)
    expect(refused.body['error']).toBe('unauthorized_client')
    expect((await introspect(otherToken)).body['active']).toBe(true)
  })

  it('lists a revoked application in the feed, pages by cursor, and pushes it live over SSE', async () => {
    const victim = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const token = await mint(victim)
    const start = (await feed()).body.next_cursor ?? undefined

    // Open a live stream from the current cursor, then revoke.
    const events: string[] = []
    let ready = false
    const streamed = new Promise<number>((resolve, reject) => {
      const request = http.get(
        `${server.issuer}/oauth/revocations${start === undefined ? '' : `?since=${start}`}`,
        {
          headers: {
            accept: 'text/event-stream',
            authorization: basic(resourceServer.clientId, resourceServer.clientSecret),
          },
        },
        (response) => {
          expect(response.headers['content-type']).toContain('text/event-stream')
          let revokedAt = 0
          response.on('data', (chunk: Buffer) => {
            const text = chunk.toString()
            events.push(text)
            if (text.includes('event: ready') && !ready) {
              ready = true
              revokedAt = Date.now()
              void server.admin_(
                'POST',
                `/admin/v1/tenants/${server.tenant}/applications/${victim.clientId}/revoke`,
              )
            }
            if (text.includes(`"client_id":"${victim.clientId}"`)) {
              resolve(Date.now() - revokedAt)
              request.destroy()
            }
          })
        },
      )
      request.on('error', (error) => {
        if (!ready) reject(error)
      })
      setTimeout(() => reject(new Error('no live entry within 5 s')), 5000).unref()
    })
    const delayMs = await streamed
    expect(delayMs).toBeLessThan(1000)
    expect(events.join('')).toMatch(/id: \d+\nevent: revocation\ndata: \{/)
    expect((await introspect(token)).body).toEqual({ active: false })

    // Catch-up by cursor returns it exactly once.
    const page = await feed(start)
    expect(page.body.entries.filter((e) => e.client_id === victim.clientId)).toHaveLength(1)
    expect((await feed(page.body.next_cursor ?? undefined)).body.entries).toEqual([])
  })

  it('refuses the feed to applications without the right and a cursor it did not issue', async () => {
    const refused = await fetch(`${server.issuer}/oauth/revocations`, {
      headers: { authorization: basic(app.clientId, app.clientSecret) },
    })
    expect(refused.status).toBe(403)
    const anonymous = await fetch(`${server.issuer}/oauth/revocations`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/)
    const badCursor = await fetch(`${server.issuer}/oauth/revocations?since=abc`, {
      headers: { authorization: basic(resourceServer.clientId, resourceServer.clientSecret) },
    })
    expect(badCursor.status).toBe(400)
  })
})
