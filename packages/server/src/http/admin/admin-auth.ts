import type { FastifyRequest } from 'fastify'
import { decodeJwt } from 'jose'

import type { Services } from '../../compose.js'
import { ADMIN_AUDIENCE, scopesForRole, type AdminScope } from '../../domain/admin-api.js'
import type { Authority } from '../../domain/authority.js'
import { ForbiddenError } from '../../domain/errors.js'
import { OwnTokenError, type VerifiedOwnToken } from '../../oauth/own-token-verifier.js'
import { checkDpopProof, DpopProofError, singleDpopHeader } from '@tokenmint/verify'

import { BearerTokenError } from '../errors.js'
import { requireSameSiteChange, sessionCookieValue } from '../console/session-cookie.js'
import { hasRepeatedHeader } from '../repeated-input.js'

/**
 * The target of a route that manages tenants: only the root tenant's callers may use it. A
 * symbol, not a tenant id, so that no path (`/admin/v1/tenants/root/...`) and no tenant named
 * `root` can pass for it.
 */
export const ROOT_ROUTE: unique symbol = Symbol('a route of the root tenant')

/** One scope, every scope of a list, or any one of `anyOf`. */
export type NeededScopes = AdminScope | readonly AdminScope[] | { anyOf: readonly AdminScope[] }

/** An authenticated admin API caller: its tenant and its authority (domain/authority). */
export interface AdminCaller extends Authority {
  tenantId: string
}

/** `Bearer <token>`, or `DPoP <token>` for a DPoP-bound token (RFC 9449 §7.1). */
function presentedToken(header: string): { scheme: 'Bearer' | 'DPoP'; token: string } {
  const match = /^(Bearer|DPoP) +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header)
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new BearerTokenError(
      'invalid_request',
      'the Authorization header must be "Bearer <access token>" (or "DPoP <access token>" with a DPoP proof)',
    )
  }
  return { scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] }
}

/**
 * A DPoP-bound token is good only with a proof of its key for this very request (the rules of
 * @tokenmint/verify), each proof once on every node; sent as Bearer it is refused, else a
 * stolen admin token would work without its key. A token that is not bound is Bearer only.
 */
async function checkBinding(
  services: Services,
  request: FastifyRequest,
  presented: { scheme: 'Bearer' | 'DPoP'; token: string },
  verified: VerifiedOwnToken,
): Promise<void> {
  const dpop = (
    message: string,
    code: 'invalid_token' | 'invalid_dpop_proof' = 'invalid_dpop_proof',
  ) => new BearerTokenError(code, message, undefined, 'DPoP')
  if (presented.scheme === 'Bearer') {
    if (verified.boundTo !== undefined)
      throw dpop(
        'this token is bound to a DPoP key: send it as "Authorization: DPoP <token>" with a DPoP proof',
        'invalid_token',
      )
    return
  }
  if (verified.boundTo === undefined)
    throw dpop(
      'this token is not DPoP-bound: send it as "Authorization: Bearer <token>"',
      'invalid_token',
    )
  const now = services.management.now()
  try {
    const proof = singleDpopHeader(request.headers.dpop)
    if (proof === undefined)
      throw new DpopProofError('a DPoP token needs a DPoP proof in the DPoP header')
    const checked = await checkDpopProof(proof, {
      method: request.method,
      url: `${services.config.publicUrl}${request.url}`,
      nowSeconds: Math.floor(now.getTime() / 1000),
      accessToken: presented.token,
    })
    if (checked.jkt !== verified.boundTo)
      throw new DpopProofError('the DPoP proof is signed by another key than the token is bound to')
    const firstUse = await services.storage.applications.claimAssertion(
      `dpop:${checked.jkt}`,
      checked.jti,
      new Date(checked.replayWindowEndsAt * 1000),
      now,
    )
    if (!firstUse)
      throw new DpopProofError(
        'the DPoP proof has been used before (same jti): make a new proof for each request',
      )
  } catch (error) {
    if (error instanceof DpopProofError) throw dpop(error.message)
    throw error
  }
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

/** A suspended tenant's own credentials (tokens still in their lifetime, sessions) do nothing. */
async function refuseSuspended(services: Services, tenantId: string): Promise<void> {
  if ((await services.keyring.get(tenantId))?.tenant.status === 'suspended')
    throw new ForbiddenError(
      `tenant "${tenantId}" is suspended: its administrators and applications cannot use the admin API until it is resumed`,
    )
}

async function tokenCaller(
  services: Services,
  request: FastifyRequest,
  presented: { scheme: 'Bearer' | 'DPoP'; token: string },
  tenantId: string | typeof ROOT_ROUTE,
): Promise<AdminCaller> {
  const { token } = presented
  const issuingTenant = tenantId === ROOT_ROUTE ? tenantOfIssuer(services, token) : tenantId
  let verified: VerifiedOwnToken
  try {
    verified = await services.ownTokens.verify(token, issuingTenant, ADMIN_AUDIENCE)
  } catch (error) {
    if (error instanceof OwnTokenError) throw new BearerTokenError('invalid_token', error.message)
    throw error
  }
  await checkBinding(services, request, presented, verified)
  if (tenantId === ROOT_ROUTE && !(await isRootTenant(services, issuingTenant))) {
    throw new BearerTokenError('insufficient_scope', 'only the root tenant may manage tenants')
  }
  await refuseSuspended(services, verified.tenantId)
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
  await refuseSuspended(services, sessionTenant)
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
  needed: NeededScopes,
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
    caller = await tokenCaller(services, request, presentedToken(header), tenantId)
  } else if (sessionId !== undefined) {
    caller = await sessionCaller(services, request, sessionId, tenantId)
  } else {
    throw new BearerTokenError(
      'missing_token',
      'this API needs an access token: send Authorization: Bearer <token>',
    )
  }
  if (typeof needed === 'object' && 'anyOf' in needed) {
    if (!needed.anyOf.some((s) => caller.scopes.has(s)))
      throw new BearerTokenError(
        'insufficient_scope',
        `this operation needs one of the scopes ${needed.anyOf.join(' ')}`,
        needed.anyOf.join(' '),
      )
    return caller
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
