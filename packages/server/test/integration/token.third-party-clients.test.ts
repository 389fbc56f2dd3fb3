import * as oauth from 'oauth4webapi'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  createApi,
  createApplication,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'

describe('independent OAuth clients get and validate tokens', () => {
  let server: TestServer
  let api: ApiFixture
  let app: ApplicationFixture

  beforeAll(async () => {
    server = await startServer()
    api = await createApi(server)
    app = await createApplication(server, {
      grants: [
        { audience: api.audience, scopes: ['read:assigned-policies', 'create:assigned-policies'] },
      ],
    })
  })
  afterAll(() => server.stop())

  for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
    it(`oauth4webapi discovers the issuer (RFC 8414 §3.1), gets a token with ${method} and validates it per RFC 9068`, async () => {
      const issuer = new URL(server.issuer)
      const options = { [oauth.allowInsecureRequests]: true }
      const as = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...options }),
      )
      const auth =
        method === 'client_secret_basic'
          ? oauth.ClientSecretBasic(app.clientSecret)
          : oauth.ClientSecretPost(app.clientSecret)
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        { client_id: app.clientId },
        auth,
        { scope: 'read:assigned-policies', resource: api.audience },
        options,
      )
      const result = await oauth.processClientCredentialsResponse(
        as,
        { client_id: app.clientId },
        response,
      )
      expect(result.token_type).toBe('bearer')
      expect(result.scope).toBe('read:assigned-policies')

      const request = new Request('https://api.example.com/v1/assigned-policies', {
        headers: { authorization: `Bearer ${result.access_token}` },
      })
      const claims = await oauth.validateJwtAccessToken(as, request, api.audience, options)
      expect(claims).toMatchObject({
        iss: server.issuer,
        client_id: app.clientId,
        sub: app.clientId,
        scope: 'read:assigned-policies',
      })
    })
  }

  it('openid-client discovers through openid-configuration and runs the client credentials grant', async () => {
    const config = await client.discovery(
      new URL(server.issuer),
      app.clientId,
      app.clientSecret,
      undefined,
      {
        execute: [client.allowInsecureRequests],
      },
    )
    const tokens = await client.clientCredentialsGrant(config, {
      scope: 'create:assigned-policies',
      audience: api.audience,
    })
    expect(tokens.access_token.split('.')).toHaveLength(3)
    expect(tokens.scope).toBe('create:assigned-policies')
    expect(tokens.expiresIn()).toBeGreaterThan(3500)
  })

  it('serves the same metadata at all three RFC 8414 locations', async () => {
    const urls = [
      `${server.issuer}/.well-known/oauth-authorization-server`,
      `${server.issuer}/.well-known/openid-configuration`,
      `${server.url}/.well-known/oauth-authorization-server/t/${server.tenant}`,
    ]
    const documents = await Promise.all(
      urls.map(async (url): Promise<unknown> => (await fetch(url)).json()),
    )
    expect(documents[1]).toEqual(documents[0])
    expect(documents[2]).toEqual(documents[0])
    expect(documents[0]).toMatchObject({
      issuer: server.issuer,
      token_endpoint: `${server.issuer}/oauth/token`,
      jwks_uri: `${server.issuer}/.well-known/jwks.json`,
      token_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      grant_types_supported: ['client_credentials', 'password', 'refresh_token'],
    })
  })

  it('serves JWKS with a cache lifetime and no private key material', async () => {
    const response = await fetch(`${server.issuer}/.well-known/jwks.json`)
    expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/)
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] }
    for (const key of keys) {
      expect(key).toMatchObject({ use: 'sig', alg: 'ES256', kty: 'EC' })
      for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
        expect(key).not.toHaveProperty(privateMember)
    }
  })

  it('answers 404 for an unknown tenant without a 5xx', async () => {
    expect((await fetch(`${server.url}/t/nope/.well-known/jwks.json`)).status).toBe(404)
    expect(
      (await fetch(`${server.url}/t/nope/.well-known/oauth-authorization-server`)).status,
    ).toBe(404)
  })
})
