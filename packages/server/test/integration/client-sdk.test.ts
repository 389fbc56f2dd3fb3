import { createTokenSource, OAuthResponseError } from '@tokenmint/client'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  createApi,
  createApplication,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'

describe('@tokenmint/client against a real Tokenmint server', () => {
  let server: TestServer
  let api: ApiFixture
  let app: ApplicationFixture

  beforeAll(async () => {
    server = await startServer()
    api = await createApi(server)
    app = await createApplication(server, {
      grant_types: ['client_credentials', 'password'],
      grants: [
        { audience: api.audience, scopes: ['read:assigned-policies', 'create:assigned-policies'] },
      ],
    })
  })
  afterAll(() => server.stop())

  for (const authMethod of ['client_secret_basic', 'client_secret_post'] as const) {
    for (const bodyEncoding of ['form', 'json'] as const) {
      it(`gets a token with ${authMethod} and a ${bodyEncoding} body, discovering the endpoint from the issuer`, async () => {
        const source = createTokenSource({
          issuer: server.issuer,
          clientId: app.clientId,
          clientSecret: app.clientSecret,
          authMethod,
          bodyEncoding,
          audience: api.audience,
          scope: 'read:assigned-policies',
        })
        const token = await source.getToken()
        expect(token.scope).toBe('read:assigned-policies')
        expect(decodeJwt(token.accessToken)).toMatchObject({
          client_id: app.clientId,
          aud: api.audience,
        })
      })
    }
  }

  it('uses the password grant, then the rotating refresh token', async () => {
    const created = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/users`, {
      username: 'sdk-user',
      password: 'purple staple battery horse',
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    expect(created.status).toBe(201)
    let clock = Date.now()
    const source = createTokenSource({
      tokenUrl: server.tokenEndpoint,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      username: 'sdk-user',
      password: 'purple staple battery horse',
      now: () => clock,
    })
    const first = await source.getToken()
    expect(decodeJwt(first.accessToken)['username']).toBe('sdk-user')
    clock += 3600_000 // the first token has expired: the source refreshes
    const second = await source.getToken()
    expect(second.accessToken).not.toBe(first.accessToken)
    const audit = (await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/audit?client_id=${app.clientId}&type=token.issued`,
      )
    ).json()) as {
      items: { data: { grant_type: string } }[]
    }
    expect(audit.items.map((e) => e.data.grant_type)).toEqual(
      expect.arrayContaining(['password', 'refresh_token']),
    )
  })

  it('reports a wrong secret as invalid_client without retrying', async () => {
    const source = createTokenSource({
      tokenUrl: server.tokenEndpoint,
      clientId: app.clientId,
      // Another last character (a fixed 'x' left the secret intact when it already ended in x).
      clientSecret: app.clientSecret.slice(0, -1) + (app.clientSecret.endsWith('x') ? 'y' : 'x'),
    })
    const error = await source.getToken().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OAuthResponseError)
    expect(error).toMatchObject({ error: 'invalid_client', status: 401 })
  })
})
