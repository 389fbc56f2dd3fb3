import { generateKeyPairSync } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

import Provider from 'oidc-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createTokenSource, OAuthResponseError } from '../src/index.js'
import { expectSecretFree } from './support/secrecy.js'

const AUDIENCE = 'https://api.example.com'
// Characters RFC 6749 §2.3.1 form-encodes before base64 (a space, a colon, a plus, a percent),
// within the VSCHARs (Appendix A.2) that oidc-provider insists on.
const SECRETS = {
  client_secret_basic: 'basic secret: 100% +~-0123456789-0123456789-0123456789',
  client_secret_post: 'post secret: 100% +~-0123456789-0123456789-0123456789',
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<
    string,
    unknown
  >
}

/**
 * npm oidc-provider, a third-party OAuth 2.0 server, configured for client credentials with
 * RFC 8707 resource indicators (JWT access tokens for AUDIENCE) and one client per
 * authentication method. Mounted at `mountPath`, as a multi-tenant server would be.
 */
async function startOidcProvider(mountPath: string) {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${mountPath}`
  const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    format: 'jwk',
  })
  const provider = new Provider(issuer, {
    jwks: { keys: [{ ...signingKey, kid: 'test', alg: 'ES256', use: 'sig' }] },
    clients: (['client_secret_basic', 'client_secret_post'] as const).map((method) => ({
      client_id: `${method} app`,
      client_secret: SECRETS[method],
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: method,
      // The only signing key is ES256; oidc-provider checks every client can use it.
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
    ttl: { ClientCredentials: 600 },
  })
  let tokenRequests = 0
  const handle = provider.callback()
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    const url = request.url ?? '/'
    if (!url.startsWith(`${mountPath}/`)) {
      response.writeHead(404).end()
      return
    }
    if (request.method === 'POST' && url.endsWith('/token')) tokenRequests++
    // How oidc-provider learns its mount path: originalUrl holds the full path, url the rest.
    Object.assign(request, { originalUrl: url, url: url.slice(mountPath.length) })
    void handle(request, response)
  })
  return {
    issuer,
    get tokenRequests() {
      return tokenRequests
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}

describe('@tokenmint/client against oidc-provider, a third-party OAuth 2.0 server', () => {
  let oidc: Awaited<ReturnType<typeof startOidcProvider>>

  beforeAll(async () => {
    oidc = await startOidcProvider('/t/acme')
  })
  afterAll(() => oidc.close())

  for (const authMethod of ['client_secret_basic', 'client_secret_post'] as const) {
    it(`gets and caches a JWT access token for the API with ${authMethod}, discovering the endpoint`, async () => {
      const before = oidc.tokenRequests
      const source = createTokenSource({
        issuer: oidc.issuer,
        clientId: `${authMethod} app`,
        clientSecret: SECRETS[authMethod],
        authMethod,
        resource: AUDIENCE,
        scope: 'read:things',
      })
      const token = await source.getToken()
      expect(token.tokenType).toBe('Bearer')
      expect(token.scope).toBe('read:things')
      expect(claimsOf(token.accessToken)).toMatchObject({
        iss: oidc.issuer,
        aud: AUDIENCE,
        client_id: `${authMethod} app`,
        scope: 'read:things',
      })
      expect(token.expiresAt.getTime() - Date.now()).toBeGreaterThan(590_000)
      await source.getToken()
      expect(oidc.tokenRequests - before).toBe(1)
    })
  }

  // oidc-provider accepts only form bodies at its token endpoint, so JSON cannot succeed there;
  // what the client owes its user is a clean, typed, secret-free error.
  it('gets a clean typed error, not retried, when sending JSON, which oidc-provider does not accept', async () => {
    const before = oidc.tokenRequests
    const error = await createTokenSource({
      issuer: oidc.issuer,
      clientId: 'client_secret_post app',
      clientSecret: SECRETS.client_secret_post,
      authMethod: 'client_secret_post',
      bodyEncoding: 'json',
      resource: AUDIENCE,
    })
      .getToken()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OAuthResponseError)
    expect(error).toMatchObject({ status: 400, error: 'invalid_request' })
    expect(oidc.tokenRequests - before).toBe(1)
    expectSecretFree(error, [SECRETS.client_secret_post])
  })

  it('reports a wrong secret as invalid_client, once, without the secret', async () => {
    const before = oidc.tokenRequests
    const wrong = `${SECRETS.client_secret_basic}-wrong`
    const error = await createTokenSource({
      issuer: oidc.issuer,
      clientId: 'client_secret_basic app',
      clientSecret: wrong,
      resource: AUDIENCE,
    })
      .getToken()
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ error: 'invalid_client', status: 401 })
    expect(oidc.tokenRequests - before).toBe(1)
    expectSecretFree(error, [wrong, btoa(encodeURIComponent(wrong))])
  })

  // oidc-provider drops scopes the API does not know instead of answering invalid_scope, and
  // then omits `scope` from its answer: a server variation the client must take in its stride.
  it('accepts an answer without scope when oidc-provider grants none of those asked for', async () => {
    const token = await createTokenSource({
      issuer: oidc.issuer,
      clientId: 'client_secret_basic app',
      clientSecret: SECRETS.client_secret_basic,
      resource: AUDIENCE,
      scope: 'delete:everything',
    }).getToken()
    expect(token.scope).toBeUndefined()
    expect(claimsOf(token.accessToken)).toMatchObject({ aud: AUDIENCE })
    expect(claimsOf(token.accessToken)['scope']).toBeUndefined()
  })
})
