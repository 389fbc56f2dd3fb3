// RFC 7662: Token Introspection. Only applications allowed to introspect (a resource server's
// own credentials) may call it; every token that is not active answers just {"active":false}.
import { effectiveStatus } from '../domain/model.js'
import type { RefreshTokenStore, RevocationStore } from '../storage/contract.js'
import { hashRefreshToken, REFRESH_TOKEN_PREFIX } from './grants/refresh-tokens.js'
import {
  authenticateClient,
  type AuthenticatedClient,
  type ClientAuthenticationDeps,
} from './client-authentication.js'
import { tokenRevocationExpiresAt } from '../domain/token-policy.js'
import { OAuthError } from './errors.js'
import type { OwnTokenVerifier } from './own-token-verifier.js'
import { parseClientCredentials, type RequestParameters } from './token-request.js'

export interface ProtectedEndpointDeps extends ClientAuthenticationDeps {
  tokens: Pick<OwnTokenVerifier, 'claims'>
  revocations: Pick<RevocationStore, 'isRevoked' | 'append'>
  refreshTokens: Pick<RefreshTokenStore, 'findByHash' | 'revokeFamily'>
}

/** Authenticates a resource server's application; others get 403 unauthorized_client. */
export async function authenticateResourceServer(
  deps: ClientAuthenticationDeps,
  tenantId: string,
  parameters: RequestParameters,
  authorization: string | undefined,
): Promise<AuthenticatedClient> {
  const client = await authenticateClient(
    parseClientCredentials(parameters, authorization),
    deps,
    tenantId,
  )
  if (!client.application.canIntrospect) {
    throw new OAuthError(
      'unauthorized_client',
      'this application may not introspect tokens or read revocations; create it with --introspect',
      { status: 403 },
    )
  }
  return client
}

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true
      client_id: string
      scope: string
      sub: string
      aud: string | string[]
      iss: string
      exp: number
      iat: number
      nbf?: number
      jti: string
      token_type: 'Bearer'
      username?: string
    }

export async function introspect(
  deps: ProtectedEndpointDeps,
  tenantId: string,
  parameters: RequestParameters,
  authorization: string | undefined,
): Promise<IntrospectionResponse> {
  await authenticateResourceServer(deps, tenantId, parameters, authorization)
  const token = parameters['token']
  if (token === undefined) throw new OAuthError('invalid_request', 'token is missing')
  let claims
  try {
    claims = await deps.tokens.claims(token, tenantId)
  } catch {
    return { active: false }
  }
  const clientId = claims['client_id']
  if (
    typeof clientId !== 'string' ||
    typeof claims.jti !== 'string' ||
    claims.sub === undefined ||
    claims.aud === undefined
  ) {
    return { active: false }
  }
  const record = await deps.clients.findClient(clientId)
  if (record === undefined || effectiveStatus(record.application, deps.now()) !== 'active')
    return { active: false }
  if (await deps.revocations.isRevoked(tenantId, clientId, claims.jti)) return { active: false }
  const username = claims['username']
  return {
    active: true,
    client_id: clientId,
    scope: typeof claims['scope'] === 'string' ? claims['scope'] : '',
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss ?? '',
    exp: claims.exp ?? 0,
    iat: claims.iat ?? 0,
    ...(claims.nbf !== undefined && { nbf: claims.nbf }),
    jti: claims.jti,
    token_type: 'Bearer',
    ...(typeof username === 'string' && { username }),
  }
}

/**
 * RFC 7009: an application revokes one of its own access tokens by `jti`. Unknown, expired or
 * malformed tokens answer 200 as the RFC says; another application's token is refused.
 */
export async function revokeToken(
  deps: ProtectedEndpointDeps & {
    recordRevoked: (clientId: string, jti: string, tenantId: string) => void
  },
  tenantId: string,
  parameters: RequestParameters,
  authorization: string | undefined,
): Promise<void> {
  const client = await authenticateClient(
    parseClientCredentials(parameters, authorization),
    deps,
    tenantId,
  )
  const token = parameters['token']
  if (token === undefined) throw new OAuthError('invalid_request', 'token is missing')
  if (token.startsWith(REFRESH_TOKEN_PREFIX)) {
    // A refresh token ends its whole family (RFC 7009 §2.1 allows it; RFC 9700 suggests it).
    const record = await deps.refreshTokens.findByHash(hashRefreshToken(deps.hasher, token))
    if (record === undefined || record.tenantId !== tenantId) return
    if (record.clientId !== client.application.clientId) {
      throw new OAuthError(
        'unauthorized_client',
        'an application may revoke only tokens issued to it',
      )
    }
    await deps.refreshTokens.revokeFamily(record.familyId, deps.now())
    return
  }
  let claims
  try {
    claims = await deps.tokens.claims(token, tenantId)
  } catch {
    return
  }
  if (claims['client_id'] !== client.application.clientId) {
    throw new OAuthError(
      'unauthorized_client',
      'an application may revoke only tokens issued to it',
    )
  }
  if (typeof claims.jti !== 'string' || claims.exp === undefined) return
  if (await deps.revocations.isRevoked(tenantId, client.application.clientId, claims.jti)) return
  await deps.revocations.append({
    tenantId,
    type: 'token',
    clientId: client.application.clientId,
    jti: claims.jti,
    revokedAt: deps.now(),
    expiresAt: tokenRevocationExpiresAt(claims.exp),
  })
  deps.recordRevoked(client.application.clientId, claims.jti, tenantId)
}
