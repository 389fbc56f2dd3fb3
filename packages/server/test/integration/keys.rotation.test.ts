import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  jwtVerify,
  type JSONWebKeySet,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  createApi,
  createApplication,
  postForm,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'

describe('signing key rotation without a verification gap', () => {
  let server: TestServer
  let api: ApiFixture
  let app: ApplicationFixture

  beforeAll(async () => {
    server = await startServer()
    api = await createApi(server)
    app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
  })
  afterAll(() => server.stop())

  const mint = async () => {
    const { status, body } = await postForm(server.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.clientSecret,
    })
    expect(status).toBe(200)
    return body['access_token'] as string
  }
  const jwks = async () =>
    (await (await fetch(`${server.issuer}/.well-known/jwks.json`)).json()) as JSONWebKeySet
  const rotate = async (body: unknown = {}) => {
    const response = await server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/keys/rotate`,
      body,
    )
    expect(response.status).toBe(200)
    return (await response.json()) as { current: { kid: string }; pre_published: boolean }
  }
  const options = () => ({ issuer: server.issuer, audience: api.audience, typ: 'at+jwt' })

  it('signs after a rotation with a key a verifier already cached before it', async () => {
    const cachedBefore = createLocalJWKSet(await jwks())
    const before = await mint()
    const rotated = await rotate()
    expect(rotated.pre_published).toBe(true)
    const after = await mint()
    expect(decodeProtectedHeader(after).kid).toBe(rotated.current.kid)
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid)
    // A verifier holding the pre-rotation JWKS verifies both old and new tokens.
    await expect(jwtVerify(before, cachedBefore, options())).resolves.toBeDefined()
    await expect(jwtVerify(after, cachedBefore, options())).resolves.toBeDefined()
  })

  it('keeps retired keys published until their tokens expire', async () => {
    const old = await mint()
    await rotate()
    await rotate()
    const fresh = createRemoteJWKSet(new URL(`${server.issuer}/.well-known/jwks.json`))
    await expect(jwtVerify(old, fresh, options())).resolves.toBeDefined()
    const statuses = (await (
      await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/keys`)
    ).json()) as { items: { status: string }[] }
    expect(statuses.items.filter((k) => k.status === 'retired').length).toBeGreaterThanOrEqual(2)
    expect(statuses.items.filter((k) => k.status === 'current')).toHaveLength(1)
    expect(statuses.items.filter((k) => k.status === 'next')).toHaveLength(1)
  })

  for (const alg of ['RS256', 'PS256', 'EdDSA', 'ES256'] as const) {
    it(`switches the tenant to ${alg}, and tokens verify with jose`, async () => {
      await rotate({ signing_algorithm: alg })
      const token = await mint()
      expect(decodeProtectedHeader(token).alg).toBe(alg)
      const fresh = createRemoteJWKSet(new URL(`${server.issuer}/.well-known/jwks.json`))
      await expect(
        jwtVerify(token, fresh, { ...options(), algorithms: [alg] }),
      ).resolves.toBeDefined()
    })
  }

  it('refuses an unknown algorithm with a 400 naming the field', async () => {
    const response = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/keys/rotate`, {
      signing_algorithm: 'HS256',
    })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toContain('application/problem+json')
    expect(JSON.stringify(await response.json())).toContain('signing_algorithm')
  })
})
