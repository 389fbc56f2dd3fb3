import { TokenVerificationError } from './errors.js'
import type { RequestCredentials } from './request-credentials.js'
import { enforceScopes, type AccessTokenClaims, type Verifier } from './verifier.js'

/** Scopes a route needs: every one of `all`, and at least one of `any`. */
export interface ScopeRequirement {
  all?: string[]
  any?: string[]
}

/**
 * What every adapter does: verify the request's token (Bearer, or DPoP with its proof), then
 * the scopes. A bare header string is checked as Bearer only.
 */
export async function authorize(
  verifier: Verifier,
  request: RequestCredentials | string | undefined,
  scopes: ScopeRequirement = {},
): Promise<AccessTokenClaims> {
  const claims =
    typeof request === 'object'
      ? await verifier.verifyRequest(request)
      : await verifier.verifyAuthorization(request)
  enforceScopes(claims, scopes, verifier.realm)
  return claims
}

/** The status, headers and JSON body of a refusal; anything unexpected is a 500 without detail. */
export function refusal(error: unknown): {
  status: number
  headers: Record<string, string>
  body: Record<string, string>
} {
  if (error instanceof TokenVerificationError) {
    return {
      status: error.status,
      headers: { 'www-authenticate': error.wwwAuthenticate, 'cache-control': 'no-store' },
      body: error.toJSON(),
    }
  }
  return {
    status: 500,
    headers: {},
    body: { error: 'server_error', error_description: 'token verification failed unexpectedly' },
  }
}
