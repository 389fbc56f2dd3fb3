// RFC 6749 §4.4: Client Credentials Grant (with §3.3, the scope it refers to). One case per clause.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { issuedTokenCount } from '../support/issued-tokens.js'
import { startServer, type TestServer } from '../support/server.js'

const GRANTED = ['read:assigned-policies', 'create:assigned-policies']

describe('RFC 6749 §4.4: client credentials grant', () => {
  let server: TestServer
  let api: ApiFixture
  let app: ApplicationFixture
  /** Allowed the password grant too, so it could hold refresh tokens at all. */
  let passwordApp: ApplicationFixture
  let passwordOnly: ApplicationFixture

  beforeAll(async () => {
    server = await startServer()
    api = await createApi(server)
    const grants = [{ audience: api.audience, scopes: GRANTED }]
    app = await createApplication(server, { grants })
    passwordApp = await createApplication(server, {
      grants,
      grant_types: ['client_credentials', 'password'],
    })
    passwordOnly = await createApplication(server, { grants, grant_types: ['password'] })
  })
  afterAll(() => server.stop())

  const token = (parameters: Record<string, string>, who = app) =>
    postForm(server.tokenEndpoint, parameters, {
      authorization: basic(who.clientId, who.clientSecret),
    })

  it('§4.4.2: grant_type is REQUIRED: without it the request is invalid_request', async () => {
    const before = await issuedTokenCount(server, app.clientId)
    const { status, body } = await token({ scope: GRANTED[0]! })
    expect(status).toBe(400)
    expect(body['error']).toBe('invalid_request')
    expect(await issuedTokenCount(server, app.clientId)).toBe(before)
  })

  it('§4.4.2: grant_type "MUST be set to client_credentials": another spelling is not that grant', async () => {
    const { status, body } = await token({ grant_type: 'Client_Credentials' })
    expect(status).toBe(400)
    expect(body['error']).toBe('unsupported_grant_type')
  })

  it('§4.4.2: scope is OPTIONAL: a request with grant_type alone is served', async () => {
    const { status, body } = await token({ grant_type: 'client_credentials' })
    expect(status).toBe(200)
    expect(body['access_token']).toEqual(expect.any(String))
  })

  it('§3.3: with scope omitted the server "MUST either process the request using a pre-defined default value or fail": the default is everything granted, and the response says so', async () => {
    const { body } = await token({ grant_type: 'client_credentials' })
    expect(body['scope']).toBe(GRANTED.join(' '))
  })

  it('§3.3: scope is a list of space-delimited strings: a subset is issued as asked', async () => {
    const { status, body } = await token({
      grant_type: 'client_credentials',
      scope: 'create:assigned-policies',
    })
    expect(status).toBe(200)
    expect(body['scope']).toBe('create:assigned-policies')
  })

  it('§3.3: scope strings are case-sensitive: READ:assigned-policies is not read:assigned-policies', async () => {
    const { status, body } = await token({
      grant_type: 'client_credentials',
      scope: 'READ:assigned-policies',
    })
    expect(status).toBe(400)
    expect(body['error']).toBe('invalid_scope')
  })

  it('§4.4.3: "A refresh token SHOULD NOT be included", even for an application that may use the password grant', async () => {
    for (const who of [app, passwordApp]) {
      const { status, body } = await token({ grant_type: 'client_credentials' }, who)
      expect(status).toBe(200)
      expect(body).not.toHaveProperty('refresh_token')
    }
  })

  it('§4.4.2: "The client MUST authenticate with the authorization server": no credentials is invalid_client', async () => {
    const { status, body } = await postForm(server.tokenEndpoint, {
      grant_type: 'client_credentials',
    })
    expect(status).toBe(401)
    expect(body['error']).toBe('invalid_client')
  })

  it('§4.4 "MUST only be used by confidential clients": a client_id without a secret (a public client) is invalid_client', async () => {
    const before = await issuedTokenCount(server, app.clientId)
    const { status, body } = await postForm(server.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_id: app.clientId,
    })
    expect(status).toBe(401)
    expect(body['error']).toBe('invalid_client')
    expect(await issuedTokenCount(server, app.clientId)).toBe(before)
  })

  it('§4.4.2: "The authorization server MUST authenticate the client": a wrong secret is invalid_client', async () => {
    const before = await issuedTokenCount(server, app.clientId)
    const { status, body } = await token(
      { grant_type: 'client_credentials' },
      {
        ...app,
        clientSecret: passwordApp.clientSecret,
      },
    )
    expect(status).toBe(401)
    expect(body['error']).toBe('invalid_client')
    expect(await issuedTokenCount(server, app.clientId)).toBe(before)
  })

  it('§4.4 with §5.2: a client not allowed this grant is unauthorized_client', async () => {
    const before = await issuedTokenCount(server, passwordOnly.clientId)
    const { status, body } = await token({ grant_type: 'client_credentials' }, passwordOnly)
    expect(status).toBe(400)
    expect(body['error']).toBe('unauthorized_client')
    expect(await issuedTokenCount(server, passwordOnly.clientId)).toBe(before)
  })
})
