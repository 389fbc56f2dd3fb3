import http from 'node:http'
import type { AddressInfo } from 'node:net'

import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createVerifier, TokenVerificationError, type Verifier } from '../src/index.js'
import { authenticate } from '../src/adapters/node.js'
import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApplicationFixture,
} from '../../server/test/support/fixtures.js'
import { createResourceServer, createTenant } from '../../server/test/support/tenants.js'
import { signWithTenantKey, startServer, type TestServer } from './support.js'

const AUDIENCE = 'https://policies.example.com'
const SCOPES = ['read:assigned-policies']

/** A `fetch` that records every URL asked for, and can refuse some (a partitioned network). */
function recordingFetch(isUnreachable: (url: string) => boolean = () => false) {
  const urls: string[] = []
  const recorded: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    urls.push(url)
    if (isUnreachable(url)) return Promise.reject(new TypeError('fetch failed'))
    return fetch(input, init)
  }
  return {
    fetch: recorded,
    urls,
    jwksFetches: () => urls.filter((url) => url.endsWith('/.well-known/jwks.json')),
  }
}

/** The reason a verification was refused for, or `accepted`. */
async function outcome(verifier: Verifier, token: string): Promise<string> {
  try {
    await verifier.verify(token)
    return 'accepted'
  } catch (error) {
    if (error instanceof TokenVerificationError) return error.code
    throw error
  }
}

async function poll(check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < withinMs) {
    if (await check()) return performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return Number.POSITIVE_INFINITY
}

