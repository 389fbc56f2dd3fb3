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
import { startServer, type TestServer } from '../support/server.js'

describe('token endpoint errors (RFC 6749 §5.2): precise, never a 5xx, nothing issued', () => {
  let server: TestServer
  let api: ApiFixture
  let other: ApiFixture
  let app: ApplicationFixture
  let twoApis: ApplicationFixture

  beforeAll(async () => {
    server = await startServer()
    api = await createApi(server)
    other = await createApi(server, { scopes: ['read:evidence'] })
    app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    twoApis = await createApplication(server, {
      grants: [
        { audience: api.audience, scopes: ['read:assigned-policies'] },
        { audience: other.audience, scopes: ['read:evidence'] },
      ],
    })
  })
  afterAll(() => server.stop())

  const credentials = () => ({ client_id: app.clientId, client_secret: app.clientSecret })

  async function issuedCount(): Promise<number> {
    const page = await server.services.storage.audit.list({
      tenantId: server.tenant,
      type: 'token.issued',
      limit: 1000,
    })
    return page.items.length
  }

  const cases: {
    description: string
    send: () => Promise<{ status: number; body: Record<string, unknown>; response: Response }>
    status: number
    error: string
    mentions?: string | (() => string)
    basicChallenge?: boolean
  }[] = [
    {
      description: 'refuses a request without grant_type',
      send: () => postForm(server.tokenEndpoint, { ...credentials() }),
      status: 400,
      error: 'invalid_request',
      mentions: 'grant_type',
    },
    {
      description: 'refuses an unknown grant type, listing the supported ones',
      send: () =>
        postForm(server.tokenEndpoint, { ...credentials(), grant_type: 'urn:example:magic' }),
      status: 400,
      error: 'unsupported_grant_type',
      mentions: 'client_credentials',
    },
    {
      description: 'refuses a repeated parameter',
      send: async () => {
        const response = await fetch(server.tokenEndpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `grant_type=client_credentials&scope=a&scope=b&client_id=${app.clientId}&client_secret=${app.clientSecret}`,
        })
        return {
          response,
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
        }
      },
      status: 400,
      error: 'invalid_request',
      mentions: 'scope',
    },
    {
      description: 'refuses Basic and client_secret in the body together',
      send: () =>
        postForm(
          server.tokenEndpoint,
          { grant_type: 'client_credentials', ...credentials() },
          { authorization: basic(app.clientId, app.clientSecret) },
        ),
      status: 400,
      error: 'invalid_request',
      mentions: 'not both',
    },
    {
      description: 'refuses a request with no client authentication, challenging for Basic',
      send: () => postForm(server.tokenEndpoint, { grant_type: 'client_credentials' }),
      status: 401,
      error: 'invalid_client',
      basicChallenge: true,
    },
    {
      description: 'refuses a wrong secret with the same words as an unknown client',
      send: () =>
        postForm(
          server.tokenEndpoint,
          { grant_type: 'client_credentials' },
          { authorization: basic(app.clientId, twoApis.clientSecret) },
        ),
      status: 401,
      error: 'invalid_client',
      mentions: 'unknown client or wrong client secret',
      basicChallenge: true,
    },
    {
      description: 'refuses an unknown client id with the same words as a wrong secret',
      send: () =>
        postJson(server.tokenEndpoint, {
          grant_type: 'client_credentials',
          client_id: 'tmc_doesnotexist',
          client_secret: app.clientSecret,
        }),
      status: 401,
      error: 'invalid_client',
      mentions: 'unknown client or wrong client secret',
    },
    {
      description: 'refuses a secret with a bad checksum, saying it was not copied whole',
      send: () =>
        postJson(server.tokenEndpoint, {
          grant_type: 'client_credentials',
          client_id: app.clientId,
          client_secret:
            app.clientSecret.slice(0, -1) + (app.clientSecret.endsWith('A') ? 'B' : 'A'),
        }),
      status: 401,
      error: 'invalid_client',
      mentions: 'checksum',
    },
    {
      description: 'refuses an ungranted scope, naming it',
      send: () =>
        postForm(server.tokenEndpoint, {
          grant_type: 'client_credentials',
          ...credentials(),
          scope: 'read:assigned-policies delete:assigned-policies',
        }),
      status: 400,
      error: 'invalid_scope',
      mentions: 'delete:assigned-policies',
    },
    {
      description: 'refuses a scope with characters RFC 6749 §3.3 forbids',
      send: () =>
        postJson(server.tokenEndpoint, {
          grant_type: 'client_credentials',
          ...credentials(),
          scope: 'read:"x"',
        }),
      status: 400,
      error: 'invalid_scope',
    },
    {
      description: 'refuses an API the application is not granted (RFC 8707 invalid_target)',
      send: () =>
        postForm(server.tokenEndpoint, {
          grant_type: 'client_credentials',
          ...credentials(),
          audience: other.audience,
        }),
      status: 400,
      error: 'invalid_target',
      mentions: () => other.audience,
    },
    {
      description: 'asks for an audience when the application holds several APIs',
      send: () =>
        postForm(server.tokenEndpoint, {
          grant_type: 'client_credentials',
          client_id: twoApis.clientId,
          client_secret: twoApis.clientSecret,
        }),
      status: 400,
      error: 'invalid_request',
      mentions: 'audience is required',
    },
    {
      description: 'refuses audience and resource naming different APIs',
      send: () =>
        postForm(server.tokenEndpoint, {
          grant_type: 'client_credentials',
          client_id: twoApis.clientId,
          client_secret: twoApis.clientSecret,
          audience: api.audience,
          resource: other.audience,
        }),
      status: 400,
      error: 'invalid_request',
    },
    {
      description: 'refuses a client secret in the URL',
      send: async () => {
        const response = await fetch(`${server.tokenEndpoint}?client_secret=${app.clientSecret}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: app.clientId,
          }).toString(),
        })
        return {
          response,
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
        }
      },
      status: 400,
      error: 'invalid_request',
      mentions: 'never in the URL',
    },
    {
      description: 'refuses a non-string JSON parameter',
      send: () =>
        postJson(server.tokenEndpoint, {
          grant_type: 'client_credentials',
          ...credentials(),
          scope: ['a'],
        }),
      status: 400,
      error: 'invalid_request',
      mentions: 'scope',
    },
    {
      description: 'refuses a JSON body that is not an object',
      send: () => postJson(server.tokenEndpoint, ['grant_type']),
      status: 400,
      error: 'invalid_request',
    },
    {
      description: 'refuses malformed JSON with 400',
      send: async () => {
        const response = await fetch(server.tokenEndpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"grant_type":',
        })
        return {
          response,
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
        }
      },
      status: 400,
      error: 'invalid_request',
      mentions: 'JSON',
    },
    {
      description: 'refuses an unsupported content type with 415',
      send: async () => {
        const response = await fetch(server.tokenEndpoint, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: 'grant_type=client_credentials',
        })
        return {
          response,
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
        }
      },
      status: 415,
      error: 'invalid_request',
      mentions: 'application/x-www-form-urlencoded',
    },
    {
      description: 'refuses an oversized body with 413',
      send: () =>
        postForm(server.tokenEndpoint, {
          grant_type: 'client_credentials',
          ...credentials(),
          padding: 'x'.repeat(64 * 1024),
        }),
      status: 413,
      error: 'invalid_request',
    },
    {
      description: 'refuses a non-Basic Authorization scheme',
      send: () =>
        postForm(
          server.tokenEndpoint,
          { grant_type: 'client_credentials' },
          { authorization: 'Bearer abc' },
        ),
      status: 401,
      error: 'invalid_client',
    },
    {
      description: 'refuses Basic credentials that are not base64 of id:secret',
      send: () =>
        postForm(
          server.tokenEndpoint,
          { grant_type: 'client_credentials' },
          { authorization: 'Basic bm9jb2xvbg==' },
        ),
      status: 401,
      error: 'invalid_client',
    },
    {
      description: 'refuses a client id in the body that differs from Basic',
      send: () =>
        postForm(
          server.tokenEndpoint,
          { grant_type: 'client_credentials', client_id: twoApis.clientId },
          { authorization: basic(app.clientId, app.clientSecret) },
        ),
      status: 400,
      error: 'invalid_request',
    },
    {
      description:
        "refuses a client of this tenant on another tenant's endpoint, as an unknown client",
      send: () =>
        postJson(`${server.url}/t/other/oauth/token`, {
          grant_type: 'client_credentials',
          ...credentials(),
        }),
      status: 401,
      error: 'invalid_client',
      mentions: 'unknown client or wrong client secret',
    },
  ]

  for (const c of cases) {
    it(c.description, async () => {
      const before = await issuedCount()
      const { status, body, response } = await c.send()
      expect(status).toBe(c.status)
      expect(body['error']).toBe(c.error)
      expect(body['error_description']).toEqual(expect.any(String))
      expect(body).not.toHaveProperty('access_token')
      if (c.mentions !== undefined) {
        expect(body['error_description']).toContain(
          typeof c.mentions === 'function' ? c.mentions() : c.mentions,
        )
      }
      expect(JSON.stringify(body)).not.toContain(app.clientSecret)
      expect(response.headers.get('cache-control')).toBe('no-store')
      if (c.basicChallenge === true)
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic /)
      expect(await issuedCount()).toBe(before)
    })
  }

  it('ignores unknown parameters', async () => {
    const { status } = await postForm(server.tokenEndpoint, {
      grant_type: 'client_credentials',
      ...credentials(),
      foo: 'bar',
    })
    expect(status).toBe(200)
  })

  it('answers hostile bytes with 4xx, never 5xx', async () => {
    const bodies = [
      '%',
      '%zz=1',
      'grant_type=%00',
      '\u0000\u0001',
      'a'.repeat(2000),
      '=&=&=',
      'grant_type=client_credentials&client_id=%E0%A4%A',
    ]
    for (const body of bodies) {
      for (const contentType of ['application/x-www-form-urlencoded', 'application/json']) {
        const response = await fetch(server.tokenEndpoint, {
          method: 'POST',
          headers: { 'content-type': contentType },
          body,
        })
        expect(response.status, `${contentType} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(
          400,
        )
        expect(response.status).toBeLessThan(500)
      }
    }
  })
})
