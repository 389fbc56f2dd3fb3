import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'

import {
  ClientAssertionError,
  createTokenSource,
  githubActionsToken,
  privateKeyJwt,
  tokenFile,
} from '@tokenmint/client'
import { createVerifier } from '@tokenmint/verify'
import { authenticate } from '@tokenmint/verify/node'
import { decodeJwt, exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createApi, type ApiFixture } from '../support/fixtures.js'
import { startLocalIssuers, type LocalIssuer, type LocalIssuers } from '../support/oidc-issuer.js'
import { startServer, temporaryDir, type TestServer } from '../support/server.js'

const AUDIENCE = 'tokenmint-sdk-test'

/** @tokenmint/client without a secret: platform tokens (file, GitHub Actions) and private_key_jwt. */
describe('@tokenmint/client with client assertions, against a real server', () => {
  let server: TestServer
  let api: ApiFixture
  let issuers: LocalIssuers
  let cluster: LocalIssuer
  let github: LocalIssuer

  beforeAll(async () => {
    issuers = await startLocalIssuers()
    cluster = await issuers.issuer('sdk-cluster')
    github = await issuers.issuer('sdk-github')
    server = await startServer({
      env: { TOKENMINT_OUTBOUND_CA_FILE: issuers.caFile, TOKENMINT_OUTBOUND_ALLOW: '127.0.0.1' },
    })
    api = await createApi(server)
  })
  afterAll(async () => {
    await server.stop()
    await issuers.close()
  })

  async function create(body: Record<string, unknown>): Promise<string> {
    const response = await server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/applications`,
      {
        name: `sdk-${Math.random().toString(36).slice(2, 8)}`,
        grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
        ...body,
      },
    )
    const created = (await response.json()) as { client_id: string }
    expect(response.status, JSON.stringify(created)).toBe(201)
    return created.client_id
  }

  it('reads a Kubernetes projected token from its file on every request, following its rotation', async () => {
    const clientId = await create({
      trust_policies: [
        { issuer: cluster.url, audience: AUDIENCE, subject: 'system:serviceaccount:ci:deployer' },
      ],
    })
    const file = path.join(temporaryDir(), 'token')
    fs.writeFileSync(
      file,
      `${await cluster.kubernetes({ namespace: 'ci', serviceAccount: 'deployer', audience: AUDIENCE })}\n`,
    )
    let clock = Date.now()
    const source = createTokenSource({
      issuer: server.issuer,
      clientId,
      clientAssertion: tokenFile(file),
      audience: api.audience,
      now: () => clock,
    })
    const first = await source.getToken()
    expect(decodeJwt(first.accessToken)).toMatchObject({ client_id: clientId, aud: api.audience })
    // The kubelet rotates the file; once the access token is due, the new one is read.
    fs.writeFileSync(
      file,
      await cluster.kubernetes({ namespace: 'ci', serviceAccount: 'deployer', audience: AUDIENCE }),
    )
    clock += 3_600_000
    const second = await source.getToken()
    expect(second.accessToken).not.toBe(first.accessToken)
    // A missing file is a clear error, before any request.
    const missing = createTokenSource({
      tokenUrl: server.tokenEndpoint,
      clientId,
      clientAssertion: tokenFile(path.join(temporaryDir(), 'absent')),
    })
    await expect(missing.getToken()).rejects.toThrow(ClientAssertionError)
    await expect(missing.getToken()).rejects.toThrow(/cannot read the platform token .* ENOENT/)
  })

  it("asks GitHub Actions' token service for a token with the policy's audience", async () => {
    const clientId = await create({
      trust_policies: [
        { issuer: github.url, audience: AUDIENCE, subject: 'repo:acme/deploy:ref:refs/heads/main' },
      ],
    })
    // A stand-in for ACTIONS_ID_TOKEN_REQUEST_URL: checks the job's bearer and the audience.
    const asked: string[] = []
    const service = http.createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1')
      asked.push(url.searchParams.get('audience') ?? '')
      if (request.headers.authorization !== 'Bearer job-request-token') {
        response.writeHead(401).end()
        return
      }
      void github
        .github({ repository: 'acme/deploy', audience: url.searchParams.get('audience') ?? '' })
        .then((value) =>
          response
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ value })),
        )
    })
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve))
    try {
      const port = (service.address() as AddressInfo).port
      const env = {
        ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'job-request-token',
      }
      const source = createTokenSource({
        tokenUrl: server.tokenEndpoint,
        clientId,
        clientAssertion: githubActionsToken({ audience: AUDIENCE, env }),
        audience: api.audience,
      })
      expect(decodeJwt((await source.getToken()).accessToken).client_id).toBe(clientId)
      expect(asked).toEqual([AUDIENCE])
      const withoutPermission = createTokenSource({
        tokenUrl: server.tokenEndpoint,
        clientId,
        clientAssertion: githubActionsToken({ audience: AUDIENCE, env: {} }),
      })
      await expect(withoutPermission.getToken()).rejects.toThrow(/id-token: write/)
    } finally {
      service.close()
    }
  })

  it('signs a fresh private_key_jwt assertion per request, with a JWK or a CryptoKey', async () => {
    for (const alg of ['ES256', 'RS256', 'EdDSA'] as const) {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
      const kid = `sdk-${alg}`
      const clientId = await create({
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid }] },
      })
      let clock = Date.now()
      for (const key of [await exportJWK(privateKey), privateKey]) {
        const source = createTokenSource({
          issuer: server.issuer,
          clientId,
          clientAssertion: privateKeyJwt({ privateKey: key, kid }),
          audience: api.audience,
          now: () => clock,
        })
        const first = await source.getToken()
        expect(decodeJwt(first.accessToken).client_id, alg).toBe(clientId)
        // The next request signs a new assertion: the server accepts each jti once.
        clock += 3_600_000
        const second = await source.getToken()
        expect(second.accessToken, alg).not.toBe(first.accessToken)
      }
    }
  })

  it('binds its tokens to a DPoP key and proves it on every call through authFetch', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const clientId = await create({
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k' }] },
    })
    // An API protected by @tokenmint/verify, which requires the proof for a bound token.
    const verifier = createVerifier({ issuer: server.issuer, audience: api.audience })
    const resource = http.createServer((request, response) => {
      void authenticate(verifier, request, response).then((claims) => {
        if (claims !== undefined)
          response.writeHead(200).end(JSON.stringify({ cnf: claims['cnf'] }))
      })
    })
    await new Promise<void>((resolve) => resource.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(resource.address() as AddressInfo).port}/v1/things?page=2`
      const source = createTokenSource({
        issuer: server.issuer,
        clientId,
        clientAssertion: privateKeyJwt({ privateKey, kid: 'k' }),
        audience: api.audience,
        dpop: true,
      })
      const token = await source.getToken()
      expect(token.tokenType).toBe('DPoP')
      const jkt = (decodeJwt(token.accessToken)['cnf'] as { jkt: string }).jkt
      // Two calls, two proofs: neither is refused as a replay.
      for (let i = 0; i < 2; i++) {
        const response = await source.authFetch(url, {
          method: i === 0 ? 'GET' : 'POST',
          body: i === 0 ? undefined : 'x',
        })
        expect(response.status, await response.clone().text()).toBe(200)
        expect(await response.json()).toEqual({ cnf: { jkt } })
      }
      // The same token without its key's proof is refused.
      const stolen = await fetch(url, { headers: { authorization: `Bearer ${token.accessToken}` } })
      expect(stolen.status).toBe(401)
    } finally {
      verifier.close()
      resource.close()
    }
  })
})
