import type { FastifyReply, FastifyRequest } from 'fastify'

import { authorize, refusal, type ScopeRequirement } from '../authorize.js'
import type { AccessTokenClaims, Verifier } from '../verifier.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token's claims, set by `requireToken`. */
    auth?: AccessTokenClaims
  }
}

/**
 * A Fastify `preHandler`: verifies the Bearer token (and scopes), sets `request.auth`, or
 * answers per RFC 6750.
 *
 * @example
 * ```ts
 * app.get('/v1/assigned-policies', { preHandler: requireToken(verifier, { all: ['read:assigned-policies'] }) },
 *   (request) => ({ client: request.auth?.client_id }))
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function requireToken(verifier: Verifier, scopes?: ScopeRequirement) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      request.auth = await authorize(
        verifier,
        {
          authorization: request.headers.authorization,
          dpop: request.headers.dpop,
          method: request.method,
          url: `${request.protocol}://${request.host}${request.url}`,
        },
        scopes,
      )
    } catch (error) {
      const { status, headers, body } = refusal(error)
      await reply.code(status).headers(headers).send(body)
    }
  }
}
