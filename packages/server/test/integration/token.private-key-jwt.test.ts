import { execFile } from 'node:child_process'
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'

import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import * as oauth from 'oauth4webapi'
import * as client from 'openid-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { createApi, postForm, type ApiFixture } from '../support/fixtures.js'
import { storageDrivers } from '../support/databases.js'
import { startServer, temporaryDir, type TestServer } from '../support/server.js'

const run = promisify(execFile)
const BIN = path.resolve(import.meta.dirname, '../../bin/tokenmint.js')

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

interface KeyPair {
  privateKey: CryptoKey
  jwk: JWK
  kid: string
}

async function keyPair(alg: 'ES256' | 'EdDSA' | 'PS256' = 'ES256'): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const kid = `k-${randomUUID().slice(0, 8)}`
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid }, kid }
}

interface KeyApp {
  clientId: string
  body: Record<string, unknown>
}

async function createKeyApp(
  server: TestServer,
  keys: readonly JWK[],
  extra: Record<string, unknown> = {},
): Promise<KeyApp> {
  const response = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
    name: `keys-${randomUUID().slice(0, 8)}`,
    jwks: { keys },
    ...extra,
  })
  const body = (await response.json()) as Record<string, unknown>
  expect(response.status, JSON.stringify(body)).toBe(201)
  return { clientId: body['client_id'] as string, body }
}

/** A client assertion as RFC 7523 §3 describes it; `claims` and `header` override the defaults. */
function assertion(
  server: TestServer,
  clientId: string,
  key: KeyPair,
  options: {
    claims?: Record<string, unknown>
    header?: Record<string, unknown>
    alg?: string
    expiresIn?: number
  } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  // A claim overridden with undefined is left out.
  const claims = Object.fromEntries(
    Object.entries<unknown>({
      iss: clientId,
      sub: clientId,
      aud: server.issuer,
      jti: randomUUID(),
      iat: now,
      exp: now + (options.expiresIn ?? 60),
      ...options.claims,
    }).filter(([, value]) => value !== undefined),
  )
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: key.kid, ...options.header })
    .sign(key.privateKey)
}

function tokenRequest(
  server: TestServer,
  clientAssertion: string,
  extra: Record<string, string> = {},
) {
  return postForm(server.tokenEndpoint, {
    grant_type: 'client_credentials',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: clientAssertion,
    ...extra,
  })
}

