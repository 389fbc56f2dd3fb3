// RFC 7009: OAuth 2.0 Token Revocation. One case per clause. Any authenticated application may
// revoke the tokens issued to it, and only those: can_introspect (a resource server) grants no
// more here (see revokeToken in src/oauth).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { sendRaw } from '../support/raw-request.js'
import { startServer, type TestServer } from '../support/server.js'

const PASSWORD = 'a long scanner passphrase'

describe('RFC 7009: token revocation', () => {
  let server: TestServer
  let api: ApiFixture
  let app: ApplicationFixture
  let other: ApplicationFixture
  let passwordApp: ApplicationFixture
  let resourceServer: ApplicationFixture
  const username = 'scanner@example.com'

  beforeAll(async () => {
    server = await startServer()
    api = await createApi(server)
    const grants = [{ audience: api.audience, scopes: ['read:assigned-policies'] }]
    app = await createApplication(server, { grants })
    other = await createApplication(server, { grants })
    passwordApp = await createApplication(server, {
      grants,
      grant_types: ['client_credentials', 'password'],
    })
    const user = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/users`, {
      username,
      password: PASSWORD,
      grants,
    })
    expect(user.status).toBe(201)
    const response = await server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/applications`,
      { name: 'Policies API', can_introspect: true },
    )
    const body = (await response.json()) as { client_id: string; client_secret: string }
    resourceServer = { clientId: body.client_id, clientSecret: body.client_secret, body }
  })
  afterAll(() => server.stop())

  const endpoint = () => `${server.issuer}/oauth/revoke`
  const viaBasic = (who: ApplicationFixture) => ({
    authorization: basic(who.clientId, who.clientSecret),
  })
  const mint = async (who = app) => {
    const { status, body } = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      viaBasic(who),
    )
    expect(status).toBe(200)
    return body['access_token'] as string
  }
  const revoke = (parameters: Record<string, string>, who = app) =>
    postForm(endpoint(), parameters, viaBasic(who))
  const isActive = async (token: string) =>
    (await postForm(`${server.issuer}/oauth/introspect`, { token }, viaBasic(resourceServer))).body[
      'active'
    ]

  it('§2.1: the client revokes with an HTTP POST: a GET is refused and the token stays active', async () => {
    const token = await mint()
    const { status } = await sendRaw(`${endpoint()}?token=${token}`, {
      method: 'GET',
      headers: viaBasic(app),
    })
    expect(status).toBeGreaterThanOrEqual(400)
    expect(status).toBeLessThan(500)
    expect(await isActive(token)).toBe(true)
  })

  it('§2.1: token is REQUIRED: without it the request is invalid_request (§2.2.1: a §5.2 error response)', async () => {
    const { status, body } = await revoke({ token_type_hint: 'access_token' })
    expect(status).toBe(400)
    expect(body['error']).toBe('invalid_request')
    expect(body['error_description']).toEqual(expect.any(String))
  })

  it('§2.1: "The authorization server first validates the client credentials": without them the request is 401 invalid_client and nothing is revoked', async () => {
    const token = await mint()
    const anonymous = await postForm(endpoint(), { token })
    expect(anonymous.status).toBe(401)
    expect(anonymous.body['error']).toBe('invalid_client')
    expect(anonymous.response.headers.get('www-authenticate')).toMatch(/^Basic /)
    const wrongSecret = await revoke({ token }, { ...app, clientSecret: other.clientSecret })
    expect(wrongSecret.status).toBe(401)
    expect(wrongSecret.body['error']).toBe('invalid_client')
    expect(await isActive(token)).toBe(true)
  })

  it('§2.2: "responds with HTTP status code 200 if the token has been revoked successfully", and the token is then inactive', async () => {
    const token = await mint()
    const { status } = await revoke({ token })
    expect(status).toBe(200)
    expect(await isActive(token)).toBe(false)
  })

  it('§2.1: token_type_hint is OPTIONAL; a wrong hint still revokes ("MUST extend its search") and an unsupported one "is ignored"', async () => {
    for (const token_type_hint of ['refresh_token', 'urn:example:unknown']) {
      const token = await mint()
      const { status } = await revoke({ token, token_type_hint })
      expect(status, token_type_hint).toBe(200)
      expect(await isActive(token), token_type_hint).toBe(false)
    }
  })

  it('§2: "Implementations MUST support the revocation of refresh tokens": a revoked refresh token no longer refreshes', async () => {
    const login = await postForm(
      server.tokenEndpoint,
      { grant_type: 'password', username, password: PASSWORD },
      viaBasic(passwordApp),
    )
    expect(login.status).toBe(200)
    const refreshToken = login.body['refresh_token'] as string
    const { status } = await revoke(
      { token: refreshToken, token_type_hint: 'access_token' },
      passwordApp,
    )
    expect(status).toBe(200)
    const refreshed = await postForm(
      server.tokenEndpoint,
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      viaBasic(passwordApp),
    )
    expect(refreshed.status).toBe(400)
    expect(refreshed.body['error']).toBe('invalid_grant')
  })

  it('§2.2: "invalid tokens do not cause an error response": unknown, malformed, forged and already revoked tokens answer 200', async () => {
    const token = await mint()
    const [header, payload] = token.split('.')
    const forged = `${header!}.${payload!}.${'A'.repeat(86)}`
    expect((await revoke({ token })).status).toBe(200)
    for (const candidate of ['not-a-token', forged, token, 'tmr_not-a-refresh-token']) {
      const { status } = await revoke({ token: candidate })
      expect(status, candidate).toBe(200)
    }
  })

  it('§2.1: the server "verifies whether the token was issued to the client making the revocation request": another application\'s token is refused, resource servers included, and stays active', async () => {
    const token = await mint(other)
    for (const who of [app, resourceServer]) {
      const { status, body } = await revoke({ token }, who)
      expect(status).toBe(400)
      expect(body['error']).toBe('unauthorized_client')
    }
    expect(await isActive(token)).toBe(true)
  })
})
