import type { SecretHasher } from '../crypto/secret-hasher.js'
import type { Application } from '../domain/model.js'
import type { AuditSink, RateLimiter } from '../storage/contract.js'
import { issueAccessToken } from './access-token.js'
import {
  authenticateClient,
  type AuthenticatedClient,
  type ClientDirectory,
} from './client-authentication.js'
import { OAuthError } from './errors.js'
import type { GrantHandler } from './grants/grant.js'
import { parseTokenRequest, type RequestParameters, type TokenRequest } from './token-request.js'
import type { TenantKeyring } from './tenant-keyring.js'

export interface TokenEndpointDeps {
  clients: ClientDirectory
  hasher: SecretHasher
  keyring: TenantKeyring
  grants: readonly GrantHandler[]
  audit: AuditSink
  now: () => Date
  limiter: RateLimiter
  limits: { tokensPerMinute: number; failedAuthPerMinute: number }
}

const MINUTE_MS = 60_000

function limited(description: string, retryAfterMs: number): OAuthError {
  return new OAuthError('rate_limited', description, {
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  })
}

export interface TokenEndpointInput {
  /** Set on `{issuer}/oauth/token`; absent on the global endpoint, which routes by client id. */
  tenantId?: string | undefined
  parameters: RequestParameters
  authorization: string | undefined
  ip: string
}

/** RFC 6749 §5.1 success response. */
export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  scope: string
  refresh_token?: string
}

/**
 * The token endpoint as named steps: parse → authenticate → grant → issue → record.
 * A token is returned only after its audit record has been committed.
 */
export function createTokenEndpoint(deps: TokenEndpointDeps) {
  const grants = new Map(deps.grants.map((g) => [g.grantType as string, g]))

  function refuse(
    error: unknown,
    client: AuthenticatedClient | undefined,
    input: TokenEndpointInput,
    grantType: string | undefined,
  ) {
    if (!(error instanceof OAuthError) || client === undefined) return
    // Refusals are recorded without holding up the answer; a failure to record is logged by the sink.
    deps.audit
      .record({
        tenantId: client.application.tenantId,
        occurredAt: deps.now(),
        type: 'token.refused',
        actor: `client:${client.application.clientId}`,
        clientId: client.application.clientId,
        data: {
          grant_type: grantType,
          secret_id: client.secret.id,
          error: error.code,
          reason: error.description,
          ip: input.ip,
        },
      })
      .catch(() => undefined)
  }

  /**
   * Failed client authentications are counted per IP, and per client id from that IP, after the
   * secret was checked: only failures are throttled, so one broken client behind a shared
   * address (NAT, CI runners) does not lock out the others, and a correct secret is served
   * from a throttled address too. 256-bit secrets cannot be guessed online; the limit curbs
   * noise and enumeration. Each count is atomic, so of failures sent at once only the limit's
   * worth get a verdict (and an audit record); the rest get 429, alike for unknown ids and
   * wrong secrets.
   */
  async function throttle(
    refusal: OAuthError,
    application: Application | undefined,
    reason: string,
    input: TokenEndpointInput,
    request: TokenRequest,
  ): Promise<OAuthError> {
    const perClient = Math.max(1, Math.floor(deps.limits.failedAuthPerMinute / 5))
    const waits = await Promise.all([
      deps.limiter.consume(`authfail:${input.ip}`, deps.limits.failedAuthPerMinute, MINUTE_MS),
      deps.limiter.consume(
        `authfail:${input.ip}:${request.credentials.clientId}`,
        perClient,
        MINUTE_MS,
      ),
    ])
    const waitMs = Math.max(...waits)
    if (waitMs > 0) {
      return limited(
        'too many failed client authentications from this address; try again later',
        waitMs,
      )
    }
    if (application !== undefined) {
      deps.audit
        .record({
          tenantId: application.tenantId,
          occurredAt: deps.now(),
          type: 'token.refused',
          actor: `client:${application.clientId}`,
          clientId: application.clientId,
          data: { grant_type: request.grantType, error: refusal.code, reason, ip: input.ip },
        })
        .catch(() => undefined)
    }
    return refusal
  }

  return async function handleTokenRequest(input: TokenEndpointInput): Promise<TokenResponse> {
    const request = parseTokenRequest(input.parameters, input.authorization)
    const client = await authenticateClient(
      request.credentials,
      {
        ...deps,
        onRefused: (refusal, application, reason) =>
          throttle(refusal, application, reason, input, request),
      },
      input.tenantId,
    )
    try {
      const quota = client.application.tokenRateLimitPerMinute ?? deps.limits.tokensPerMinute
      const quotaWaitMs = await deps.limiter.consume(
        `tokens:${client.application.clientId}`,
        quota,
        MINUTE_MS,
      )
      if (quotaWaitMs > 0) {
        throw limited(
          `this application may request ${quota} tokens per minute; cache its tokens until they expire`,
          quotaWaitMs,
        )
      }
      const grant = grants.get(request.grantType)
      if (grant === undefined) {
        throw new OAuthError(
          'unsupported_grant_type',
          `grant_type "${request.grantType}" is not supported; use one of: ${[...grants.keys()].join(', ')}`,
        )
      }
      const now = deps.now()
      const decision = await grant.handle({ request, client, now, ip: input.ip })
      const runtime = await deps.keyring.get(client.application.tenantId)
      if (runtime === undefined)
        throw new OAuthError('invalid_client', "this application's tenant no longer exists")
      const { tenant } = runtime
      const lifetimeSeconds = Math.min(
        client.application.tokenLifetimeSeconds ?? tenant.defaultTokenLifetimeSeconds,
        tenant.maxTokenLifetimeSeconds,
      )
      const issued = issueAccessToken({
        runtime,
        subject: decision.subject,
        clientId: client.application.clientId,
        audience: decision.audience,
        scopes: decision.scopes,
        lifetimeSeconds,
        notAfter: client.application.expiresAt,
        now,
        claims: decision.claims,
      })
      let committed: boolean
      try {
        committed = await deps.audit.recordToken({
          tenantId: tenant.id,
          occurredAt: now,
          type: 'token.issued',
          actor: `client:${client.application.clientId}`,
          clientId: client.application.clientId,
          data: {
            grant_type: request.grantType,
            secret_id: client.secret.id,
            auth_method: client.method,
            sub: decision.subject,
            aud: decision.audience,
            scope: issued.scope,
            jti: issued.jti,
            exp: issued.expiresAt,
            ip: input.ip,
            ...decision.audit,
          },
          live: { clientId: client.application.clientId, secretId: client.secret.id, ip: input.ip },
        })
      } catch (cause) {
        // No token leaves without its audit record.
        throw new OAuthError(
          'temporarily_unavailable',
          'the token could not be recorded; try again shortly',
          {
            cause,
            headers: { 'Retry-After': '1' },
          },
        )
      }
      if (!committed) {
        // Revoked, deleted or its secret ended while this request was in flight.
        throw new OAuthError(
          'invalid_client',
          'this application or its client secret is no longer valid',
        )
      }
      return {
        access_token: issued.token,
        token_type: 'Bearer',
        expires_in: Math.max(0, issued.expiresAt - Math.floor(now.getTime() / 1000)),
        scope: issued.scope,
        ...(decision.refreshToken !== undefined && { refresh_token: decision.refreshToken }),
      }
    } catch (error) {
      refuse(error, client, input, request.grantType)
      throw error
    }
  }
}

export type TokenEndpoint = ReturnType<typeof createTokenEndpoint>
