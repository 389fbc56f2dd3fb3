// RFC 8414: OAuth 2.0 Authorization Server Metadata. One case per clause. The issuer of a
// tenant is `{public_url}/t/{tenant}`, so §3.1's path-inserted location is
// `{public_url}/.well-known/oauth-authorization-server/t/{tenant}`.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { sendRaw, type RawResponse } from '../support/raw-request.js'
import { startServer, type TestServer } from '../support/server.js'

/** JWK members that carry private or symmetric key material (RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

describe('RFC 8414: authorization server metadata', () => {
  let server: TestServer
  let app: ApplicationFixture
  let pathInserted: RawResponse
  let metadata: Record<string, unknown>

  beforeAll(async () => {
    server = await startServer()
    const api = await createApi(server)
    app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    pathInserted = await sendRaw(
      `${server.url}/.well-known/oauth-authorization-server/t/${server.tenant}`,
      { method: 'GET' },
    )
    metadata = pathInserted.body
  })
  afterAll(() => server.stop())

  const url = (member: string) => {
    const value = metadata[member]
    expect(value, member).toEqual(expect.any(String))
    return value as string
  }

  it('§3.1 and §3.2: the path-inserted location answers 200 with a JSON object as application/json', () => {
    expect(pathInserted.status).toBe(200)
    expect(pathInserted.response.headers.get('content-type')).toMatch(/^application\/json\b/)
    expect(metadata).toEqual(expect.objectContaining({ issuer: expect.any(String) }))
  })

  it('§3.3: "The issuer value returned MUST be identical to the authorization server\'s issuer identifier", at every location that serves the document', async () => {
    expect(metadata['issuer']).toBe(`${server.url}/t/${server.tenant}`)
    expect(metadata['issuer']).toBe(server.issuer)
    for (const location of [
      `${server.issuer}/.well-known/oauth-authorization-server`,
      `${server.issuer}/.well-known/openid-configuration`,
    ]) {
      const { status, body } = await sendRaw(location, { method: 'GET' })
      expect(status, location).toBe(200)
      expect(body, location).toEqual(metadata)
    }
  })

  it('§2: issuer is a URL "that has no query or fragment components" (the https requirement is out of scope on loopback)', () => {
    const issuer = new URL(url('issuer'))
    expect(issuer.search).toBe('')
    expect(issuer.hash).toBe('')
  })

  it('§2: response_types_supported is REQUIRED: a JSON array', () => {
    expect(Array.isArray(metadata['response_types_supported'])).toBe(true)
  })

  it('§2: token_endpoint is REQUIRED (grants other than implicit are supported) and issues tokens', async () => {
    const { status, body } = await postForm(
      url('token_endpoint'),
      { grant_type: 'client_credentials' },
      { authorization: basic(app.clientId, app.clientSecret) },
    )
    expect(status).toBe(200)
    expect(body['access_token']).toEqual(expect.any(String))
  })

  it("§2: jwks_uri holds the JWK Set with the signing keys that validate the server's tokens, public members only", async () => {
    const { status, body } = await sendRaw(url('jwks_uri'), { method: 'GET' })
    expect(status).toBe(200)
    const keys = body['keys'] as Record<string, unknown>[]
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys) {
      for (const member of PRIVATE_MEMBERS) expect(key, member).not.toHaveProperty(member)
      expect(key['use']).toBe('sig')
    }
    const { body: issued } = await postForm(
      url('token_endpoint'),
      { grant_type: 'client_credentials' },
      { authorization: basic(app.clientId, app.clientSecret) },
    )
    const { payload } = await jwtVerify(
      issued['access_token'] as string,
      createLocalJWKSet(body as unknown as JSONWebKeySet),
      { issuer: url('issuer') },
    )
    expect(payload.client_id).toBe(app.clientId)
  })

  it('§2: grant_types_supported is present (omitted would mean ["authorization_code", "implicit"]) and names client_credentials', () => {
    const grantTypes = metadata['grant_types_supported'] as string[]
    expect(grantTypes).toContain('client_credentials')
    expect(grantTypes).not.toContain('authorization_code')
    expect(grantTypes).not.toContain('implicit')
  })

  it('§2: token_endpoint_auth_methods_supported lists client_secret_basic and client_secret_post, and each one works', async () => {
    const methods = metadata['token_endpoint_auth_methods_supported'] as string[]
    expect(methods).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']))
    const viaBasic = await postForm(
      url('token_endpoint'),
      { grant_type: 'client_credentials' },
      { authorization: basic(app.clientId, app.clientSecret) },
    )
    const viaPost = await postForm(url('token_endpoint'), {
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.clientSecret,
    })
    expect(viaBasic.status).toBe(200)
    expect(viaPost.status).toBe(200)
  })

  it('§2: revocation_endpoint and introspection_endpoint, with their auth methods, point at live endpoints', async () => {
    for (const [endpoint, methods] of [
      ['revocation_endpoint', 'revocation_endpoint_auth_methods_supported'],
      ['introspection_endpoint', 'introspection_endpoint_auth_methods_supported'],
    ] as const) {
      expect(metadata[methods]).toEqual(
        expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
      )
      // Unauthenticated: 401 invalid_client, not a 404.
      const { status, body } = await postForm(url(endpoint), { token: 'x' })
      expect(status, endpoint).toBe(401)
      expect(body['error'], endpoint).toBe('invalid_client')
    }
  })

  it('§3.2: "Claims with zero elements MUST be omitted from the response" (response_types_supported aside, below)', () => {
    for (const [name, value] of Object.entries(metadata)) {
      if (name === 'response_types_supported') continue
      if (Array.isArray(value)) expect(value.length, name).toBeGreaterThan(0)
    }
  })

  // §2 makes response_types_supported REQUIRED while §3.2 says members with zero elements MUST
  // be omitted. Tokenmint has no authorization endpoint, so the list is empty; it is sent as []
  // because clients that type the document (Go structs, TypeScript interfaces, authlib's
  // validator) treat a REQUIRED member as present, and [] tells them the truth: no response type.
  it('§2 over §3.2: response_types_supported, REQUIRED, is present and empty (no authorization endpoint)', () => {
    expect(metadata['response_types_supported']).toEqual([])
    expect(metadata['authorization_endpoint']).toBeUndefined()
  })

  it('§3.2: a tenant that does not exist gets an error status, not metadata', async () => {
    const { status, body } = await sendRaw(
      `${server.url}/.well-known/oauth-authorization-server/t/no-such-tenant`,
      { method: 'GET' },
    )
    expect(status).toBe(404)
    expect(body).not.toHaveProperty('issuer')
  })
})
