import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  createVerifier,
  requireScopes,
  TokenVerificationError,
  type Verifier,
} from '../src/index.js'
import {
  setUpTenant,
  signRawWithTenantKey,
  signWithTenantKey,
  startServer,
  type TestServer,
} from './support.js'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

describe('@tokenmint/verify against a real Tokenmint server', () => {
  let server: TestServer
  let tenant: Awaited<ReturnType<typeof setUpTenant>>
  let verifier: Verifier

  beforeAll(async () => {
    server = await startServer()
    tenant = await setUpTenant(server)
    verifier = createVerifier({
      issuer: server.issuer,
      audience: tenant.api.audience,
      revocationFeed: tenant.feed,
    })
    await verifier.ready
  })
  afterAll(async () => {
    verifier.close()
    await server.stop()
  })

  it('verifies a real token and exposes its claims and scopes', async () => {
    const token = await tenant.mint()
    const claims = await verifier.verify(token)
    expect(claims).toMatchObject({
      iss: server.issuer,
      aud: tenant.api.audience,
      client_id: tenant.app.clientId,
      scopes: ['read:assigned-policies'],
    })
    expect(() => requireScopes(claims, ['read:assigned-policies'])).not.toThrow()
    expect(() => requireScopes(claims, ['create:assigned-policies'])).toThrow(
      TokenVerificationError,
    )
    expect(() =>
      requireScopes(claims, ['create:assigned-policies', 'read:assigned-policies'], { any: true }),
    ).not.toThrow()
  })

  it('refuses every forged or broken token with 401, without crashing', async () => {
    const good = await tenant.mint()
    const [h, p, s] = good.split('.') as [string, string, string]
    const header = decodeProtectedHeader(good)
    const claims = decodeJwt(good)
    const jwksKey = (
      (await (await fetch(`${server.issuer}/.well-known/jwks.json`)).json()) as { keys: unknown[] }
    ).keys[0]
    const { createHmac } = await import('node:crypto')
    const hs256 = (() => {
      const head = b64({ alg: 'HS256', typ: 'at+jwt', kid: header.kid })
      const body = p
      const sig = createHmac('sha256', JSON.stringify(jwksKey))
        .update(`${head}.${body}`)
        .digest('base64url')
      return `${head}.${body}.${sig}`
    })()
    const globex = await server.admin_('POST', '/admin/v1/tenants', {
      id: `other${Date.now().toString(36)}`,
    })
    const otherKid = (
      (await (
        await fetch(
          `${server.url}/t/${((await globex.json()) as { tenant: { id: string } }).tenant.id}/.well-known/jwks.json`,
        )
      ).json()) as { keys: { kid: string }[] }
    ).keys[0]!.kid
    const cases: [string, string | Promise<string>, string][] = [
      ['alg none', `${b64({ alg: 'none', typ: 'at+jwt' })}.${p}.`, 'ERR_TOKEN'],
      ['HS256 signed with the public key', hs256, 'ERR_TOKEN'],
      ['an unknown kid', `${b64({ ...header, kid: 'nope' })}.${p}.${s}`, 'ERR_TOKEN_SIGNATURE'],
      [
        "another tenant's kid",
        `${b64({ ...header, kid: otherKid })}.${p}.${s}`,
        'ERR_TOKEN_SIGNATURE',
      ],
      [
        'a wrong issuer',
        signWithTenantKey(
          server,
          { typ: 'at+jwt' },
          { ...claims, iss: 'https://evil.example.com' },
        ),
        'ERR_TOKEN_ISSUER',
      ],
      [
        'a wrong audience',
        signWithTenantKey(server, { typ: 'at+jwt' }, { ...claims, aud: 'https://other-api' }),
        'ERR_TOKEN_AUDIENCE',
      ],
      [
        'an expired token',
        signWithTenantKey(
          server,
          { typ: 'at+jwt' },
          { ...claims, exp: Math.floor(Date.now() / 1000) - 60 },
        ),
        'ERR_TOKEN_EXPIRED',
      ],
      [
        'a not yet valid token',
        signWithTenantKey(
          server,
          { typ: 'at+jwt' },
          { ...claims, nbf: Math.floor(Date.now() / 1000) + 600 },
        ),
        'ERR_TOKEN_NOT_YET_VALID',
      ],
      [
        'typ JWT instead of at+jwt',
        signWithTenantKey(server, { typ: 'JWT' }, claims),
        'ERR_TOKEN_TYPE',
      ],
      [
        'a tampered payload',
        `${h}.${b64({ ...claims, scope: 'create:assigned-policies' })}.${s}`,
        'ERR_TOKEN_SIGNATURE',
      ],
      ['a truncated token', good.slice(0, good.length - 20), 'ERR_TOKEN'],
      ['not base64url', `${h}.${p}!.${s}`, 'ERR_TOKEN_MALFORMED'],
      ['an oversized token', `${h}.${'A'.repeat(9000)}.${s}`, 'ERR_TOKEN_TOO_LARGE'],
      ['an empty string', '', 'ERR_TOKEN_MALFORMED'],
    ]
    for (const [description, candidate, code] of cases) {
      const error = await verifier.verify(await candidate).catch((e: unknown) => e)
      expect(error, description).toBeInstanceOf(TokenVerificationError)
      expect((error as TokenVerificationError).status, description).toBe(401)
      expect((error as TokenVerificationError).code, description).toContain(code)
      expect((error as TokenVerificationError).wwwAuthenticate, description).toContain(
        'error="invalid_token"',
      )
    }
  })

  /** A fresh token's claims as JSON text, without its dates: `dates` (JSON members) go last. */
  async function claimsWithDates(dates: string): Promise<string> {
    const { iss, sub, aud, jti, client_id, scope } = decodeJwt(await tenant.mint())
    return `${JSON.stringify({ iss, sub, aud, jti, client_id, scope }).slice(0, -1)},${dates}}`
  }
  const atJwtHeader = ({ alg, kid }: { alg: string; kid: string }) =>
    JSON.stringify({ alg, kid, typ: 'at+jwt' })

  it('refuses exp, nbf and iat that are not dates between 1970 and 9999, naming the claim', async () => {
    const now = Math.floor(Date.now() / 1000)
    // JSON written by hand: JSON.stringify cannot write 1e400 and jose will not sign Infinity.
    const cases: { description: string; dates: string; claim: string }[] = [
      { description: 'exp 1e400 (Infinity)', dates: `"iat":${now},"exp":1e400`, claim: 'exp' },
      { description: 'exp past 9999', dates: `"iat":${now},"exp":253402300800`, claim: 'exp' },
      { description: 'exp 1e300', dates: `"iat":${now},"exp":1e300`, claim: 'exp' },
      { description: 'exp as a string', dates: `"iat":${now},"exp":"${now + 300}"`, claim: 'exp' },
      { description: 'exp null', dates: `"iat":${now},"exp":null`, claim: 'exp' },
      {
        description: 'nbf -1e400 (-Infinity)',
        dates: `"iat":${now},"exp":${now + 300},"nbf":-1e400`,
        claim: 'nbf',
      },
      {
        description: 'nbf before 1970',
        dates: `"iat":${now},"exp":${now + 300},"nbf":-1`,
        claim: 'nbf',
      },
      { description: 'iat 1e400', dates: `"iat":1e400,"exp":${now + 300}`, claim: 'iat' },
      { description: 'iat before 1970', dates: `"iat":-5,"exp":${now + 300}`, claim: 'iat' },
      { description: 'iat as a string', dates: `"iat":"${now}","exp":${now + 300}`, claim: 'iat' },
    ]
    for (const { description, dates, claim } of cases) {
      const token = await signRawWithTenantKey(server, atJwtHeader, await claimsWithDates(dates))
      const error = await verifier.verify(token).catch((e: unknown) => e)
      expect(error, description).toBeInstanceOf(TokenVerificationError)
      expect(error, description).toMatchObject({ status: 401, code: 'ERR_TOKEN_CLAIMS' })
      expect((error as TokenVerificationError).message, description).toContain(`${claim} claim`)
      expect((error as TokenVerificationError).wwwAuthenticate, description).toContain(
        'error="invalid_token"',
      )
      expect(verifier.verifyCached(token), description).toBeUndefined()
    }
  })

  it('refuses an iat later than now plus the clock skew, and accepts one within it', async () => {
    const claims = decodeJwt(await tenant.mint())
    const now = Math.floor(Date.now() / 1000)
    const future = await signWithTenantKey(server, { typ: 'at+jwt' }, { ...claims, iat: now + 600 })
    await expect(verifier.verify(future)).rejects.toMatchObject({
      status: 401,
      code: 'ERR_TOKEN_NOT_YET_VALID',
      message: "the token's iat claim is in the future",
    })
    expect(verifier.verifyCached(future)).toBeUndefined()
    // The verifier allows 5 s of skew by default.
    const skewed = await signWithTenantKey(server, { typ: 'at+jwt' }, { ...claims, iat: now + 2 })
    await expect(verifier.verify(skewed)).resolves.toMatchObject({ iat: now + 2 })
  })

  it('refuses a repeated member in the header or the claims, however it is spelled', async () => {
    const now = Math.floor(Date.now() / 1000)
    const claims = await claimsWithDates(`"iat":${now},"exp":${now + 300}`)
    const withClaims = (members: string) => `${claims.slice(0, -1)},${members}}`
    const cases: {
      description: string
      header: (key: { alg: string; kid: string }) => string
      payload: string
      message: string
    }[] = [
      {
        description: 'alg twice in the header, none first',
        header: ({ alg, kid }) => `{"alg":"none","kid":"${kid}","typ":"at+jwt","alg":"${alg}"}`,
        payload: claims,
        message: `the token's header repeats the member "alg"`,
      },
      {
        description: 'alg twice in the header, the second spelled \\u0061lg',
        header: ({ alg, kid }) =>
          `{"alg":"none","kid":"${kid}","typ":"at+jwt","\\u0061lg":"${alg}"}`,
        payload: claims,
        message: `the token's header repeats the member "alg"`,
      },
      {
        description: 'exp twice in the claims, a past one first',
        header: atJwtHeader,
        payload: `{"exp":${now - 3600},${claims.slice(1)}`,
        message: `the token's claims repeat the member "exp"`,
      },
      {
        description: 'exp twice in the claims, the second spelled \\u0065\\u0078p',
        header: atJwtHeader,
        payload: withClaims(`"\\u0065\\u0078p":${now + 86400}`),
        message: `the token's claims repeat the member "exp"`,
      },
      {
        description: 'a repeat inside a nested claim',
        header: atJwtHeader,
        payload: withClaims(`"cnf":{"jkt":"a","jkt":"b"}`),
        message: `the token's claims repeat the member "jkt"`,
      },
      {
        description: 'a repeat in an object inside an array claim',
        header: atJwtHeader,
        payload: withClaims(`"authorization_details":[{"type":"a"},{"type":"a","type":"b"}]`),
        message: `the token's claims repeat the member "type"`,
      },
      {
        description: 'a repeated name unfit for a header (CR LF), not quoted',
        header: atJwtHeader,
        payload: withClaims(`"x\\r\\nSet-Cookie: a":1,"x\\r\\nSet-Cookie: a":2`),
        message: `the token's claims repeat a member name`,
      },
    ]
    for (const { description, header, payload, message } of cases) {
      const token = await signRawWithTenantKey(server, header, payload)
      const error = await verifier.verify(token).catch((e: unknown) => e)
      expect(error, description).toBeInstanceOf(TokenVerificationError)
      expect(error, description).toMatchObject({
        status: 401,
        code: 'ERR_TOKEN_MALFORMED',
        message,
      })
      expect((error as TokenVerificationError).wwwAuthenticate, description).toContain(
        'error="invalid_token"',
      )
      expect(verifier.verifyCached(token), description).toBeUndefined()
    }
  })

  it('accepts a hand-signed token with escaped names, nesting and names reused across objects', async () => {
    const now = Math.floor(Date.now() / 1000)
    const claims = await claimsWithDates(`"iat":${now},"exp":${now + 300}`)
    const token = await signRawWithTenantKey(
      server,
      ({ alg, kid }) => `{"alg":"${alg}","kid":"${kid}","\\u0074yp":"at+jwt"}`,
      `${claims.slice(0, -1)},"act":{"sub":"x"},"ext":[{"a":1},{"a":2}],"a\\"b":1,"a\\\\b":2}`,
    )
    const verified = await verifier.verify(token)
    expect(verified).toMatchObject({
      client_id: tenant.app.clientId,
      exp: now + 300,
      act: { sub: 'x' },
      ext: [{ a: 1 }, { a: 2 }],
      'a"b': 1,
      'a\\b': 2,
    })
    expect(verifier.verifyCached(token)).toBe(verified)
  })

  it('answers a token it verified before from its cache, synchronously if asked', async () => {
    const token = await tenant.mint()
    expect(verifier.verifyCached(token)).toBeUndefined()
    const claims = await verifier.verify(token)
    expect(verifier.verifyCached(token)).toBe(claims)
    expect(await verifier.verify(token)).toBe(claims)
    // A tampered copy is not the cached token: it goes through full verification and fails.
    const tampered = `${token.slice(0, -2)}${token.endsWith('A') ? 'B' : 'A'}A`
    expect(verifier.verifyCached(tampered)).toBeUndefined()
    await expect(verifier.verify(tampered)).rejects.toBeInstanceOf(TokenVerificationError)
  })

  it('rejects a revoked application within one second, also from the cache', async () => {
    const token = await tenant.mint()
    await verifier.verify(token)
    const revokedAt = performance.now()
    const revoke = await server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/applications/${tenant.app.clientId}/revoke`,
    )
    expect(revoke.status).toBe(200)
    let delayMs = Number.POSITIVE_INFINITY
    for (let i = 0; i < 100; i++) {
      const error = await verifier.verify(token).catch((e: unknown) => e)
      if (error instanceof TokenVerificationError && error.code === 'ERR_TOKEN_REVOKED') {
        delayMs = performance.now() - revokedAt
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    console.log(
      `revocation reached the verifier ${delayMs.toFixed(1)} ms after the revoke call returned`,
    )
    expect(delayMs).toBeLessThan(1000)
    // The cache forgets a revoked application's tokens: only verify() answers, and refuses.
    expect(verifier.verifyCached(token)).toBeUndefined()
  })

  it('rejects a token revoked by its jti (RFC 7009)', async () => {
    const other = await setUpTenant(server)
    const token = await other.mint()
    const own = createVerifier({
      issuer: server.issuer,
      audience: other.api.audience,
      revocationFeed: other.feed,
    })
    await own.ready
    await own.verify(token)
    const { postForm, basic } = await import('../../server/test/support/fixtures.js')
    await postForm(
      `${server.issuer}/oauth/revoke`,
      { token },
      { authorization: basic(other.app.clientId, other.app.clientSecret) },
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    await expect(own.verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_REVOKED' })
    own.close()
  })

  it('fails closed or open, as configured, when the feed cannot be reached', async () => {
    const other = await setUpTenant(server)
    const valid = await other.mint()
    const closed = createVerifier({
      issuer: server.issuer,
      audience: other.api.audience,
      revocationFeed: { ...other.feed, clientSecret: 'tms_wrong' },
    })
    const open = createVerifier({
      issuer: server.issuer,
      audience: other.api.audience,
      revocationFeed: { ...other.feed, clientSecret: 'tms_wrong', failMode: 'open' },
    })
    await expect(closed.verify(valid)).rejects.toMatchObject({
      code: 'ERR_REVOCATIONS_UNAVAILABLE',
    })
    await expect(open.verify(valid)).resolves.toMatchObject({ client_id: other.app.clientId })
    closed.close()
    open.close()
  })
})
