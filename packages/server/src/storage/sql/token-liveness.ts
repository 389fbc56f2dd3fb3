import { isClientLive } from '../../domain/token-policy.js'
import type { AuditEvent, TokenAuditEvent } from '../contract.js'

/** A secret and its application, as the token-audit commit reads them. */
export interface LiveRow {
  secret_id: string
  client_id: string
  status: string
  secret_expires_at: number | null
  app_expires_at: number | null
}

/**
 * Which events may be committed as issued: their secret and application are still live
 * (active, unexpired). Shared by the portable commit and the SQLite hot path.
 */
export function acceptedEvents(
  events: readonly TokenAuditEvent[],
  rows: readonly LiveRow[],
  nowMs: number,
): boolean[] {
  const live = new Map<string, string>()
  for (const r of rows) {
    const application = { status: r.status, expiresAtMs: r.app_expires_at }
    if (isClientLive(application, { expiresAtMs: r.secret_expires_at }, nowMs))
      live.set(r.secret_id, r.client_id)
  }
  return events.map((e) => live.get(e.live.secretId) === e.live.clientId)
}

/** What is recorded: the event as is, or a refusal without the token's jti. */
export function recordedEvent(event: TokenAuditEvent, accepted: boolean): AuditEvent {
  if (accepted) return event
  return {
    ...event,
    type: 'token.refused',
    data: {
      ...event.data,
      jti: undefined,
      error: 'invalid_client',
      reason: 'revoked or ended while the token was being issued',
    },
  }
}
