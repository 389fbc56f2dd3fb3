import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
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

describe('token endpoint: the request shapes integrators copy from provider docs', () => {
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

  async function verify(token: string) {
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/.well-known/jwks.json`))
    return jwtVerify(token, jwks, { issuer: server.issuer, audience: api.audience, typ: 'at+jwt' })
  }

  it('issues a token for a JSON body with audience to the global /oauth/token', async () => {
    const { status, body, response } = await postJson(`${server.url}/oauth/token`, {
      client_id: app.clientId,
      client_secret: app.clientSecret,
      audience: api.audience,
      grant_type: 'client_credentials',
      scope: 'read:assigned-policies create:assigned-policies',
    })
    expect(status).toBe(200)
    expect(body).toMatchObject({
      token_type: 'Bearer',
      scope: 'read:assigned-policies create:assigned-policies',
    })
    expect(body['expires_in']).toBeGreaterThan(3500)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('pragma')).toBe('no-cache')
    const { payload, protectedHeader } = await verify(body['access_token'] as string)
    expect(protectedHeader).toMatchObject({ typ: 'at+jwt', alg: 'ES256' })
    expect(protectedHeader.kid).toEqual(expect.any(String))
    expect(payload).toMatchObject({
      iss: server.issuer,
      sub: app.clientId,
      aud: api.audience,
      client_id: app.clientId,
      scope: 'read:assigned-policies create:assigned-policies',
    })
    expect(payload.jti).toEqual(expect.any(String))
    expect(payload.nbf).toBe(payload.iat)
    expect(payload.exp! - payload.iat!).toBe(3600)
  })

  it('issues a token for a form body with credentials in it to the tenant endpoint', async () => {
    const { status, body } = await postForm(server.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.clientSecret,
      scope: 'read:assigned-policies',
    })
    expect(status).toBe(200)
    expect(body['scope']).toBe('read:assigned-policies')
    const { payload } = await verify(body['access_token'] as string)
    expect(payload['scope']).toBe('read:assigned-policies')
  })

  it('issues a token for Basic auth with only grant_type in the form body, granting everything', async () => {
    const { status, body } = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic(app.clientId, app.clientSecret) },
    )
    expect(status).toBe(200)
    expect(body['scope']).toBe('read:assigned-policies create:assigned-policies')
  })

  it('accepts Basic credentials sent raw as well as percent-encoded character by character', async () => {
    const everyCharEncoded = (v: string) =>
      Array.from(v)
        .map((c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'))
        .join('')
    const raw = `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`
    const encoded = `Basic ${Buffer.from(`${everyCharEncoded(app.clientId)}:${everyCharEncoded(app.clientSecret)}`).toString('base64')}`
    for (const authorization of [raw, encoded]) {
      const { status } = await postForm(
        server.tokenEndpoint,
        { grant_type: 'client_credentials' },
        { authorization },
      )
      expect(status).toBe(200)
    }
  })

  it('issues a token for a JSON body without audience when the application has one API', async () => {
    const { status, body } = await postJson(server.tokenEndpoint, {
      client_id: app.clientId,
      client_secret: app.clientSecret,
      scope: 'create:assigned-policies',
      grant_type: 'client_credentials',
    })
    expect(status).toBe(200)
    const { payload } = await verify(body['access_token'] as string)
    expect(payload.aud).toBe(api.audience)
    expect(payload['scope']).toBe('create:assigned-policies')
  })

  it('takes the RFC 8707 resource parameter as the audience', async () => {
    const { status, body } = await postForm(server.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.clientSecret,
      resource: api.audience,
    })
    expect(status).toBe(200)
    expect((await verify(body['access_token'] as string)).payload.aud).toBe(api.audience)
  })

  it('signs with the key the JWKS publishes under the header kid', async () => {
    const { body } = await postForm(server.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.clientSecret,
    })
    const { kid } = decodeProtectedHeader(body['access_token'] as string)
    const jwks = (await (await fetch(`${server.issuer}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[]
    }
    expect(jwks.keys.map((k) => k.kid)).toContain(kid)
    expect(jwks.keys).toHaveLength(2) // current and the pre-published next key
  })
})

describe('operations endpoints', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server.stop())

  it('answers /healthz and /readyz, and counts tokens in Prometheus /metrics on the metrics listener', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' })
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
    await server.adminToken()
    await postForm(server.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_id: 'tmc_x',
      client_secret: 'tms_y',
    })
    const response = await fetch(`${server.metricsUrl!}/metrics`)
    expect(response.headers.get('content-type')).toContain('text/plain')
    const text = await response.text()
    expect(text).toMatch(
      /tokenmint_tokens_issued_total\{tenant="acme",grant_type="client_credentials"\} 1/,
    )
    expect(text).toMatch(/tokenmint_tokens_refused_total\{tenant="acme",error="invalid_client"\} 1/)
    expect(text).toContain('tokenmint_token_request_duration_seconds_bucket')
    expect(text).toContain('tokenmint_audit_queue_depth')
    expect(text).toMatch(/tokenmint_client_cache_lookups\{result="hit"\} \d+/)
    expect(text).toContain('tokenmint_change_bus_up{transport="local"} 1')
    expect(text).toContain('tokenmint_db_connections{state="total"} 0')
    expect(text).not.toContain('tms_')
  })
})
