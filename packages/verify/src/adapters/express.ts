import type { NextFunction, Request, RequestHandler, Response } from 'express'

import { authorize, refusal, type ScopeRequirement } from '../authorize.js'
import type { AccessTokenClaims, Verifier } from '../verifier.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified access token's claims, set by `requireToken`. */
      auth?: AccessTokenClaims
    }
  }
}

/**
 * Express middleware: verifies the Bearer token (and scopes), sets `req.auth`, or answers
 * per RFC 6750.
 *
 * @example
 * ```ts
 * app.get('/v1/assigned-policies', requireToken(verifier, { all: ['read:assigned-policies'] }), (req, res) => {
 *   res.json({ client: req.auth?.client_id })
 * })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function requireToken(verifier: Verifier, scopes?: ScopeRequirement): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const credentials = {
      authorization: request.headers.authorization,
      dpop: request.headers.dpop,
      method: request.method,
      url: `${request.protocol}://${request.get('host') ?? 'localhost'}${request.originalUrl}`,
    }
    authorize(verifier, credentials, scopes).then(
      (claims) => {
        request.auth = claims
        next()
      },
      (error: unknown) => {
        const { status, headers, body } = refusal(error)
        response.status(status).set(headers).json(body)
      },
    )
  }
}
