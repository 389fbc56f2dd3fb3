import type { Application } from '../domain/model.js'
import type { AuditEvent, TokenAuditEvent } from '../storage/contract.js'
import type { AuthenticatedClient } from './client-authentication.js'
import type { OAuthError } from './errors.js'

/** What every token record says about the request: who asked, how, from where. */
interface RequestFacts {
  grantType: string | undefined
  ip: string
}

function base(application: Application, occurredAt: Date) {
  return {
    tenantId: application.tenantId,
    occurredAt,
    actor: `client:${application.clientId}`,
    clientId: application.clientId,
  }
}

/**
 * The record of a refused token request: before authentication succeeded (`client` is then the
 * application whose secret was wrong, or that is revoked or expired) or after (with the secret).
 * Never the presented secret, nor a token.
 */
export function tokenRefusedEvent(
  client: AuthenticatedClient | { application: Application; secret?: undefined },
  refusal: OAuthError,
  reason: string,
  facts: RequestFacts,
  occurredAt: Date,
): AuditEvent {
  return {
    ...base(client.application, occurredAt),
    type: 'token.refused',
    data: {
      grant_type: facts.grantType,
      ...(client.secret !== undefined && { secret_id: client.secret.id }),
      error: refusal.code,
      reason,
      ip: facts.ip,
    },
  }
}

/** The record of an issued token, committed before the token is returned. */
export function tokenIssuedEvent(
  client: AuthenticatedClient,
  token: { sub: string; aud: string; scope: string; jti: string; exp: number },
  extra: Record<string, string> | undefined,
  facts: RequestFacts,
  occurredAt: Date,
): TokenAuditEvent {
  return {
    ...base(client.application, occurredAt),
    type: 'token.issued',
    data: {
      grant_type: facts.grantType,
      secret_id: client.secret.id,
      auth_method: client.method,
      ...token,
      ip: facts.ip,
      ...extra,
    },
    live: { clientId: client.application.clientId, secretId: client.secret.id, ip: facts.ip },
  }
}
