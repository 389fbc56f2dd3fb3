import { randomUUID } from 'node:crypto'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import path from 'node:path'

import { CompactSign, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'

import { makeTestCertificate } from './certificate.js'
import { temporaryDir } from './server.js'

/**
 * Local stand-ins for the platforms whose workloads federate: OIDC issuers on 127.0.0.1 over
 * HTTPS (a test CA Tokenmint is told to trust), each at its own path with its own RS256 key,
 * publishing discovery and a JWKS, and minting tokens shaped like GitHub Actions' and
 * Kubernetes' projected service-account tokens. No test reaches the internet.
 */
export interface LocalIssuer {
  /** The issuer URL, exactly as its tokens' `iss` says. */
  readonly url: string
  /** Signs `claims` (iss, iat and a one-hour exp are added unless given). */
  mint(
    claims: Record<string, unknown>,
    options?: { kid?: string; key?: CryptoKey },
  ): Promise<string>
  /** Signs a payload given as JSON text, as is (to test what JSON.stringify cannot make). */
  mintRaw(payloadJson: string): Promise<string>
  /** GitHub Actions' shape: sub `repo:OWNER/REPO:ref:REF` (or `:environment:ENV`). */
  github(options: {
    repository: string
    ref?: string
    environment?: string
    audience: string
    exp?: number
  }): Promise<string>
  /** Kubernetes' projected service-account token shape. */
  kubernetes(options: {
    namespace: string
    serviceAccount: string
    audience: string
    exp?: number
  }): Promise<string>
}

export interface LocalIssuers {
  /** The PEM file of the test CA (TOKENMINT_OUTBOUND_CA_FILE). */
  readonly caFile: string
  /** How many discovery and JWKS requests each issuer path answered. */
  readonly fetches: Map<string, number>
  issuer(name: string): Promise<LocalIssuer>
  close(): Promise<void>
}

interface Published {
  privateKey: CryptoKey
  jwk: JWK
}

export async function startLocalIssuers(): Promise<LocalIssuers> {
  const dir = temporaryDir('tokenmint-issuer-')
  const { cert, key } = makeTestCertificate(dir, 'localhost', 'IP:127.0.0.1')
  const published = new Map<string, Published>()
  const fetches = new Map<string, number>()
  let origin = ''
  const server = https.createServer({ cert, key }, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://127.0.0.1')
    const [, name, ...rest] = url.pathname.split('/')
    const entry = published.get(name ?? '')
    if (entry === undefined) {
      response.writeHead(404).end()
      return
    }
    fetches.set(name ?? '', (fetches.get(name ?? '') ?? 0) + 1)
    const json = (body: unknown) =>
      response
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' })
        .end(JSON.stringify(body))
    const tail = rest.join('/')
    if (tail === '.well-known/openid-configuration')
      json({ issuer: `${origin}/${name}`, jwks_uri: `${origin}/${name}/jwks` })
    else if (tail === 'jwks') json({ keys: [entry.jwk] })
    else response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`

  async function issuer(name: string): Promise<LocalIssuer> {
    const pair = await generateKeyPair('RS256', { extractable: true })
    const kid = `${name}-${randomUUID().slice(0, 8)}`
    const entry = {
      privateKey: pair.privateKey,
      jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' },
    }
    published.set(name, entry)
    const url = `${origin}/${name}`
    const mint: LocalIssuer['mint'] = (claims, options = {}) => {
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({ iss: url, iat: now, nbf: now - 5, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? kid, typ: 'JWT' })
        .sign(options.key ?? entry.privateKey)
    }
    return {
      url,
      mint,
      mintRaw: (payloadJson) =>
        new CompactSign(new TextEncoder().encode(payloadJson))
          .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
          .sign(entry.privateKey),
      github: ({ repository, ref = 'refs/heads/main', environment, audience, exp }) => {
        const [owner] = repository.split('/')
        const sub =
          environment === undefined
            ? `repo:${repository}:ref:${ref}`
            : `repo:${repository}:environment:${environment}`
        return mint({
          sub,
          aud: audience,
          jti: randomUUID(),
          ref,
          repository,
          repository_owner: owner,
          repository_id: '123456',
          repository_owner_id: '654321',
          workflow: 'deploy',
          event_name: 'push',
          ref_type: 'branch',
          run_id: '1',
          actor: 'octocat',
          ...(environment !== undefined && { environment }),
          ...(exp !== undefined && { exp }),
        })
      },
      kubernetes: ({ namespace, serviceAccount, audience, exp }) =>
        mint({
          sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
          aud: [audience],
          'kubernetes.io': {
            namespace,
            pod: { name: `${serviceAccount}-7d9f`, uid: randomUUID() },
            serviceaccount: { name: serviceAccount, uid: randomUUID() },
          },
          ...(exp !== undefined && { exp }),
        }),
    }
  }

  return {
    caFile: path.join(dir, 'cert.pem'),
    fetches,
    issuer,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
