import type { FastifyRequest } from 'fastify'
import { decodeJwt } from 'jose'

import type { Services } from '../../compose.js'
import { ADMIN_AUDIENCE, type AdminScope } from '../../domain/admin-api.js'
import { OwnTokenError, type VerifiedOwnToken } from '../../oauth/own-token-verifier.js'
import { BearerTokenError } from '../errors.js'

export interface AdminCaller extends VerifiedOwnToken {
  /** For audit records: `client:<client id>`. */
  actor: string
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization
  if (header === undefined || header === '') {
    throw new BearerTokenError(
      'missing_token',
      'this API needs an access token: send Authorization: Bearer <token>',
    )
  }
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header)
  if (match?.[1] === undefined) {
    throw new BearerTokenError(
      'invalid_request',
      'the Authorization header must be "Bearer <access token>"',
    )
  }
  return match[1]
}

function tenantOfIssuer(services: Services, token: string): string {
  let issuer: unknown
  try {
    issuer = decodeJwt(token).iss
  } catch {
    throw new BearerTokenError('invalid_token', 'the access token is malformed')
  }
  const prefix = `${services.config.publicUrl}/t/`
  if (typeof issuer !== 'string' || !issuer.startsWith(prefix)) {
    throw new BearerTokenError('invalid_token', 'the access token was not issued by this server')
  }
  return issuer.slice(prefix.length)
}

/**
 * Authenticates an admin API call. `tenantId` is the tenant named in the path; `'root'` means
 * the route manages tenants and only the root tenant's admin applications may call it.
 * A token of one tenant can never act on another: its issuer must be the path's tenant.
 */
export async function authenticateAdmin(
  services: Services,
  request: FastifyRequest,
  /** The tenant named in the path, or `'root'` for routes that manage tenants. */
  tenantId: string,
  scope: AdminScope,
): Promise<AdminCaller> {
  const token = bearerToken(request)
  const issuingTenant = tenantId === 'root' ? tenantOfIssuer(services, token) : tenantId
  let verified: VerifiedOwnToken
  try {
    verified = await services.ownTokens.verify(token, issuingTenant, ADMIN_AUDIENCE)
  } catch (error) {
    if (error instanceof OwnTokenError) throw new BearerTokenError('invalid_token', error.message)
    throw error
  }
  if (tenantId === 'root') {
    const runtime = await services.keyring.get(issuingTenant)
    if (runtime?.tenant.isRoot !== true) {
      throw new BearerTokenError(
        'insufficient_scope',
        'only the root tenant may manage tenants',
        scope,
      )
    }
  }
  if (!verified.scopes.has(scope)) {
    throw new BearerTokenError(
      'insufficient_scope',
      `this operation needs the scope ${scope}`,
      scope,
    )
  }
  return { ...verified, actor: `client:${verified.clientId}` }
}