describe('a verifier of every tenant of one deployment, against a real Tokenmint server', () => {
  let server: TestServer
  let globex: TestServer
  let base: string
  let acmeApp: ApplicationFixture
  let globexApp: ApplicationFixture
  /** A root-tenant application with introspection: what follows the deployment's feed. */
  let rootFeed: { clientId: string; clientSecret: string }
  let globexFeed: { clientId: string; clientSecret: string }
  let attacker: CryptoKey
  const verifiers: Verifier[] = []

  /** `createVerifier`, closed after the suite. */
  const verifierOf = (options: Parameters<typeof createVerifier>[0]) => {
    const verifier = createVerifier(options)
    verifiers.push(verifier)
    return verifier
  }

  const grantedApp = (tenant: TestServer) =>
    createApplication(tenant, { grants: [{ audience: AUDIENCE, scopes: SCOPES }] })
  const mint = async (tenant: TestServer, app: ApplicationFixture) =>
    (
      await postForm(
        tenant.tokenEndpoint,
        { grant_type: 'client_credentials' },
        { authorization: basic(app.clientId, app.clientSecret) },
      )
    ).body['access_token'] as string
  /** A token with every claim right but signed by a key no tenant has. */
  const forge = (iss: unknown) =>
    new SignJWT({ client_id: 'tmc_forged', scope: 'read:assigned-policies', iss } as never)
      .setProtectedHeader({ alg: 'ES256', kid: 'attacker', typ: 'at+jwt' })
      .setSubject('tmc_forged')
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(crypto.randomUUID())
      .sign(attacker)

  beforeAll(async () => {
    server = await startServer()
    base = server.url
    globex = await createTenant(server, 'globex')
    for (const tenant of [server, globex])
      await createApi(tenant, { audience: AUDIENCE, scopes: SCOPES })
    acmeApp = await grantedApp(server)
    globexApp = await grantedApp(globex)
    rootFeed = await createResourceServer(server)
    globexFeed = await createResourceServer(globex)
    attacker = (await generateKeyPair('ES256')).privateKey
  })
  afterAll(async () => {
    for (const verifier of verifiers) verifier.close()
    await server.stop()
  })

  it("verifies the tokens of two tenants with one verifier, naming each token's tenant", async () => {
    const recording = recordingFetch()
    const verifier = verifierOf({ issuer: base, audience: AUDIENCE, fetch: recording.fetch })
    for (let round = 0; round < 2; round++) {
      const acme = await verifier.verify(await mint(server, acmeApp))
      expect(acme).toMatchObject({
        tenant: 'acme',
        iss: `${base}/t/acme`,
        client_id: acmeApp.clientId,
        scopes: SCOPES,
      })
      const globexToken = await mint(globex, globexApp)
      const claims = await verifier.verify(globexToken)
      expect(claims).toMatchObject({
        tenant: 'globex',
        iss: `${base}/t/globex`,
        client_id: globexApp.clientId,
      })
      expect(verifier.verifyCached(globexToken)?.tenant).toBe('globex')
    }
    // Each tenant's JWKS once, where the tenant's metadata says it is; no metadata, no feed.
    expect(recording.urls.sort()).toEqual([
      `${base}/t/acme/.well-known/jwks.json`,
      `${base}/t/globex/.well-known/jwks.json`,
    ])
    // A verifier of one tenant's issuer names its tenant too.
    const single = verifierOf({ issuer: globex.issuer, audience: AUDIENCE })
    expect((await single.verify(await mint(globex, globexApp))).tenant).toBe('globex')
    // …and, as before, refuses another tenant's (whose key it does not have).
    await expect(single.verify(await mint(server, acmeApp))).rejects.toBeInstanceOf(
      TokenVerificationError,
    )
  })

  it('refuses a token of another deployment, or an iss that only looks like this one, without fetching anything', async () => {
    const recording = recordingFetch()
    const verifier = verifierOf({ issuer: base, audience: AUDIENCE, fetch: recording.fetch })
    const other = await startServer()
    try {
      await createApi(other, { audience: AUDIENCE, scopes: SCOPES })
      const fromOther = await mint(other, await grantedApp(other))
      expect(decodeJwt(fromOther).iss).toBe(`${other.url}/t/acme`)
      expect(await outcome(verifier, fromOther), 'another deployment').toBe('ERR_TOKEN_ISSUER')
    } finally {
      await other.stop()
    }
    const cases: { description: string; iss: unknown }[] = [
      { description: 'a look-alike host', iss: `${base}.evil.com/t/acme` },
      { description: 'a longer port', iss: `${base}0/t/acme` },
      { description: 'a path below a tenant', iss: `${base}/t/acme/x` },
      { description: 'a trailing slash', iss: `${base}/t/acme/` },
      { description: 'an upper-case tenant id', iss: `${base}/t/Acme` },
      { description: 'a tenant id starting with a dash', iss: `${base}/t/-acme` },
      { description: 'a dot segment', iss: `${base}/t/../t/acme` },
      { description: 'an empty tenant id', iss: `${base}/t/` },
      { description: 'the base URL itself', iss: base },
      { description: 'no /t/', iss: `${base}/acme` },
      { description: 'a query', iss: `${base}/t/acme?x=1` },
      { description: 'a tenant id of 64 characters', iss: `${base}/t/${'a'.repeat(64)}` },
      { description: 'another host', iss: 'https://evil.example.com/t/acme' },
      { description: 'a number', iss: 42 },
      { description: 'no iss at all', iss: undefined },
    ]
    for (const { description, iss } of cases)
      expect(await outcome(verifier, await forge(iss)), description).toBe('ERR_TOKEN_ISSUER')
    expect(recording.urls).toEqual([])
  })

  it('fetches keys for at most newTenantFetchesPerMinute tenants it does not hold, however many made-up tenants tokens name', async () => {
    const recording = recordingFetch()
    let clock = Date.now()
    const verifier = verifierOf({
      issuer: base,
      audience: AUDIENCE,
      fetch: recording.fetch,
      newTenantFetchesPerMinute: 3,
      now: () => clock,
    })
    const outcomes: string[] = []
    for (let n = 0; n < 25; n++)
      outcomes.push(await outcome(verifier, await forge(`${base}/t/random-${n}`)))
    // The first three are looked up and found unknown (404); the rest are not looked up at all.
    expect(outcomes.slice(0, 3)).toEqual(Array(3).fill('ERR_TOKEN_ISSUER'))
    expect(new Set(outcomes.slice(3))).toEqual(new Set(['ERR_TENANT_KEYS_LIMITED']))
    expect(recording.jwksFetches()).toHaveLength(3)
    // An unknown tenant is remembered: asking again fetches nothing, even once the bucket refills.
    clock += 60_000
    for (let n = 0; n < 3; n++)
      expect(await outcome(verifier, await forge(`${base}/t/random-${n}`))).toBe('ERR_TOKEN_ISSUER')
    expect(recording.jwksFetches()).toHaveLength(3)
    // Tokens of one tenant being fetched wait for that one fetch.
    const parallel = await Promise.all(
      Array.from({ length: 10 }, async () => outcome(verifier, await forge(`${base}/t/parallel`))),
    )
    expect(new Set(parallel)).toEqual(new Set(['ERR_TOKEN_ISSUER']))
    expect(recording.jwksFetches()).toHaveLength(4)
    // Once the made-up ids have used the bucket up, a real tenant not held waits for it to refill.
    for (let n = 100; n < 110; n++) await outcome(verifier, await forge(`${base}/t/random-${n}`))
    const refused = await verifier.verify(await mint(server, acmeApp)).catch((e: unknown) => e)
    expect(refused).toMatchObject({ status: 401, code: 'ERR_TENANT_KEYS_LIMITED' })
    expect((refused as TokenVerificationError).message).toContain('tenant acme')
    expect(recording.jwksFetches()).toHaveLength(6)
    clock += 20_000 // one fetch's worth at 3 a minute
    await expect(verifier.verify(await mint(server, acmeApp))).resolves.toMatchObject({
      tenant: 'acme',
    })
    expect(recording.jwksFetches()).toHaveLength(7)
  })

  it("holds at most maxTenants tenants' keys, the least recently used out", async () => {
    const recording = recordingFetch()
    const verifier = verifierOf({
      issuer: base,
      audience: AUDIENCE,
      fetch: recording.fetch,
      maxTenants: 1,
    })
    for (const [tenant, app] of [
      [server, acmeApp],
      [globex, globexApp],
      [server, acmeApp],
    ] as const)
      await verifier.verify(await mint(tenant, app))
    expect(recording.jwksFetches()).toEqual([
      `${base}/t/acme/.well-known/jwks.json`,
      `${base}/t/globex/.well-known/jwks.json`,
      `${base}/t/acme/.well-known/jwks.json`,
    ])
  })

  it("refuses a revoked application of one tenant within a second, while another tenant's tokens pass", async () => {
    const verifier = verifierOf({ issuer: base, audience: AUDIENCE, revocationFeed: rootFeed })
    await verifier.ready
    const victim = await grantedApp(server)
    const victimToken = await mint(server, victim)
    const globexToken = await mint(globex, globexApp)
    await verifier.verify(victimToken)
    await verifier.verify(globexToken)

    const revoked = await server.admin_(
      'POST',
      `/admin/v1/tenants/acme/applications/${victim.clientId}/revoke`,
    )
    expect(revoked.status).toBe(200)
    const delayMs = await poll(
      async () => (await outcome(verifier, victimToken)) === 'ERR_TOKEN_REVOKED',
      2000,
    )
    console.log(`the deployment feed revoked tenant acme's application in ${delayMs.toFixed(1)} ms`)
    expect(delayMs).toBeLessThan(1000)
    expect(verifier.verifyCached(victimToken)).toBeUndefined()
    expect((await verifier.verify(globexToken)).tenant).toBe('globex')

    // RFC 7009: one token of tenant globex, by its jti; the same application's others still pass.
    const [first, second] = [await mint(globex, globexApp), await mint(globex, globexApp)]
    await verifier.verify(first)
    const answer = await postForm(
      `${globex.issuer}/oauth/revoke`,
      { token: first },
      { authorization: basic(globexApp.clientId, globexApp.clientSecret) },
    )
    expect(answer.status).toBe(200)
    const jtiDelayMs = await poll(
      async () => (await outcome(verifier, first)) === 'ERR_TOKEN_REVOKED',
      2000,
    )
    expect(jtiDelayMs).toBeLessThan(1000)
    expect(await outcome(verifier, second)).toBe('accepted')
    expect(await outcome(verifier, await mint(server, acmeApp))).toBe('accepted')
  })

  it("refuses a suspended tenant's tokens within a second, and its new ones once it is resumed", async () => {
    const initech = await createTenant(server, 'initech')
    await createApi(initech, { audience: AUDIENCE, scopes: SCOPES })
    const app = await grantedApp(initech)
    const verifier = verifierOf({ issuer: base, audience: AUDIENCE, revocationFeed: rootFeed })
    await verifier.ready
    const before = await mint(initech, app)
    expect((await verifier.verify(before)).tenant).toBe('initech')

    const suspended = await server.admin_('POST', '/admin/v1/tenants/initech/suspend')
    expect(suspended.status).toBe(200)
    const delayMs = await poll(
      async () => (await outcome(verifier, before)) === 'ERR_TOKEN_REVOKED',
      2000,
    )
    expect(delayMs).toBeLessThan(1000)
    expect(await outcome(verifier, await mint(globex, globexApp))).toBe('accepted')

    expect((await server.admin_('POST', '/admin/v1/tenants/initech/resume')).status).toBe(200)
    // A token in the same second as the suspension would count as issued before it.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const after = await mint(initech, app)
    expect(await outcome(verifier, after)).toBe('accepted')
    expect(await outcome(verifier, before)).toBe('ERR_TOKEN_REVOKED')
  })

  it('accepts only the tenants the tenants predicate names, refusing others before any fetch', async () => {
    const recording = recordingFetch()
    const asked: string[] = []
    const verifier = verifierOf({
      issuer: base,
      audience: AUDIENCE,
      fetch: recording.fetch,
      tenants: (tenant) => {
        asked.push(tenant)
        return tenant === 'globex'
      },
    })
    const refused = await verifier.verify(await mint(server, acmeApp)).catch((e: unknown) => e)
    expect(refused).toMatchObject({
      status: 401,
      code: 'ERR_TOKEN_ISSUER',
      message: 'the token was issued by a tenant this API does not accept',
    })
    expect(await outcome(verifier, await forge(`${base}/t/random-1`))).toBe('ERR_TOKEN_ISSUER')
    expect(recording.urls).toEqual([])
    expect((await verifier.verify(await mint(globex, globexApp))).tenant).toBe('globex')
    expect(recording.urls).toEqual([`${base}/t/globex/.well-known/jwks.json`])
    expect(asked).toEqual(['acme', 'random-1', 'globex'])
  })

  it('fails closed when the deployment feed cannot be reached or refuses the credentials, and open if asked', async () => {
    const unreachable = (url: string) => url === `${base}/oauth/revocations`
    const acmeToken = await mint(server, acmeApp)
    const cases = [
      {
        description: 'feed unreachable, fail closed',
        options: { revocationFeed: rootFeed, fetch: recordingFetch(unreachable).fetch },
        expected: 'ERR_REVOCATIONS_UNAVAILABLE',
      },
      {
        description: "a non-root tenant's credentials, fail closed",
        options: { revocationFeed: globexFeed },
        expected: 'ERR_REVOCATIONS_UNAVAILABLE',
      },
      {
        description: 'feed unreachable, fail open',
        options: {
          revocationFeed: { ...rootFeed, failMode: 'open' as const },
          fetch: recordingFetch(unreachable).fetch,
        },
        expected: 'accepted',
      },
    ]
    for (const { description, options, expected } of cases) {
      const verifier = verifierOf({ issuer: base, audience: AUDIENCE, ...options })
      expect(await outcome(verifier, acmeToken), description).toBe(expected)
    }
  })

  it('refuses a token whose tenant claim is not the tenant of its iss', async () => {
    const verifier = verifierOf({ issuer: base, audience: AUDIENCE })
    const claims = decodeJwt(await mint(server, acmeApp))
    const mismatched = await signWithTenantKey(
      server,
      { typ: 'at+jwt' },
      { ...claims, tenant: 'globex' },
    )
    await expect(verifier.verify(mismatched)).rejects.toMatchObject({
      code: 'ERR_TOKEN_CLAIMS',
      message: "the token's tenant claim is not the tenant of its iss",
    })
    const matching = await signWithTenantKey(
      server,
      { typ: 'at+jwt' },
      { ...claims, tenant: 'acme' },
    )
    expect((await verifier.verify(matching)).tenant).toBe('acme')
  })

  it('hands the tenant to the adapters with the claims', async () => {
    const verifier = verifierOf({ issuer: base, audience: AUDIENCE })
    const api = http.createServer((request, response) => {
      void authenticate(verifier, request, response, { all: SCOPES }).then((claims) => {
        if (claims !== undefined) response.end(JSON.stringify({ tenant: claims.tenant }))
      })
    })
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}/`
      for (const [tenant, app] of [
        [server, acmeApp],
        [globex, globexApp],
      ] as const) {
        const response = await fetch(url, {
          headers: { authorization: `Bearer ${await mint(tenant, app)}` },
        })
        expect(await response.json()).toEqual({ tenant: tenant.tenant })
      }
    } finally {
      api.closeAllConnections()
      await new Promise((resolve) => api.close(resolve))
    }
  })

  it('refuses, when created, options that do not fit its issuer', () => {
    const cases: {
      description: string
      options: Parameters<typeof createVerifier>[0]
      error: RegExp
    }[] = [
      {
        description: 'a scope-use report with a deployment',
        options: {
          issuer: base,
          audience: AUDIENCE,
          revocationFeed: rootFeed,
          reportScopeUse: true,
        },
        error: /reportScopeUse is only for a verifier of one tenant's issuer/,
      },
      {
        description: 'a tenants predicate with one tenant',
        options: { issuer: server.issuer, audience: AUDIENCE, tenants: () => true },
        error: /for a verifier of every tenant of a deployment/,
      },
      {
        description: 'maxTenants with one tenant',
        options: { issuer: server.issuer, audience: AUDIENCE, maxTenants: 5 },
        error: /for a verifier of every tenant of a deployment/,
      },
      {
        description: 'no tenant held',
        options: { issuer: base, audience: AUDIENCE, maxTenants: 0 },
        error: /maxTenants must be a positive integer/,
      },
      {
        description: 'no fetch allowed',
        options: { issuer: base, audience: AUDIENCE, newTenantFetchesPerMinute: 0.5 },
        error: /newTenantFetchesPerMinute must be a positive integer/,
      },
      {
        description: 'a base URL with a query',
        options: { issuer: `${base}/?tenant=acme`, audience: AUDIENCE },
        error: /without query or fragment/,
      },
      {
        description: 'not a URL',
        options: { issuer: 'auth.example.com', audience: AUDIENCE },
        error: /issuer must be a URL/,
      },
    ]
    for (const { description, options, error } of cases)
      expect(() => verifierOf(options), description).toThrow(error)
  })
})

/** Which tenant a revocation entry applies to, with a stand-in deployment sending the entries. */
describe("a deployment verifier's revocations, kept per tenant", () => {
  const AUDIENCE_FAKE = 'https://fake-api.example.com'
  let origin = ''
  let stop: () => Promise<void>
  const streams: http.ServerResponse[] = []
  const keys = new Map<string, { privateKey: CryptoKey; jwk: JWK }>()
  let cursor = 0

  beforeAll(async () => {
    for (const tenant of ['acme', 'globex']) {
      const { privateKey, publicKey } = await generateKeyPair('ES256')
      keys.set(tenant, {
        privateKey,
        jwk: { ...(await exportJWK(publicKey)), kid: `${tenant}-1`, alg: 'ES256', use: 'sig' },
      })
    }
    const server = http.createServer((request, response) => {
      const jwks = /^\/t\/([a-z]+)\/\.well-known\/jwks\.json$/.exec(request.url ?? '')
      const key = jwks === null ? undefined : keys.get(jwks[1]!)
      if (key !== undefined) {
        response.writeHead(200, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ keys: [key.jwk] }))
      } else if (request.url === '/oauth/revocations') {
        response.writeHead(200, { 'content-type': 'text/event-stream' })
        response.write('event: ready\ndata: {}\n\n')
        streams.push(response)
      } else {
        response.writeHead(404).end()
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    stop = () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  })
  afterAll(() => stop())

  const mintFake = (tenant: string, clientId: string) =>
    new SignJWT({ client_id: clientId, scope: '', tenant })
      .setProtectedHeader({ alg: 'ES256', kid: `${tenant}-1`, typ: 'at+jwt' })
      .setIssuer(`${origin}/t/${tenant}`)
      .setSubject(clientId)
      .setAudience(AUDIENCE_FAKE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(crypto.randomUUID())
      .sign(keys.get(tenant)!.privateKey)
  const publish = (entry: Record<string, unknown>) => {
    const data = JSON.stringify({
      cursor: String(++cursor),
      revoked_at: Math.floor(Date.now() / 1000) + 1,
      expires_at: Math.floor(Date.now() / 1000) + 600,
      ...entry,
    })
    for (const stream of streams)
      stream.write(`id: ${cursor}\nevent: revocation\ndata: ${data}\n\n`)
  }

  it("never lets one tenant's entry revoke another tenant's client or token of the same id", async () => {
    const verifier = createVerifier({
      issuer: origin,
      audience: AUDIENCE_FAKE,
      revocationFeed: { clientId: 'tmc_feed', clientSecret: 'tms_feed' },
    })
    try {
      await verifier.ready
      const acme = await mintFake('acme', 'tmc_same')
      const globex = await mintFake('globex', 'tmc_same')
      expect((await verifier.verify(acme)).tenant).toBe('acme')
      expect((await verifier.verify(globex)).tenant).toBe('globex')

      // A token entry of globex naming acme's token's jti, then globex's application.
      publish({ tenant: 'globex', type: 'token', client_id: 'tmc_same', jti: decodeJwt(acme).jti })
      publish({ tenant: 'globex', type: 'application', client_id: 'tmc_same' })
      expect(
        await poll(async () => (await outcome(verifier, globex)) === 'ERR_TOKEN_REVOKED', 2000),
      ).toBeLessThan(1000)
      expect(await outcome(verifier, acme)).toBe('accepted')
      expect(verifier.verifyCached(acme)?.tenant).toBe('acme')

      // An entry naming no tenant (never sent by Tokenmint) revokes in every tenant: the safe side.
      const other = await mintFake('acme', 'tmc_other')
      await verifier.verify(other)
      publish({ type: 'application', client_id: 'tmc_other' })
      expect(
        await poll(async () => (await outcome(verifier, other)) === 'ERR_TOKEN_REVOKED', 2000),
      ).toBeLessThan(1000)
    } finally {
      verifier.close()
    }
  })
})
