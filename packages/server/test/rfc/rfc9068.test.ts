// RFC 9068: JWT Profile for OAuth 2.0 Access Tokens. §2 and §3 are the server's side (checked
// here with jose against the published JWKS); §4 is the resource server's, i.e. @tokenmint/verify.
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JWTPayload,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createVerifier, type Verifier } from '../../../verify/src/index.js'
import { signWithTenantKey } from '../../../verify/test/support.js'
import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'

const SCOPES = ['read:assigned-policies', 'create:assigned-policies']

describe('RFC 9068: JWT access tokens', () => {
  let server: TestServer
  let api: ApiFixture
  let other: ApiFixture
  let app: ApplicationFixture
  let twoApis: ApplicationFixture

  beforeAll(async () => {
    server = await startServer()
    api = await createApi(server)
    other = await createApi(server, { scopes: ['read:evidence'] })
    app = await createApplication(server, { grants: [{ audience: api.audience, scopes: SCOPES }] })
    twoApis = await createApplication(server, {
      grants: [
        { audience: api.audience, scopes: SCOPES },
        { audience: other.audience, scopes: ['read:evidence'] },
      ],
    })
  })
  afterAll(() => server.stop())

  const mint = async (parameters: Record<string, string> = {}, who = app) => {
    const { status, body } = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials', ...parameters },
      { authorization: basic(who.clientId, who.clientSecret) },
    )
    expect(status).toBe(200)
    return { token: body['access_token'] as string, body }
  }
  const jwksUri = () => `${server.issuer}/.well-known/jwks.json`

  describe('§2 and §3: what the server issues', () => {
    it('§2.1: the header typ "MUST" be at+jwt, with a signing alg that is not "none" and a kid of the JWKS', async () => {
      const { token } = await mint()
      const header = decodeProtectedHeader(token)
      expect(header.typ).toBe('at+jwt')
      expect(header.alg).toEqual(expect.any(String))
      expect(header.alg).not.toBe('none')
      const jwks = (await (await fetch(jwksUri())).json()) as {
        keys: { kid: string; alg: string }[]
      }
      const key = jwks.keys.find((k) => k.kid === header.kid)
      expect(key?.alg).toBe(header.alg)
    })

    it('§2.2: iss, exp, aud, sub, client_id, iat and jti are REQUIRED', async () => {
      const { token, body } = await mint()
      const claims = decodeJwt(token)
      expect(claims).toEqual(
        expect.objectContaining({
          iss: server.issuer,
          exp: expect.any(Number),
          aud: api.audience,
          sub: expect.any(String),
          client_id: app.clientId,
          iat: expect.any(Number),
          jti: expect.any(String),
        }),
      )
      expect(claims.exp! - claims.iat!).toBe(body['expires_in'])
      expect(decodeJwt((await mint()).token).jti).not.toBe(claims.jti)
    })

    it('§2.2: for the client credentials grant, sub is the client itself (sub = client_id)', async () => {
      const claims = decodeJwt((await mint()).token)
      expect(claims.sub).toBe(app.clientId)
      expect(claims.sub).toBe(claims['client_id'])
    })

    it('§2.2.3: the scope claim is the granted scopes as one space-delimited string, as asked or by default', async () => {
      expect(decodeJwt((await mint()).token)['scope']).toBe(SCOPES.join(' '))
      const asked = await mint({ scope: 'create:assigned-policies' })
      expect(decodeJwt(asked.token)['scope']).toBe('create:assigned-policies')
      expect(asked.body['scope']).toBe('create:assigned-policies')
    })

    it('§3: with a resource (RFC 8707) or audience parameter, aud is that resource', async () => {
      for (const parameter of ['resource', 'audience']) {
        const { token } = await mint({ [parameter]: other.audience }, twoApis)
        expect(decodeJwt(token).aud, parameter).toBe(other.audience)
      }
    })

    it('§3: without a resource parameter, "the authorization server MUST use a default resource indicator in the aud claim"', async () => {
      expect(decodeJwt((await mint()).token).aud).toBe(api.audience)
    })

    it('§4 (from the resource server): the token validates with jose against jwks_uri, for issuer, audience and typ at+jwt', async () => {
      const { token } = await mint()
      const { payload, protectedHeader } = await jwtVerify(
        token,
        createRemoteJWKSet(new URL(jwksUri())),
        { issuer: server.issuer, audience: api.audience, typ: 'at+jwt' },
      )
      expect(protectedHeader.typ).toBe('at+jwt')
      expect(payload.client_id).toBe(app.clientId)
    })
  })

  describe('§4: what @tokenmint/verify accepts', () => {
    let verifier: Verifier
    let claims: JWTPayload

    beforeAll(async () => {
      verifier = createVerifier({ issuer: server.issuer, audience: api.audience })
      await verifier.ready
      claims = decodeJwt((await mint()).token)
    })
    afterAll(() => {
      verifier.close()
    })

    /** A real token's claims, signed with the tenant's current key: only the header differs. */
    const signWithTyp = (typ: string) =>
      signWithTenantKey(server, { typ }, { ...claims, jti: crypto.randomUUID() })

    it('§4: the resource server "MUST verify that the typ header value is at+jwt or application/at+jwt and reject tokens carrying any other value": typ JWT is refused', async () => {
      await expect(verifier.verify(await signWithTyp('JWT'))).rejects.toMatchObject({
        code: 'ERR_TOKEN_TYPE',
        bearerError: 'invalid_token',
        status: 401,
      })
    })

    it('§4: typ at+jwt and application/at+jwt are both accepted (the same key and claims as the refused JWT)', async () => {
      for (const typ of ['at+jwt', 'application/at+jwt']) {
        await expect(verifier.verify(await signWithTyp(typ)), typ).resolves.toMatchObject({
          client_id: app.clientId,
        })
      }
    })

    it('§4: the resource server "MUST reject any JWT in which the value of alg is none"', async () => {
      const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
      // Everything else right, typ included, so alg alone is wrong.
      const unsecured = `${segment({ alg: 'none', typ: 'at+jwt' })}.${segment({ ...claims, jti: crypto.randomUUID() })}.`
      await expect(verifier.verify(unsecured)).rejects.toMatchObject({
        bearerError: 'invalid_token',
      })
    })
  })
})
