// RFC 6749 §3.2: Token Endpoint (with the parameter rules of §3.1 it shares). One case per clause.
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  basic,
  createApi,
  createApplication,
  postForm,
  postJson,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { issuedTokenCount } from '../support/issued-tokens.js'
import { postRawForm, sendRaw } from '../support/raw-request.js'
import { startServer, type TestServer } from '../support/server.js'

const GRANTED = ['read:assigned-policies', 'create:assigned-policies']

describe('RFC 6749 §3.2: the token endpoint', () => {
  let server: TestServer
  let api: ApiFixture
  let app: ApplicationFixture

  beforeAll(async () => {
    server = await startServer()
    api = await createApi(server)
    app = await createApplication(server, { grants: [{ audience: api.audience, scopes: GRANTED }] })
  })
  afterAll(() => server.stop())

  const viaBasic = () => ({ authorization: basic(app.clientId, app.clientSecret) })

  it('§3.2: "The client MUST use the HTTP POST method": a GET is refused and issues nothing', async () => {
    const before = await issuedTokenCount(server, app.clientId)
    const { status, body } = await sendRaw(
      `${server.tokenEndpoint}?grant_type=client_credentials`,
      { method: 'GET', headers: viaBasic() },
    )
    expect(status).toBeGreaterThanOrEqual(400)
    expect(status).toBeLessThan(500)
    expect(body).not.toHaveProperty('access_token')
    expect(await issuedTokenCount(server, app.clientId)).toBe(before)
  })

  it('§3.2 (§3.1): "Parameters sent without a value MUST be treated as if they were omitted": empty scope and audience', async () => {
    const omitted = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      viaBasic(),
    )
    const emptyForm = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials', scope: '', audience: '' },
      viaBasic(),
    )
    const emptyJson = await postJson(
      server.tokenEndpoint,
      { grant_type: 'client_credentials', scope: '', resource: '' },
      viaBasic(),
    )
    for (const { status, body } of [omitted, emptyForm, emptyJson]) {
      expect(status).toBe(200)
      expect(body['scope']).toBe(GRANTED.join(' '))
      expect(decodeJwt(body['access_token'] as string).aud).toBe(api.audience)
    }
  })

  it('§3.2 (§3.1): an empty required parameter is as missing as an omitted one, and an empty client_secret beside Basic is no second method', async () => {
    const before = await issuedTokenCount(server, app.clientId)
    const emptyGrant = await postForm(server.tokenEndpoint, { grant_type: '' }, viaBasic())
    expect(emptyGrant.status).toBe(400)
    expect(emptyGrant.body['error']).toBe('invalid_request')
    expect(await issuedTokenCount(server, app.clientId)).toBe(before)
    const emptySecret = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials', client_secret: '' },
      viaBasic(),
    )
    expect(emptySecret.status).toBe(200)
  })

  it('§3.2 (§3.1): "Request and response parameters MUST NOT be included more than once": a repeated request parameter is invalid_request', async () => {
    const before = await issuedTokenCount(server, app.clientId)
    const form = await postRawForm(
      server.tokenEndpoint,
      'grant_type=client_credentials&scope=read:assigned-policies&scope=create:assigned-policies',
      viaBasic(),
    )
    const json = await sendRaw(server.tokenEndpoint, {
      headers: { 'content-type': 'application/json', ...viaBasic() },
      body: '{"grant_type":"client_credentials","scope":"read:assigned-policies","scope":"create:assigned-policies"}',
    })
    for (const { status, body } of [form, json]) {
      expect(status).toBe(400)
      expect(body['error']).toBe('invalid_request')
      expect(body['error_description']).toContain('scope')
    }
    expect(await issuedTokenCount(server, app.clientId)).toBe(before)
  })

  it('§3.2 (§3.1): "Request and response parameters MUST NOT be included more than once": each response member appears once', async () => {
    const { status, text, body } = await postRawForm(
      server.tokenEndpoint,
      'grant_type=client_credentials',
      viaBasic(),
    )
    expect(status).toBe(200)
    const members = Object.keys(body)
    expect(members).toEqual(expect.arrayContaining(['access_token', 'token_type', 'expires_in']))
    for (const member of members) {
      expect(text.split(`"${member}":`).length - 1, member).toBe(1)
    }
  })

  it('§3.2: "The authorization server MUST ignore unrecognized request parameters"', async () => {
    const { status, body } = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials', foo: 'bar', sub: 'someone-else' },
      viaBasic(),
    )
    expect(status).toBe(200)
    const claims = decodeJwt(body['access_token'] as string)
    expect(claims).not.toHaveProperty('foo')
    expect(claims.sub).toBe(app.clientId)
  })
})
