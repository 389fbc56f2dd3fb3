import { createHash, randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

import {
  calculateJwkThumbprint,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose'
import { createVerifier } from '@tokenmint/verify'
import { authenticate } from '@tokenmint/verify/node'
import * as oauth from 'oauth4webapi'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  basic,
  createApi,
  createApplication,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'

interface ProofKey {
  privateKey: CryptoKey
  publicKey: CryptoKey
  jwk: JWK
  jkt: string
}

async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(publicKey)
  return { privateKey, publicKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') }
}

/** A DPoP proof made by hand, so each rule can be broken one at a time. */
function proof(
  key: ProofKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...header })
    .sign(key.privateKey)
}

/** DPoP (RFC 9449) at the token endpoint: bound tokens, proof checks, per-application requirement. */
describe('DPoP-bound access tokens', () => {
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

  const tokenRequest = (headers: Record<string, string | string[]>, who = app) => {
    const h = new Headers({
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(who.clientId, who.clientSecret),
    })
    for (const [name, value] of Object.entries(headers))
      for (const v of Array.isArray(value) ? value : [value]) h.append(name, v)
    return fetch(server.tokenEndpoint, {
      method: 'POST',
      headers: h,
      body: new URLSearchParams({ grant_type: 'client_credentials', audience: api.audience }),
    })
  }

  it('advertises DPoP in the metadata', async () => {
    const metadata = (await (
      await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>
    expect(metadata['dpop_signing_alg_values_supported']).toEqual(
      expect.arrayContaining(['ES256', 'RS256', 'EdDSA']),
    )
    expect(metadata['dpop_signing_alg_values_supported']).not.toContain('HS256')
  })

  it('binds the token to the proof key for oauth4webapi and openid-client, and introspection says so', async () => {
    const issuer = new URL(server.issuer)
    const options = { [oauth.allowInsecureRequests]: true }
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...options }),
    )
    const keyPair = await oauth.generateKeyPair('ES256')
    const DPoP = oauth.DPoP({}, keyPair)
    const granted = await oauth.processClientCredentialsResponse(
      as,
      { client_id: app.clientId },
      await oauth.clientCredentialsGrantRequest(
        as,
        { client_id: app.clientId },
        oauth.ClientSecretBasic(app.clientSecret),
        { resource: api.audience },
        { ...options, DPoP },
      ),
    )
    expect(granted.token_type.toLowerCase()).toBe('dpop')
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256')
    expect(decodeJwt(granted.access_token)['cnf']).toEqual({ jkt })

    // The bound token at an API protected by @tokenmint/verify, through oauth4webapi: accepted
    // with the proof oauth4webapi makes; the very same proof sent again is refused.
    const verifier = createVerifier({ issuer: server.issuer, audience: api.audience })
    const resource = http.createServer((request, response) => {
      void authenticate(verifier, request, response).then((claims) => {
        if (claims !== undefined) response.writeHead(200).end(JSON.stringify({ sub: claims.sub }))
      })
    })
    await new Promise<void>((resolve) => resource.listen(0, '127.0.0.1', resolve))
    try {
      const apiUrl = new URL(
        `http://127.0.0.1:${(resource.address() as AddressInfo).port}/v1/things`,
      )
      let sent: Headers | undefined
      const called = await oauth.protectedResourceRequest(
        granted.access_token,
        'GET',
        apiUrl,
        new Headers(),
        null,
        {
          DPoP,
          [oauth.allowInsecureRequests]: true,
          [oauth.customFetch]: (url: string, init: RequestInit) => {
            sent = new Headers(init.headers)
            return fetch(url, init)
          },
        },
      )
      expect(called.status).toBe(200)
      expect(sent?.get('authorization')).toMatch(/^DPoP /)
      const replayed = await fetch(apiUrl, {
        headers: { authorization: sent?.get('authorization') ?? '', dpop: sent?.get('dpop') ?? '' },
      })
      expect(replayed.status).toBe(401)
      expect(replayed.headers.get('www-authenticate')).toMatch(
        /error="invalid_dpop_proof".*used before/,
      )
    } finally {
      verifier.close()
      resource.close()
    }

    const config = await client.discovery(
      issuer,
      app.clientId,
      undefined,
      client.ClientSecretPost(app.clientSecret),
      { execute: [client.allowInsecureRequests], algorithm: 'oauth2' },
    )
    const openidKeys = await client.randomDPoPKeyPair('ES256')
    const viaOpenid = await client.clientCredentialsGrant(
      config,
      { resource: api.audience },
      { DPoP: client.getDPoPHandle(config, openidKeys) },
    )
    expect(viaOpenid.token_type.toLowerCase()).toBe('dpop')
    expect((decodeJwt(viaOpenid.access_token)['cnf'] as { jkt: string }).jkt).toBe(
      await calculateJwkThumbprint(await exportJWK(openidKeys.publicKey), 'sha256'),
    )

    // Introspection (a resource server's credentials) reports the binding.
    const resourceServer = await createApplication(server)
    await server.admin_(
      'PATCH',
      `/admin/v1/tenants/${server.tenant}/applications/${resourceServer.clientId}`,
      { can_introspect: true },
    )
    const introspected = (await (
      await fetch(`${server.issuer}/oauth/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(resourceServer.clientId, resourceServer.clientSecret),
        },
        body: new URLSearchParams({ token: granted.access_token }),
      })
    ).json()) as Record<string, unknown>
    expect(introspected).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } })
  })

  it('refuses a replayed proof and each broken rule with 400 invalid_dpop_proof, issuing nothing', async () => {
    const key = await proofKey()
    const good = await proof(key, { htm: 'POST', htu: server.tokenEndpoint })
    const first = await tokenRequest({ dpop: good })
    expect(first.status, await first.clone().text()).toBe(200)
    expect(((await first.json()) as { token_type: string }).token_type).toBe('DPoP')

    const now = Math.floor(Date.now() / 1000)
    const other = await proofKey()
    const { privateKey: rsaKey } = await generateKeyPair('RS256', { extractable: true })
    const cases: [string, Promise<string | string[]>, RegExp][] = [
      ['replayed', Promise.resolve(good), /used before \(same jti\)/],
      [
        'wrong htu',
        proof(key, { htm: 'POST', htu: `${server.issuer}/oauth/introspect` }),
        /htu must be/,
      ],
      ['wrong htm', proof(key, { htm: 'GET', htu: server.tokenEndpoint }), /htm must be 'POST'/],
      [
        'old',
        proof(key, { htm: 'POST', htu: server.tokenEndpoint, iat: now - 900 }),
        /older than 300 seconds/,
      ],
      [
        'future',
        proof(key, { htm: 'POST', htu: server.tokenEndpoint, iat: now + 900 }),
        /in the future/,
      ],
      ['no jti', proof(key, { htm: 'POST', htu: server.tokenEndpoint, jti: undefined }), /jti/],
      [
        'wrong typ',
        proof(key, { htm: 'POST', htu: server.tokenEndpoint }, { typ: 'JWT' }),
        /typ header/,
      ],
      [
        'signed by another key',
        new SignJWT({ jti: randomUUID(), iat: now, htm: 'POST', htu: server.tokenEndpoint })
          .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
          .sign(other.privateKey),
        /signature does not verify/,
      ],
      [
        'a private key in the header',
        proof(
          key,
          { htm: 'POST', htu: server.tokenEndpoint },
          { jwk: await exportJWK(key.privateKey) },
        ),
        /must be a public key/,
      ],
      [
        'HMAC',
        new SignJWT({ jti: randomUUID(), iat: now, htm: 'POST', htu: server.tokenEndpoint })
          .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.jwk })
          .sign(new Uint8Array(32)),
        /must be signed with one of/,
      ],
      [
        'alg and key disagree',
        proof(key, { htm: 'POST', htu: server.tokenEndpoint }, { alg: 'RS256' }).catch(() =>
          new SignJWT({ jti: randomUUID(), iat: now, htm: 'POST', htu: server.tokenEndpoint })
            .setProtectedHeader({ alg: 'RS256', typ: 'dpop+jwt', jwk: key.jwk })
            .sign(rsaKey),
        ),
        /not a valid|signature/,
      ],
      [
        'two headers',
        Promise.all([
          proof(key, { htm: 'POST', htu: server.tokenEndpoint }),
          proof(key, { htm: 'POST', htu: server.tokenEndpoint }),
        ]),
        /exactly one DPoP header/,
      ],
      ['not a JWT', Promise.resolve('not-a-jwt'), /not a valid signed JWT/],
    ]
    const before = await issuedCount()
    for (const [name, made, description] of cases) {
      const response = await tokenRequest({ dpop: await made })
      const body = (await response.json()) as Record<string, string>
      expect(response.status, name).toBe(400)
      expect(body['error'], name).toBe('invalid_dpop_proof')
      expect(body['error_description'], name).toMatch(description)
    }
    expect(await issuedCount()).toBe(before)
  })

  it('an application that requires DPoP refuses a request without a proof', async () => {
    const strict = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const path = `/admin/v1/tenants/${server.tenant}/applications/${strict.clientId}`
    const patched = await server.admin_('PATCH', path, { dpop_bound_access_tokens: true })
    expect(patched.status).toBe(200)
    expect(((await patched.json()) as Record<string, unknown>)['dpop_bound_access_tokens']).toBe(
      true,
    )
    const bare = await tokenRequest({}, strict)
    expect(bare.status).toBe(400)
    expect(((await bare.json()) as Record<string, string>)['error']).toBe('invalid_dpop_proof')
    const key = await proofKey()
    const bound = await tokenRequest(
      { dpop: await proof(key, { htm: 'POST', htu: server.tokenEndpoint }) },
      strict,
    )
    expect(bound.status).toBe(200)
    // Without the requirement, a request without a proof gets a Bearer token as before.
    const plain = await tokenRequest({})
    expect(((await plain.json()) as { token_type: string }).token_type).toBe('Bearer')
  })

  it('a DPoP-bound admin token works at the admin API only with a proof of its key', async () => {
    const key = await proofKey()
    const response = await fetch(server.tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(server.admin.clientId, server.admin.clientSecret),
        dpop: await proof(key, { htm: 'POST', htu: server.tokenEndpoint }),
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        audience: 'urn:tokenmint:admin',
      }),
    })
    const { access_token: token, token_type: type } = (await response.json()) as Record<
      string,
      string
    >
    expect(type).toBe('DPoP')
    const url = `${server.url}/admin/v1/tenants/${server.tenant}/applications`
    const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url')
    const asBearer = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
    expect(asBearer.status).toBe(401)
    expect(asBearer.headers.get('www-authenticate')).toMatch(
      /^DPoP realm="tokenmint", error="invalid_token"/,
    )
    const dpop = await proof(key, { htm: 'GET', htu: url, ath: sha256(token ?? '') })
    const withProof = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop } })
    expect(withProof.status, await withProof.clone().text()).toBe(200)
    const replayed = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop } })
    expect(replayed.status).toBe(401)
    expect(replayed.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/)
    const otherKey = await proofKey()
    const stolen = await fetch(url, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await proof(otherKey, { htm: 'GET', htu: url, ath: sha256(token ?? '') }),
      },
    })
    expect(stolen.status).toBe(401)
    // The CLI's plain Bearer tokens work as before.
    expect(
      (await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/applications`)).status,
    ).toBe(200)
  })

  it('a request refused for its proof or grant type costs no quota', async () => {
    const limited = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    await server.admin_(
      'PATCH',
      `/admin/v1/tenants/${server.tenant}/applications/${limited.clientId}`,
      {
        token_rate_limit_per_minute: 3,
      },
    )
    const key = await proofKey()
    for (let i = 0; i < 3; i++) {
      const bad = await tokenRequest(
        { dpop: await proof(key, { htm: 'GET', htu: server.tokenEndpoint }) },
        limited,
      )
      expect(bad.status).toBe(400)
    }
    const good = await tokenRequest({}, limited)
    expect(good.status, await good.clone().text()).toBe(200)
  })

  async function issuedCount(): Promise<number> {
    const page = (await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/audit?client_id=${app.clientId}&type=token.issued&limit=200`,
      )
    ).json()) as { items: unknown[] }
    return page.items.length
  }
})
