// RFC 7009: Token Revocation. An application revokes its own access tokens (by jti, through the
// revocation feed) and refresh tokens (their whole family).
import type { RefreshTokenStore, SecretUsage } from '../storage/contract.js'
import {
  authenticateClient,
  recordSecretUse,
  type Caller,
  type ClientAuthenticationDeps,
} from './client-authentication.js'
import { OAuthError } from './errors.js'
import { hashRefreshToken, REFRESH_TOKEN_PREFIX } from './grants/refresh-tokens.js'
import type { OwnTokenVerifier } from './own-token-verifier.js'
import type { Revocations } from './revocation-feed.js'
import { parseClientCredentials, type RequestParameters } from './token-request.js'

export interface TokenRevocationDeps extends ClientAuthenticationDeps {
  tokens: Pick<OwnTokenVerifier, 'claims'>
  revocations: Pick<Revocations, 'revokeAccessToken'>
  refreshTokens: Pick<RefreshTokenStore, 'findByHash' | 'revokeFamily'>
  usage: Pick<SecretUsage, 'record'>
}

/**
 * RFC 7009: an application revokes one of its own access tokens by `jti`. Unknown, expired or
 * malformed tokens answer 200 as the RFC says; another application's token is refused.
 */
export async function revokeToken(
  deps: TokenRevocationDeps,
  tenantId: string,
  parameters: RequestParameters,
  caller: Caller,
): Promise<void> {
  const client = await authenticateClient(
    parseClientCredentials(parameters, caller.authorization),
    deps,
    tenantId,
  )
  recordSecretUse(deps.usage, client, caller.ip, deps.now())
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
  await deps.revocations.revokeAccessToken(
    tenantId,
    client.application.clientId,
    claims.jti,
    claims.exp,
  )
}
