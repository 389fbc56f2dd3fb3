import http from 'node:http'
import type { AddressInfo } from 'node:net'

import { exportJWK, generateKeyPair, SignJWT } from 'jose'

/** A POST the fake server received at its scope-usage endpoint. */
export interface ReceivedReport {
  path: string
  authorization: string | undefined
  contentType: string | undefined
  body: unknown
}

export interface FakeAuthorizationServer {
  issuer: string
  /** Every scope-use POST so far, oldest first. */
  reports: ReceivedReport[]
  /** The statuses to answer the next scope-use POSTs with, in order; then 204. */
  answers: number[]
  /** Signs an access token for `audience` with the server's key (RFC 9068 claims). */
  mint(claims: {
    audience: string
    clientId: string
    scope: string
    expiresInSeconds?: number
  }): Promise<string>
  stop(): Promise<void>
}

/**
 * A stand-in authorization server on 127.0.0.1:0, just enough for a verifier: RFC 8414 metadata,
 * a JWKS, a revocation feed that says `ready` and stays open, and a scope-usage endpoint that
 * records what it is sent. `scopeUsagePath`: the endpoint the metadata names, or none (the
 * verifier then falls back to `{issuer}/oauth/scope-usage`, which is served too).
 */
export async function startFakeAuthorizationServer(
  options: { scopeUsagePath?: string } = {},
): Promise<FakeAuthorizationServer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
  const reports: ReceivedReport[] = []
  const answers: number[] = []
  let origin = ''
  const tenantPath = '/t/acme'

  const server = http.createServer((request, response) => {
    const path = request.url ?? '/'
    const issuer = `${origin}${tenantPath}`
    if (path === `/.well-known/oauth-authorization-server${tenantPath}`) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          issuer,
          jwks_uri: `${origin}/jwks`,
          revocation_feed_endpoint: `${issuer}/oauth/revocations`,
          access_token_signing_alg_values_supported: ['ES256'],
          ...(options.scopeUsagePath !== undefined && {
            scope_usage_endpoint: `${origin}${options.scopeUsagePath}`,
          }),
        }),
      )
    } else if (path === '/jwks') {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ keys: [jwk] }))
    } else if (path === `${tenantPath}/oauth/revocations`) {
      response.writeHead(200, { 'content-type': 'text/event-stream' })
      response.write('event: ready\ndata: {}\n\n')
    } else if (
      request.method === 'POST' &&
      (path === options.scopeUsagePath || path === `${tenantPath}/oauth/scope-usage`)
    ) {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        reports.push({
          path,
          authorization: request.headers.authorization,
          contentType: request.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        })
        const status = answers.shift() ?? 204
        if (status === 204) response.writeHead(204).end()
        else
          response
            .writeHead(status, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: 'server_error' }))
      })
    } else {
      response.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const issuer = `${origin}${tenantPath}`

  return {
    issuer,
    reports,
    answers,
    mint: ({ audience, clientId, scope, expiresInSeconds = 300 }) =>
      new SignJWT({ client_id: clientId, scope })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
        .setIssuer(issuer)
        .setSubject(clientId)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
        .setJti(crypto.randomUUID())
        .sign(privateKey),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}
