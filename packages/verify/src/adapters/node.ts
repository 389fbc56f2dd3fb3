import type { IncomingMessage, ServerResponse } from 'node:http'

import { authorize, refusal, type ScopeRequirement } from '../authorize.js'
import type { AccessTokenClaims, Verifier } from '../verifier.js'

/**
 * For plain `node:http`: resolves to the claims, or answers the request per RFC 6750 and
 * resolves to `undefined`.
 *
 * @example
 * ```ts
 * http.createServer(async (req, res) => {
 *   const claims = await authenticate(verifier, req, res, { all: ['read:assigned-policies'] })
 *   if (!claims) return
 *   res.end(JSON.stringify({ hello: claims.sub }))
 * })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export async function authenticate(
  verifier: Verifier,
  request: IncomingMessage,
  response: ServerResponse,
  scopes?: ScopeRequirement,
): Promise<AccessTokenClaims | undefined> {
  try {
    const tls = (request.socket as { encrypted?: boolean }).encrypted === true
    return await authorize(
      verifier,
      {
        authorization: request.headers.authorization,
        dpop: request.headers.dpop,
        method: request.method ?? 'GET',
        url: `${tls ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`,
      },
      scopes,
    )
  } catch (error) {
    const { status, headers, body } = refusal(error)
    response
      .writeHead(status, { ...headers, 'content-type': 'application/json' })
      .end(JSON.stringify(body))
    return undefined
  }
}