describe('private_key_jwt: independent clients get tokens with a signed assertion', () => {
  let server: TestServer
  let api: ApiFixture
  let key: KeyPair
  let app: KeyApp

  beforeAll(async () => {
    server = await startServer()
    api = await createApi(server)
    key = await keyPair()
    app = await createKeyApp(server, [key.jwk], {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
  })
  afterAll(() => server.stop())

  it('creates the application without a secret and advertises the method', async () => {
    expect(app.body).not.toHaveProperty('client_secret')
    expect(app.body).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      keys: [{ kid: key.kid, jwk: { kty: 'EC', crv: 'P-256' } }],
    })
    const metadata = (await (
      await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, string[]>
    expect(metadata['token_endpoint_auth_methods_supported']).toContain('private_key_jwt')
    expect(metadata['token_endpoint_auth_signing_alg_values_supported']).toContain('ES256')
    expect(metadata['token_endpoint_auth_signing_alg_values_supported']).not.toContain('HS256')
  })

  it('oauth4webapi gets a token with PrivateKeyJwt and validates it per RFC 9068', async () => {
    const issuer = new URL(server.issuer)
    const options = { [oauth.allowInsecureRequests]: true }
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...options }),
    )
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: app.clientId },
      oauth.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }),
      { scope: 'read:assigned-policies', resource: api.audience },
      options,
    )
    const result = await oauth.processClientCredentialsResponse(
      as,
      { client_id: app.clientId },
      response,
    )
    const request = new Request('https://api.example.com/v1/assigned-policies', {
      headers: { authorization: `Bearer ${result.access_token}` },
    })
    const claims = await oauth.validateJwtAccessToken(as, request, api.audience, options)
    expect(claims).toMatchObject({ client_id: app.clientId, scope: 'read:assigned-policies' })
  })

  it('openid-client gets tokens with PrivateKeyJwt, a fresh assertion each time', async () => {
    const config = await client.discovery(
      new URL(server.issuer),
      app.clientId,
      undefined,
      client.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }),
      { execute: [client.allowInsecureRequests] },
    )
    for (let i = 0; i < 2; i++) {
      const tokens = await client.clientCredentialsGrant(config, { resource: api.audience })
      expect(tokens.access_token.split('.')).toHaveLength(3)
    }
  })

  it('records the key as the credential used, with its last use', async () => {
    const response = await server.admin_(
      'GET',
      `/admin/v1/tenants/${server.tenant}/audit?client_id=${app.clientId}&type=token.issued`,
    )
    const page = (await response.json()) as { items: { data: Record<string, unknown> }[] }
    const keyId = (app.body['keys'] as { id: string }[])[0]?.id
    expect(page.items[0]?.data).toMatchObject({ auth_method: 'private_key_jwt', secret_id: keyId })
    const shown = (await (
      await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/applications/${app.clientId}`)
    ).json()) as { keys: { last_used_at: string | null }[]; secrets: unknown[] }
    expect(shown.secrets).toEqual([])
    // "Last used" is written after the answer; allow it a moment.
    for (let i = 0; i < 50 && shown.keys[0]?.last_used_at == null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      Object.assign(
        shown,
        await (
          await server.admin_(
            'GET',
            `/admin/v1/tenants/${server.tenant}/applications/${app.clientId}`,
          )
        ).json(),
      )
    }
    expect(shown.keys[0]?.last_used_at).not.toBeNull()
  })

  it('works at the deployment-wide token endpoint and, for a resource server, at introspection', async () => {
    const global = `${server.url}/oauth/token`
    const viaGlobal = await postForm(global, {
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(server, app.clientId, key, { claims: { aud: global } }),
      resource: api.audience,
    })
    expect(viaGlobal.status, JSON.stringify(viaGlobal.body)).toBe(200)

    const rsKey = await keyPair()
    const resourceServer = await createKeyApp(server, [rsKey.jwk], { can_introspect: true })
    const introspected = await postForm(`${server.issuer}/oauth/introspect`, {
      token: viaGlobal.body['access_token'] as string,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(server, resourceServer.clientId, rsKey),
    })
    expect(introspected.status).toBe(200)
    expect(introspected.body).toMatchObject({ active: true, client_id: app.clientId })
  })

  it('refuses each broken assertion with invalid_client and says what is wrong', async () => {
    const stranger = await keyPair()
    const now = Math.floor(Date.now() / 1000)
    const cases: [string, Promise<string> | string, RegExp][] = [
      [
        'audience of another server',
        assertion(server, app.clientId, key, { claims: { aud: 'https://elsewhere.example.com' } }),
        /aud must be this server's issuer or token endpoint/,
      ],
      [
        'expired',
        assertion(server, app.clientId, key, { claims: { iat: now - 600, exp: now - 120 } }),
        /has expired/,
      ],
      [
        'exp an hour ahead',
        assertion(server, app.clientId, key, { expiresIn: 3600 }),
        /expires too far ahead/,
      ],
      ['no jti', assertion(server, app.clientId, key, { claims: { jti: undefined } }), /'jti'/],
      [
        'iss differs from sub',
        assertion(server, app.clientId, key, { claims: { iss: 'tmc_someone' } }),
        /iss and sub/,
      ],
      [
        'signed by a key not registered',
        assertion(server, app.clientId, { ...stranger, kid: key.kid }),
        /no public key registered for it verifies/,
      ],
      [
        'alg none',
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: app.clientId, sub: app.clientId, aud: server.issuer, exp: now + 60, jti: 'x' })).toString('base64url')}.`,
        /'none' is not accepted/,
      ],
      [
        'HS256 keyed with the public key (algorithm confusion)',
        new SignJWT({
          iss: app.clientId,
          sub: app.clientId,
          aud: server.issuer,
          exp: now + 60,
          jti: randomUUID(),
        })
          .setProtectedHeader({ alg: 'HS256', kid: key.kid })
          .sign(new TextEncoder().encode(JSON.stringify(key.jwk))),
        /'HS256' is not accepted/,
      ],
      ['not a JWT', 'not.a.jwt', /not a signed JWT/],
    ]
    for (const [name, pending, description] of cases) {
      const { status, body } = await tokenRequest(server, await pending)
      expect({ name, status, body }).toMatchObject({
        name,
        status: 401,
        body: { error: 'invalid_client' },
      })
      expect(body['error_description'], name).toMatch(description)
    }
    const other = await tokenRequest(server, await assertion(server, app.clientId, key), {
      client_id: 'tmc_another',
    })
    expect(other.status).toBe(401)
    expect(other.body['error_description']).toMatch(/client_id differs/)
    const wrongType = await postForm(server.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:example:saml',
      client_assertion: await assertion(server, app.clientId, key),
    })
    expect(wrongType.status).toBe(401)
    expect(wrongType.body['error_description']).toMatch(/client_assertion_type must be/)
  })

  it('accepts an assertion once: replayed, one after the other and all at once', async () => {
    const once = await assertion(server, app.clientId, key)
    expect((await tokenRequest(server, once)).status).toBe(200)
    const replay = await tokenRequest(server, once)
    expect(replay.status).toBe(401)
    expect(replay.body['error_description']).toMatch(/used before \(same jti\)/)

    const racing = await assertion(server, app.clientId, key)
    const results = await Promise.all(Array.from({ length: 8 }, () => tokenRequest(server, racing)))
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    expect(results.filter((r) => r.status === 401)).toHaveLength(7)
  })

  it('does not accept an assertion for a secret application, nor a secret for a key application', async () => {
    const secretApp = (await (
      await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
        name: `secret-${randomUUID().slice(0, 8)}`,
      })
    ).json()) as { client_id: string }
    const refused = await tokenRequest(server, await assertion(server, secretApp.client_id, key))
    expect(refused.status).toBe(401)
    expect(refused.body['error_description']).toMatch(/no public key registered for it verifies/)
    const rotate = await server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/applications/${app.clientId}/rotate-secret`,
      {},
    )
    expect(rotate.status).toBe(409)
  })

  it('rotates keys by adding the new one, then removing the old; the last key stays', async () => {
    const first = await keyPair('EdDSA')
    const second = await keyPair('PS256')
    const rotating = await createKeyApp(server, [first.jwk], {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const keysPath = `/admin/v1/tenants/${server.tenant}/applications/${rotating.clientId}/keys`
    const added = await server.admin_('POST', keysPath, { jwks: { keys: [second.jwk] } })
    expect(added.status).toBe(201)
    for (const [pair, alg] of [
      [first, 'EdDSA'],
      [second, 'PS256'],
    ] as const) {
      const ok = await tokenRequest(
        server,
        await assertion(server, rotating.clientId, pair, { alg }),
      )
      expect(ok.status, alg).toBe(200)
    }
    expect((await server.admin_('DELETE', `${keysPath}/${first.kid}`)).status).toBe(200)
    const old = await tokenRequest(
      server,
      await assertion(server, rotating.clientId, first, { alg: 'EdDSA' }),
    )
    expect(old.status).toBe(401)
    const last = await server.admin_('DELETE', `${keysPath}/${second.kid}`)
    expect(last.status).toBe(409)
    expect(await last.text()).toMatch(/only key: add its replacement first/)
    expect((await server.admin_('DELETE', `${keysPath}/nope`)).status).toBe(404)
  })

  it('the CLI creates a key application from a PEM public key and rotates its keys', async () => {
    const dir = temporaryDir()
    const pem = (name: string) => {
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      const file = path.join(dir, `${name}.pem`)
      fs.writeFileSync(file, pair.publicKey.export({ format: 'pem', type: 'spki' }))
      return { file, privateKey: pair.privateKey }
    }
    const env = {
      PATH: process.env['PATH'],
      TOKENMINT_URL: server.url,
      TOKENMINT_TENANT: server.tenant,
      TOKENMINT_CLIENT_ID: server.admin.clientId,
      TOKENMINT_CLIENT_SECRET: server.admin.clientSecret,
      TOKENMINT_PROFILE: path.join(dir, 'none.json'),
    }
    const cli = async (...args: string[]) =>
      (await run(process.execPath, [BIN, ...args], { env })).stdout
    const first = pem('first')
    const created = JSON.parse(
      await cli(
        'apps',
        'create',
        '--name',
        'cli-keys',
        '--audience',
        api.audience,
        '--scope',
        'read:assigned-policies',
        '--jwks-file',
        first.file,
        '--json',
      ),
    ) as { client_id: string; client_secret?: string; keys: { kid: string }[] }
    expect(created.client_secret).toBeUndefined()
    const firstKid = created.keys[0]?.kid ?? ''
    const shown = await cli('apps', 'show', created.client_id)
    expect(shown).toContain('private_key_jwt')
    expect(shown).toContain(`key ${firstKid}`)
    const second = pem('second')
    expect(await cli('apps', 'keys', 'add', created.client_id, '--jwks-file', second.file)).toMatch(
      /Added 1 key/,
    )
    // `--`: a kid is a thumbprint, and one in 64 starts with "-", which would read as an option.
    expect(await cli('apps', 'keys', 'remove', created.client_id, '--', firstKid)).toMatch(
      /Removed key/,
    )
    // `tokenmint token` signs its own assertion with the private key file: no secret anywhere.
    const secondPrivate = path.join(dir, 'second-private.pem')
    fs.writeFileSync(secondPrivate, second.privateKey.export({ format: 'pem', type: 'pkcs8' }))
    const minted = await cli(
      'token',
      '--token-url',
      server.tokenEndpoint,
      '--client-id',
      created.client_id,
      '--private-key-file',
      secondPrivate,
    )
    expect(minted.trim().split('.')).toHaveLength(3)
    await expect(
      cli(
        'token',
        '--token-url',
        server.tokenEndpoint,
        '--client-id',
        created.client_id,
        '--private-key-file',
        path.join(dir, 'second.pem'),
      ),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/is not a private key/) as unknown })
    const privateFile = path.join(dir, 'private.pem')
    fs.writeFileSync(privateFile, first.privateKey.export({ format: 'pem', type: 'pkcs8' }))
    await expect(
      cli('apps', 'keys', 'add', created.client_id, '--jwks-file', privateFile),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/holds a private key/) as unknown })
  })

  it('refuses private keys, weak keys and duplicates at registration, and saves nothing', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'private' }
    // jose will not even make one this small.
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const weakJwk = { ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak' }
    const cases: [unknown, RegExp][] = [
      [{ keys: [privateJwk] }, /private key/],
      [{ keys: [weakJwk] }, /at least 2048 bits/],
      [{ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 's' }] }, /symmetric keys are not accepted/],
      [{ keys: [key.jwk, key.jwk] }, /used twice/],
      [{ keys: [{ ...key.jwk, x: 'AAAA' }] }, /not a valid public key/],
      [{ keys: [{ ...key.jwk, alg: 'RS256' }] }, /cannot be used with this key/],
    ]
    const before = (await (
      await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/applications?limit=200`)
    ).json()) as { items: unknown[] }
    for (const [jwks, message] of cases) {
      const response = await server.admin_(
        'POST',
        `/admin/v1/tenants/${server.tenant}/applications`,
        {
          name: `bad-${randomUUID().slice(0, 8)}`,
          jwks,
        },
      )
      const text = await response.text()
      expect(response.status, text).toBe(400)
      expect(text).toMatch(message)
      expect(text).not.toContain(privateJwk.d ?? '-')
    }
    const after = (await (
      await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/applications?limit=200`)
    ).json()) as { items: unknown[] }
    expect(after.items).toHaveLength(before.items.length)
  })
})

describe.each(storageDrivers)('private_key_jwt replay protection on %s', (_name, open) => {
  let servers: TestServer[] = []
  let cleanup: () => Promise<void> = () => Promise.resolve()
  afterEach(async () => {
    for (const s of servers) await s.stop()
    servers = []
    await cleanup()
  })

  it('an assertion sent to every node at once is accepted by exactly one', async () => {
    const storage = await open()
    cleanup = storage.cleanup
    const first = await startServer(
      storage.databaseUrl === undefined ? {} : { databaseUrl: storage.databaseUrl },
    )
    servers.push(first)
    const nodes = [first]
    if (storage.databaseUrl !== undefined) {
      nodes.push(
        await startServer({
          databaseUrl: storage.databaseUrl,
          admin: first.admin,
          env: { TOKENMINT_PUBLIC_URL: first.url },
        }),
      )
      servers.push(nodes[1] as TestServer)
    }
    const key = await keyPair()
    const api = await createApi(first)
    const app = await createKeyApp(first, [key.jwk], {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const shared = await assertion(first, app.clientId, key)
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => {
        const node = nodes[i % nodes.length] as TestServer
        return postForm(`${node.url}/t/${first.tenant}/oauth/token`, {
          grant_type: 'client_credentials',
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: shared,
        })
      }),
    )
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401, 401])
  })
})
