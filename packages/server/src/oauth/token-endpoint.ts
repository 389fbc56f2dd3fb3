import type { SecretHasher } from '../crypto/secret-hasher.js'
import { tokenLifetimeSeconds } from '../domain/token-policy.js'
import type { AuditSink, RateLimiter } from '../storage/contract.js'
import { issueAccessToken, type IssuedAccessToken } from './access-token.js'
import {
  authenticateClient,
  type AuthenticatedClient,
  type ClientAssertionDeps,
  type ClientDirectory,
} from './client-authentication.js'
import { dpopBinding, type DpopBinding, type DpopDeps } from './dpop.js'
import { OAuthError } from './errors.js'
import type { GrantDecision, GrantHandler } from './grants/grant.js'
import { tokenIssuedEvent, tokenRefusedEvent } from './token-audit.js'
import { parseTokenRequest, type RequestParameters, type TokenRequest } from './token-request.js'
import { TokenThrottle, type TokenLimits } from './token-throttle.js'
import type { TenantKeyring } from './tenant-keyring.js'

export interface TokenEndpointDeps {
  clients: ClientDirectory
  assertions: ClientAssertionDeps
  hasher: SecretHasher
  keyring: TenantKeyring
  grants: readonly GrantHandler[]
  audit: AuditSink
  now: () => Date
  limiter: RateLimiter
  limits: TokenLimits
  dpop: DpopDeps
}

export interface TokenEndpointInput {
  /** Set on `{issuer}/oauth/token`; absent on the global endpoint, which routes by client id. */
  tenantId?: string | undefined
  parameters: RequestParameters
  authorization: string | undefined
  ip: string
  /** The `DPoP` header(s) sent, if any (RFC 9449). */
  dpop?: string | readonly string[] | undefined
  /** This endpoint's URL as clients reach it: what a DPoP proof's `htu` must name. */
  url: string
}

/** RFC 6749 §5.1 success response. */
export interface TokenResponse {
  access_token: string
  /** `DPoP` when the token is bound to the key of the request's DPoP proof (RFC 9449 §5). */
  token_type: 'Bearer' | 'DPoP'
  expires_in: number
  scope: string
  refresh_token?: string
}

/**
 * A grant type the client sent, named back to help with a typo, but only when it is short,
 * plain, and not shaped like a secret or token of ours pasted into the wrong field.
 */
function echoed(value: string): string {
  const plain = value.length <= 48 && /^[\w.:/-]+$/.test(value)
  return plain && !/^(tms_|tmr_|eyJ)/.test(value) ? `"${value}" ` : ''
}

/**
 * The token endpoint as named steps: parse → authenticate (failures throttled) → quota → allow
 * the grant → grant → issue → commit the audit record → answer. A token is returned only after
 * its audit record has been committed; every refusal after authentication is recorded too.
 */
