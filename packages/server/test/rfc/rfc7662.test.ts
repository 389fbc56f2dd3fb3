// RFC 7662: OAuth 2.0 Token Introspection. One case per clause. Only applications created with
// can_introspect (a resource server's credentials) may call it; see introspection.ts.
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { postRawForm, sendRaw } from '../support/raw-request.js'
import { startServer, type TestServer } from '../support/server.js'

const HOUR_MS = 3_600_000

describe('RFC 7662: token introspection', () => {
  let server: TestServer
  let api: ApiFixture
  let app: ApplicationFixture
  let resourceServer: ApplicationFixture
  /** Moves the server's clock (to let a token expire without waiting). */
  let clockOffsetMs = 0

  beforeAll(async () => {
    server = await startServer({ now: () => new Date(Date.now() + clockOffsetMs) })
    api = await createApi(server)
    app = await createApplication(server, {
      grants: [
        { audience: api.audience, scopes: ['read:assigned-policies', 'create:assigned-policies'] },
      ],
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

  const endpoint = () => `${server.issuer}/oauth/introspect`
  const mint = async (who = app) => {
    const { status, body } = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic(who.clientId, who.clientSecret) },
    )
    expect(status).toBe(200)
    return body['access_token'] as string
  }
  const introspect = (parameters: Record<string, string>, who = resourceServer) =>
    postForm(endpoint(), parameters, { authorization: basic(who.clientId, who.clientSecret) })

  it('§2.1: the protected resource calls the endpoint with HTTP POST: a GET is refused and says nothing of the token', async () => {
    const token = await mint()
    const { status, body } = await sendRaw(`${endpoint()}?token=${token}`, {
      method: 'GET',
      headers: { authorization: basic(resourceServer.clientId, resourceServer.clientSecret) },
    })
    expect(status).toBeGreaterThanOrEqual(400)
    expect(status).toBeLessThan(500)
    expect(body).not.toHaveProperty('active')
  })

  it('§2.1: token is REQUIRED: without it the request is invalid_request', async () => {
    const { status, body } = await introspect({})
    expect(status).toBe(400)
    expect(body['error']).toBe('invalid_request')
  })

  it('§2.1: "the endpoint MUST also require some form of authorization": an anonymous call is 401 and learns nothing', async () => {
    const { status, body, response } = await postForm(endpoint(), { token: await mint() })
    expect(status).toBe(401)
    expect(body['error']).toBe('invalid_client')
    expect(body).not.toHaveProperty('active')
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic /)
  })

  it('§2.3: client credentials that are invalid are answered "with an HTTP 401 (Unauthorized) as described in Section 5.2 of OAuth 2.0"', async () => {
    const { status, body } = await introspect(
      { token: await mint() },
      { ...resourceServer, clientSecret: app.clientSecret },
    )
    expect(status).toBe(401)
    expect(body['error']).toBe('invalid_client')
    expect(body).not.toHaveProperty('active')
  })

  it('§2.1: an authenticated client that is not authorized to introspect (no can_introspect) is refused and learns nothing', async () => {
    // RFC 7662 leaves the status of this case open; Tokenmint answers 403 unauthorized_client.
    const { status, body } = await introspect({ token: await mint() }, app)
    expect(status).toBe(403)
    expect(body['error']).toBe('unauthorized_client')
    expect(body).not.toHaveProperty('active')
  })

  it('§2.2: an active token: active (REQUIRED) is the boolean true, with scope, client_id, sub, aud, iss, exp, iat, nbf, jti and token_type as the token carries them', async () => {
    const token = await mint()
    const { status, body, response } = await introspect({ token })
    expect(status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json\b/)
    const claims = decodeJwt(token)
    expect(body).toEqual({
      active: true,
      scope: 'read:assigned-policies create:assigned-policies',
      client_id: app.clientId,
      sub: app.clientId,
      aud: api.audience,
      iss: server.issuer,
      exp: claims.exp,
      iat: claims.iat,
      nbf: claims.nbf,
      jti: claims.jti,
      token_type: 'Bearer',
    })
    for (const member of ['exp', 'iat', 'nbf'])
      expect(Number.isInteger(body[member]), member).toBe(true)
  })

  it('§2.1: token_type_hint is OPTIONAL, and a wrong or unknown hint still finds the token ("MUST extend its search across all of its supported token types")', async () => {
    const token = await mint()
    for (const token_type_hint of ['access_token', 'refresh_token', 'urn:example:unknown']) {
      const { status, body } = await introspect({ token, token_type_hint })
      expect(status, token_type_hint).toBe(200)
      expect(body['active'], token_type_hint).toBe(true)
    }
  })

  it('§2.2: a token that does not exist, is malformed or forged answers only {"active": false} (SHOULD NOT include other information)', async () => {
    const token = await mint()
    const [header, payload] = token.split('.')
    const forged = `${header!}.${payload!}.${'A'.repeat(86)}`
    for (const candidate of ['not-a-token', forged, token.slice(0, -8)]) {
      const { status, text } = await postRawForm(
        endpoint(),
        new URLSearchParams({ token: candidate }).toString(),
        { authorization: basic(resourceServer.clientId, resourceServer.clientSecret) },
      )
      expect(status).toBe(200)
      expect(JSON.parse(text)).toEqual({ active: false })
    }
  })

  it('§2.2: a revoked token, and a token of a revoked application, answer only {"active": false}', async () => {
    const revokedToken = await mint()
    const revoke = await postForm(
      `${server.issuer}/oauth/revoke`,
      { token: revokedToken },
      { authorization: basic(app.clientId, app.clientSecret) },
    )
    expect(revoke.status).toBe(200)
    expect((await introspect({ token: revokedToken })).body).toEqual({ active: false })

    const victim = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const victimToken = await mint(victim)
    expect((await introspect({ token: victimToken })).body['active']).toBe(true)
    const revoked = await server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/applications/${victim.clientId}/revoke`,
    )
    expect(revoked.status).toBeLessThan(300)
    expect((await introspect({ token: victimToken })).body).toEqual({ active: false })
  })

  it('§2.2: an expired token answers only {"active": false}', async () => {
    const token = await mint()
    expect((await introspect({ token })).body['active']).toBe(true)
    clockOffsetMs = 2 * HOUR_MS
    try {
      expect((await introspect({ token })).body).toEqual({ active: false })
    } finally {
      clockOffsetMs = 0
    }
  })
})
