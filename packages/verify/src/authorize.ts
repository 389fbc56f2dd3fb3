import { TokenVerificationError } from './errors.js'
import { requireScopes, type AccessTokenClaims, type Verifier } from './verifier.js'

/** Scopes a route needs: every one of `all`, and at least one of `any`. */
export interface ScopeRequirement {
  all?: string[]
  any?: string[]
}

/** What every adapter does: verify the Bearer header, then the scopes. */
export async function authorize(
  verifier: Verifier,
  authorization: string | undefined,
  scopes: ScopeRequirement = {},
): Promise<AccessTokenClaims> {
  const claims = await verifier.verifyAuthorization(authorization)
  if (scopes.all !== undefined && scopes.all.length > 0)
    requireScopes(claims, scopes.all, { realm: verifier.realm })
  if (scopes.any !== undefined && scopes.any.length > 0)
    requireScopes(claims, scopes.any, { any: true, realm: verifier.realm })
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
