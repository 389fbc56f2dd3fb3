import type { FastifyRequest } from 'fastify'
import { decodeJwt } from 'jose'

import type { Services } from '../../compose.js'
import { ADMIN_AUDIENCE, scopesForRole, type AdminScope } from '../../domain/admin-api.js'
import type { Authority } from '../../domain/authority.js'
import { OwnTokenError, type VerifiedOwnToken } from '../../oauth/own-token-verifier.js'
import { BearerTokenError } from '../errors.js'
import { requireSameSiteChange, sessionCookieValue } from '../console/session-cookie.js'
import { hasRepeatedHeader } from '../repeated-input.js'

/**
 * The target of a route that manages tenants: only the root tenant's callers may use it. A
 * symbol, not a tenant id, so that no path (`/admin/v1/tenants/root/...`) and no tenant named
 * `root` can pass for it.
 */
export const ROOT_ROUTE: unique symbol = Symbol('a route of the root tenant')

/** An authenticated admin API caller: its tenant and its authority (domain/authority). */
export interface AdminCaller extends Authority {
  tenantId: string
}

function bearerToken(header: string): string {
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

async function isRootTenant(services: Services, tenantId: string): Promise<boolean> {
  return (await services.keyring.get(tenantId))?.tenant.isRoot === true
}

async function tokenCaller(
  services: Services,
  token: string,
  tenantId: string | typeof ROOT_ROUTE,
): Promise<AdminCaller> {
  const issuingTenant = tenantId === ROOT_ROUTE ? tenantOfIssuer(services, token) : tenantId
  let verified: VerifiedOwnToken
  try {
    verified = await services.ownTokens.verify(token, issuingTenant, ADMIN_AUDIENCE)
  } catch (error) {
    if (error instanceof OwnTokenError) throw new BearerTokenError('invalid_token', error.message)
    throw error
  }
  if (tenantId === ROOT_ROUTE && !(await isRootTenant(services, issuingTenant))) {
    throw new BearerTokenError('insufficient_scope', 'only the root tenant may manage tenants')
  }
  return {
    actor: `client:${verified.clientId}`,
    tenantId: verified.tenantId,
    scopes: verified.scopes,
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** A console session in place of a token; changes must come from the console's own pages. */
async function sessionCaller(
  services: Services,
  request: FastifyRequest,
  sessionId: string,
  tenantId: string | typeof ROOT_ROUTE,
): Promise<AdminCaller> {
  const active = await services.consoleSessions.resolve(sessionId)
  if (active === undefined) {
    throw new BearerTokenError('invalid_token', 'your console session has ended; sign in again')
  }
  if (!SAFE_METHODS.has(request.method))
    requireSameSiteChange(services.config, services.consoleSessions, request, sessionId)
  const sessionTenant = active.administrator.tenantId
  const isRoot = await isRootTenant(services, sessionTenant)
  if (tenantId === ROOT_ROUTE ? !isRoot : tenantId !== sessionTenant) {
    // Another tenant's data does not exist as far as this administrator can tell.
    throw new BearerTokenError(
      'insufficient_scope',
      'this console session belongs to another tenant',
    )
  }
  return {
    actor: `admin:${active.administrator.username}`,
    tenantId: sessionTenant,
    scopes: scopesForRole(active.administrator.role, isRoot),
    role: active.administrator.role,
  }
}

/**
 * Authenticates an admin API call: a Bearer token (the CLI, scripts) or a console session
 * cookie. `tenantId` is the tenant named in the path; `ROOT_ROUTE` means the route manages
 * tenants and only the root tenant's callers may use it. A caller of one tenant can never act
 * on another.
 */
export async function authenticateAdmin(
  services: Services,
  request: FastifyRequest,
  tenantId: string | typeof ROOT_ROUTE,
  needed: AdminScope | readonly AdminScope[],
): Promise<AdminCaller> {
  if (hasRepeatedHeader(request, 'authorization'))
    throw new BearerTokenError(
      'invalid_request',
      'the Authorization header is repeated; send it once',
    )
  const header = request.headers.authorization
  const sessionId = sessionCookieValue(services.config, request)
  let caller: AdminCaller
  if (header !== undefined && header !== '') {
    caller = await tokenCaller(services, bearerToken(header), tenantId)
  } else if (sessionId !== undefined) {
    caller = await sessionCaller(services, request, sessionId, tenantId)
  } else {
    throw new BearerTokenError(
      'missing_token',
      'this API needs an access token: send Authorization: Bearer <token>',
    )
  }
  const scopes: readonly AdminScope[] = typeof needed === 'string' ? [needed] : needed
  const missing = scopes.filter((s) => !caller.scopes.has(s))
  if (missing.length > 0) {
    throw new BearerTokenError(
      'insufficient_scope',
      `this operation needs the scope${missing.length > 1 ? 's' : ''} ${missing.join(' ')}`,
      scopes.join(' '),
    )
  }
  return caller
}
