import { randomUUID } from 'node:crypto'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import path from 'node:path'

import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { makeTestCertificate } from '../support/certificate.js'
import { createApi, postForm, type ApiFixture } from '../support/fixtures.js'
import { startServer, temporaryDir, type TestServer } from '../support/server.js'

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

interface KeyPair {
  privateKey: CryptoKey
  jwk: JWK
  kid: string
}

async function keyPair(): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = `k-${randomUUID().slice(0, 8)}`
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid }, kid }
}

/**
 * An application's own key server: a local HTTPS server (a test CA Tokenmint is told to trust,
 * on 127.0.0.1, which TOKENMINT_OUTBOUND_ALLOW lets it reach) publishing whatever `published`
 * holds, counting the fetches.
 */
describe('private_key_jwt with keys published at a jwks_uri', () => {
  let server: TestServer
  let api: ApiFixture
  let keyServer: https.Server
  let published: { keys: JWK[] } = { keys: [] }
  let fetches = 0
  let jwksUri: string
  // The server's clock, moved past the 30 s between refetches of one URL.
  let clockOffsetMs = 0

  beforeAll(async () => {
    const dir = temporaryDir()
    const { cert, key } = makeTestCertificate(dir, 'localhost', 'IP:127.0.0.1')
    keyServer = https.createServer({ cert, key }, (request, response) => {
      fetches++
      if (request.url === '/broken') {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": "nope"}')
        return
      }
      response
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' })
        .end(JSON.stringify(published))
    })
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve))
    jwksUri = `https://127.0.0.1:${(keyServer.address() as AddressInfo).port}/jwks.json`
    server = await startServer({
      now: () => new Date(Date.now() + clockOffsetMs),
      env: {
        TOKENMINT_OUTBOUND_CA_FILE: path.join(dir, 'cert.pem'),
        TOKENMINT_OUTBOUND_ALLOW: '127.0.0.1',
      },
    })
    api = await createApi(server)
  })
  afterAll(async () => {
    await server.stop()
    keyServer.close()
  })

  const create = (body: Record<string, unknown>) =>
    server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
      name: `uri-${randomUUID().slice(0, 8)}`,
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
      ...body,
    })

  async function token(clientId: string, key: KeyPair) {
    const now = Math.floor(Date.now() / 1000)
    const assertion = await new SignJWT({
      iss: clientId,
      sub: clientId,
      aud: server.issuer,
      jti: randomUUID(),
      exp: now + 60,
    })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .sign(key.privateKey)
    return postForm(server.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
    })
  }

  it('gets tokens with a key from the URL, follows a rotation there, and fetches within bounds', async () => {
    const first = await keyPair()
    published = { keys: [first.jwk] }
    const response = await create({ jwks_uri: jwksUri })
    const body = (await response.json()) as Record<string, unknown>
    expect(response.status, JSON.stringify(body)).toBe(201)
    expect(body).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri })
    expect(body).not.toHaveProperty('client_secret')
    const clientId = body['client_id'] as string

    // oauth4webapi, as a third-party client would.
    const issuer = new URL(server.issuer)
    const options = { [oauth.allowInsecureRequests]: true }
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...options }),
    )
    const granted = await oauth.processClientCredentialsResponse(
      as,
      { client_id: clientId },
      await oauth.clientCredentialsGrantRequest(
        as,
        { client_id: clientId },
        oauth.PrivateKeyJwt({ key: first.privateKey, kid: first.kid }),
        { resource: api.audience },
        options,
      ),
    )
    expect(granted.access_token.split('.')).toHaveLength(3)

    // Cached for the set's max-age: more tokens, no more fetches.
    const before = fetches
    for (let i = 0; i < 5; i++) expect((await token(clientId, first)).status).toBe(200)
    expect(fetches).toBe(before)

    // The client rotates at its URL: an unknown kid refetches the set once (the last fetch, at
    // registration, is more than 30 s ago by the server's clock).
    const second = await keyPair()
    published = { keys: [first.jwk, second.jwk] }
    clockOffsetMs += 31_000
    expect((await token(clientId, second)).status).toBe(200)
    expect(fetches).toBe(before + 1)
    // A flood of unknown kids does not turn into a flood of fetches (at most one per 30 s).
    const stranger = await keyPair()
    const refused = await Promise.all(Array.from({ length: 5 }, () => token(clientId, stranger)))
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401, 401])
    expect(fetches).toBeLessThanOrEqual(before + 2)
  })

  it('refuses a jwks_uri that is not https, cannot be fetched or holds no usable key, and saves nothing', async () => {
    const cases: [string, RegExp][] = [
      ['http://127.0.0.1/jwks.json', /https URL/],
      ['https://user:pw@127.0.0.1/jwks.json', /credentials/],
      [`${jwksUri.replace('/jwks.json', '')}/broken`, /holds no key/],
      ['https://127.0.0.1:1/jwks.json', /could not be fetched/],
    ]
    for (const [uri, message] of cases) {
      const response = await create({ jwks_uri: uri })
      const text = await response.text()
      expect(response.status, uri).toBe(400)
      expect(text, uri).toMatch(message)
      expect(text).not.toContain('pw@')
    }
    const both = await create({ jwks_uri: jwksUri, jwks: { keys: [(await keyPair()).jwk] } })
    expect(both.status).toBe(400)
  })

  it('moving jwks_uri ends the old one; registered keys cannot be added to such an application', async () => {
    const key = await keyPair()
    published = { keys: [key.jwk] }
    const created = (await (await create({ jwks_uri: jwksUri })).json()) as { client_id: string }
    const appPath = `/admin/v1/tenants/${server.tenant}/applications/${created.client_id}`
    const added = await server.admin_('POST', `${appPath}/keys`, {
      jwks: { keys: [(await keyPair()).jwk] },
    })
    expect(added.status).toBe(409)
    const moved = await server.admin_('PATCH', appPath, { jwks_uri: `${jwksUri}?v=2` })
    expect(moved.status, await moved.clone().text()).toBe(200)
    const shown = (await (await server.admin_('GET', appPath)).json()) as { jwks_uri: string }
    expect(shown.jwks_uri).toBe(`${jwksUri}?v=2`)
    expect((await token(created.client_id, key)).status).toBe(200)
    const audit = (await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/audit?client_id=${created.client_id}&type=application.updated`,
      )
    ).json()) as { items: { data: { jwks_uri?: { before: string; after: string } } }[] }
    expect(audit.items[0]?.data.jwks_uri).toEqual({ before: jwksUri, after: `${jwksUri}?v=2` })
  })
})

describe('a jwks_uri on a private address without an allow-list', () => {
  it('is refused by the outbound rule', async () => {
    const server = await startServer()
    try {
      const response = await server.admin_(
        'POST',
        `/admin/v1/tenants/${server.tenant}/applications`,
        { name: 'internal', jwks_uri: 'https://127.0.0.1:8443/jwks.json' },
      )
      expect(response.status).toBe(400)
      expect(await response.text()).toMatch(/could not be fetched/)
    } finally {
      await server.stop()
    }
  })
})