export function createTokenEndpoint(deps: TokenEndpointDeps) {
  const grants = new Map(deps.grants.map((g) => [g.grantType as string, g]))
  const throttle = new TokenThrottle(deps.limiter, deps.limits)

  // Refusals are recorded without holding up the answer; a failure to record is logged by the sink.
  function record(event: Parameters<AuditSink['record']>[0]): void {
    deps.audit.record(event).catch(() => undefined)
  }

  /** RFC 6749 §2.3.1; failures are throttled and, for a known application, recorded. */
  function authenticate(request: TokenRequest, input: TokenEndpointInput) {
    return authenticateClient(
      request.credentials,
      {
        ...deps,
        onRefused: async (refusal, application, reason) => {
          const limited = await throttle.countFailure(input.ip, request.credentials.clientId)
          if (limited !== undefined) return limited
          if (application !== undefined) {
            const facts = { grantType: request.grantType, ip: input.ip }
            record(tokenRefusedEvent({ application }, refusal, reason, facts, deps.now()))
          }
          return refusal
        },
      },
      input.tenantId,
    )
  }

  /** RFC 6749 §5.2 unsupported_grant_type; whether the application may use it is the grant's. */
  function grantFor(request: TokenRequest): GrantHandler {
    const grant = grants.get(request.grantType)
    if (grant === undefined) {
      throw new OAuthError(
        'unsupported_grant_type',
        `grant_type ${echoed(request.grantType)}is not supported; use one of: ${[...grants.keys()].join(', ')}`,
      )
    }
    return grant
  }

  /** RFC 9068: signed with the tenant's current key, for the decided audience and scopes. */
  async function issue(
    client: AuthenticatedClient,
    decision: GrantDecision,
    now: Date,
    binding: DpopBinding | undefined,
  ): Promise<IssuedAccessToken> {
    const runtime = await deps.keyring.get(client.application.tenantId)
    if (runtime === undefined)
      throw new OAuthError('invalid_client', "this application's tenant no longer exists")
    if (runtime.tenant.status !== 'active')
      throw new OAuthError(
        'invalid_client',
        runtime.tenant.status === 'suspended'
          ? "this application's tenant is suspended"
          : "this application's tenant no longer exists",
      )
    return issueAccessToken({
      runtime,
      subject: decision.subject,
      clientId: client.application.clientId,
      audience: decision.audience,
      scopes: decision.scopes,
      lifetimeSeconds: tokenLifetimeSeconds(client.application, runtime.tenant),
      notAfter: client.application.expiresAt,
      now,
      // Application claims first: the grant's (username) and the tenant's (`tenant`, and fields a
      // shared API asks for) are never the application's to set.
      claims: {
        ...applicationClaims(client.application.claims, runtime.tenantClaimNames),
        ...decision.claims,
        ...runtime.claimsFor(decision.audience),
      },
      ...(binding !== undefined && { confirmation: { jkt: binding.jkt } }),
    })
  }

  /** No token leaves without its audit record, nor for a client revoked meanwhile. */
  async function commit(
    client: AuthenticatedClient,
    decision: GrantDecision,
    issued: IssuedAccessToken,
    facts: { grantType: string; ip: string },
    now: Date,
  ): Promise<void> {
    const token = {
      sub: decision.subject,
      aud: decision.audience,
      scope: issued.scope,
      jti: issued.jti,
      exp: issued.expiresAt,
    }
    let committed: boolean
    try {
      committed = await deps.audit.recordToken(
        tokenIssuedEvent(client, token, decision.audit, facts, now),
      )
    } catch (cause) {
      throw new OAuthError(
        'temporarily_unavailable',
        'the token could not be recorded; try again shortly',
        { cause, headers: { 'Retry-After': '1' } },
      )
    }
    if (!committed) {
      // Revoked, deleted, or its secret or key removed while this request was in flight.
      throw new OAuthError(
        'invalid_client',
        client.credential.kind === 'secret'
          ? 'this application or its client secret is no longer valid'
          : client.credential.kind === 'trust_policy'
            ? 'this application or the trust policy that accepted the platform token is no longer registered'
            : 'this application or the key that signed its client_assertion is no longer registered',
      )
    }
  }

  return async function handleTokenRequest(input: TokenEndpointInput): Promise<TokenResponse> {
    const request = parseTokenRequest(input.parameters, input.authorization)
    const client = await authenticate(request, input)
    const facts = { grantType: request.grantType, ip: input.ip }
    try {
      const grant = grantFor(request)
      const now = deps.now()
      const binding = await dpopBinding(input.dpop, { url: input.url, now }, deps.dpop)
      if (binding === undefined && client.application.dpopBoundAccessTokens)
        throw new OAuthError(
          'invalid_dpop_proof',
          'this application must send a DPoP proof with every token request (RFC 9449): its tokens are bound to the key that signs it',
        )
      // Charged once the request is well formed: a refused grant type or proof costs no quota.
      await throttle.consumeQuota(client.application)
      const decision = await grant.handle({ request, client, now, ip: input.ip })
      const issued = await issue(client, decision, now, binding)
      const audited =
        binding === undefined
          ? decision
          : { ...decision, audit: { ...decision.audit, dpop_jkt: binding.jkt } }
      await commit(client, audited, issued, facts, now)
      return {
        access_token: issued.token,
        token_type: binding === undefined ? 'Bearer' : 'DPoP',
        expires_in: Math.max(0, issued.expiresAt - Math.floor(now.getTime() / 1000)),
        scope: issued.scope,
        ...(decision.refreshToken !== undefined && { refresh_token: decision.refreshToken }),
      }
    } catch (error) {
      if (error instanceof OAuthError)
        record(tokenRefusedEvent(client, error, error.description, facts, deps.now()))
      throw error
    }
  }
}

export type TokenEndpoint = ReturnType<typeof createTokenEndpoint>

/** An application's custom claims, without any a shared API fills from tenant fields. */
function applicationClaims(
  claims: Readonly<Record<string, string>>,
  tenantClaimNames: ReadonlySet<string>,
): Readonly<Record<string, string>> {
  const names = Object.keys(claims)
  if (names.length === 0 || !names.some((name) => tenantClaimNames.has(name))) return claims
  return Object.fromEntries(Object.entries(claims).filter(([name]) => !tenantClaimNames.has(name)))
}
