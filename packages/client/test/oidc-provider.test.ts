import { generateKeyPairSync } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

import Provider from 'oidc-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createTokenSource, OAuthResponseError } from '../src/index.js'

const AUDIENCE = 'https://api.example.com'

/** A third-party OAuth 2.0 server (npm oidc-provider) configured for client credentials. */
describe('@tokenmint/client against oidc-provider', () => {
  let server: http.Server
  let issuer: string

  beforeAll(async () => {
    server = http.createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'jwk',
    })
    const provider = new Provider(issuer, {
      jwks: { keys: [{ ...signingKey, kid: 'test', alg: 'ES256', use: 'sig' }] },
      clients: (['client_secret_basic', 'client_secret_post'] as const).map((method) => ({
        client_id: method,
        client_secret: `${method}-secret-with-enough-entropy-0123456789`,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: method,
        id_token_signed_response_alg: 'ES256',
      })),
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => AUDIENCE,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'read:things write:things',
            accessTokenFormat: 'jwt',
            accessTokenTTL: 600,
            jwt: { sign: { alg: 'ES256' } },
          }),
        },
      },
    })
    const handle = provider.callback()
    server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      void handle(request, response)
    })
  })
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )

  for (const authMethod of ['client_secret_basic', 'client_secret_post'] as const) {
    it(`gets and caches a JWT access token with ${authMethod}, discovering the token endpoint`, async () => {
      let requests = 0
      const source = createTokenSource({
        issuer,
        clientId: authMethod,
        clientSecret: `${authMethod}-secret-with-enough-entropy-0123456789`,
        authMethod,
        resource: AUDIENCE,
        scope: 'read:things',
        fetch: (input, init) => {
          const url = input instanceof Request ? input.url : input.toString()
          if (url.endsWith('/token')) requests++
          return fetch(input, init)
        },
      })
      const token = await source.getToken()
      expect(token.accessToken.split('.')).toHaveLength(3)
      expect(token.tokenType).toBe('Bearer')
      expect(token.scope).toBe('read:things')
      expect(token.expiresAt.getTime() - Date.now()).toBeGreaterThan(590_000)
      await source.getToken()
      expect(requests).toBe(1)
    })
  }

  it('gets a clean typed error when sending JSON, which oidc-provider does not accept', async () => {
    const source = createTokenSource({
      issuer,
      clientId: 'client_secret_post',
      clientSecret: 'client_secret_post-secret-with-enough-entropy-0123456789',
      authMethod: 'client_secret_post',
      bodyEncoding: 'json',
    })
    const error = await source.getToken().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OAuthResponseError)
    expect((error as OAuthResponseError).status).toBe(400)
  })

  it('reports a wrong secret as invalid_client', async () => {
    const source = createTokenSource({
      issuer,
      clientId: 'client_secret_basic',
      clientSecret: 'wrong',
    })
    await expect(source.getToken()).rejects.toMatchObject({ error: 'invalid_client', status: 401 })
  })
})
