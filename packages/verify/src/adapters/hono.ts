import type { MiddlewareHandler } from 'hono'

import { authorize, refusal, type ScopeRequirement } from '../authorize.js'
import type { AccessTokenClaims, Verifier } from '../verifier.js'

/** Hono variables set by `requireToken`: `c.get('auth')`. */
export interface TokenmintVariables {
  auth: AccessTokenClaims
}

/**
 * Hono middleware: verifies the Bearer token (and scopes), sets `c.var.auth`, or answers per
 * RFC 6750.
 *
 * @example
 * ```ts
 * const app = new Hono<{ Variables: TokenmintVariables }>()
 * app.get('/v1/assigned-policies', requireToken(verifier, { all: ['read:assigned-policies'] }), (c) =>
 *   c.json({ client: c.get('auth').client_id }))
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function requireToken(
  verifier: Verifier,
  scopes?: ScopeRequirement,
): MiddlewareHandler<{ Variables: TokenmintVariables }> {
  return async (c, next) => {
    try {
      const credentials = {
        authorization: c.req.header('authorization'),
        dpop: c.req.header('dpop'),
        method: c.req.method,
        url: c.req.url,
      }
      c.set('auth', await authorize(verifier, credentials, scopes))
    } catch (error) {
      const { status, headers, body } = refusal(error)
      return new Response(JSON.stringify(body), {
        status,
        headers: { ...headers, 'content-type': 'application/json' },
      })
    }
    await next()
    return undefined
  }
}
