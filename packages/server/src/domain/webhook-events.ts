import type { AuditEventType } from './audit-events.js'
import { QUOTA_REFUSAL_PREFIX } from './token-policy.js'

/**
 * What a tenant's webhook endpoints may subscribe to (docs/webhooks.md), one closed list. Each
 * event is an audit record of the tenant: the audit log is the durable source they are sent from.
 */
export const WEBHOOK_EVENT_TYPES = [
  'application.created',
  'application.revoked',
  'application.expired',
  'application.expiring',
  'application.secret_rotated',
  'application.secret_leaked',
  'application.secret_still_in_use',
  'application.quota_exceeded',
  'insight.found',
] as const

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/** Sent on request only (the "send test event" button); no endpoint subscribes to it. */
export const WEBHOOK_TEST_EVENT = 'webhook.test'

/** The audit record type each event comes from. */
export const WEBHOOK_EVENT_SOURCES: Record<WebhookEventType, AuditEventType> = {
  'application.created': 'application.created',
  'application.revoked': 'application.revoked',
  'application.expired': 'application.expired',
  'application.expiring': 'application.expiring',
  'application.secret_rotated': 'application.secret_rotated',
  'application.secret_leaked': 'application.secret_leaked',
  'application.secret_still_in_use': 'application.secret_still_in_use',
  'application.quota_exceeded': 'token.refused',
  'insight.found': 'insight.found',
}

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value)
}

/** An audit record as the webhook dispatcher reads it. */
export interface WebhookSourceRecord {
  seq: number
  tenantId: string
  occurredAt: Date
  type: string
  actor: string
  clientId: string | null
  data: Record<string, unknown>
}

/**
 * Whether a `token.refused` record is a refusal over the application's token quota. Its `reason`
 * is the 429's description (oauth/token-throttle.ts, `consumeQuota`); the other `rate_limited`
 * refusal that is recorded is the password grant's "too many failed sign-ins" (the failed-client-
 * authentication limit writes no record). Records written before the message
 * named its limit have the older wording.
 */
export function isQuotaRefusal(data: Record<string, unknown>): boolean {
  const reason = data['reason']
  return (
    data['error'] === 'rate_limited' &&
    typeof reason === 'string' &&
    (reason.startsWith(QUOTA_REFUSAL_PREFIX) ||
      /^this application may request \d+ tokens per minute/.test(reason))
  )
}

/** The event an audit record is, if any: a `token.refused` is one only when over the quota. */
export function webhookEventOf(record: WebhookSourceRecord): WebhookEventType | undefined {
  if (record.type === 'token.refused')
    return isQuotaRefusal(record.data) ? 'application.quota_exceeded' : undefined
  return WEBHOOK_EVENT_TYPES.find((t) => t === record.type)
}

/** The address a request came from is personal data a receiver does not need. */
function withoutAddresses(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutAddresses)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'ip' && !key.endsWith('_ip'))
      .map(([key, v]) => [key, withoutAddresses(v)]),
  )
}

/**
 * The Standard Webhooks envelope (`type`, `timestamp`, `data`), as the exact text that is signed
 * and sent on every attempt. `data` names the tenant, the application and the audit record, then
 * the record's own data (which never holds a secret or token), without IP addresses.
 */
export function webhookPayload(type: WebhookEventType, record: WebhookSourceRecord): string {
  return JSON.stringify({
    type,
    timestamp: record.occurredAt.toISOString(),
    data: {
      tenant_id: record.tenantId,
      client_id: record.clientId,
      actor: record.actor,
      audit_seq: record.seq,
      ...(withoutAddresses(record.data) as Record<string, unknown>),
    },
  })
}

export function webhookTestPayload(tenantId: string, endpointId: string, at: Date): string {
  return JSON.stringify({
    type: WEBHOOK_TEST_EVENT,
    timestamp: at.toISOString(),
    data: {
      tenant_id: tenantId,
      webhook_id: endpointId,
      message: 'A test event from Tokenmint: this endpoint receives and verifies webhooks.',
    },
  })
}

/**
 * The Standard Webhooks retry schedule, after the first attempt (made at once): 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h, 10 h. A delivery whose eighth attempt fails is dead.
 */
export const WEBHOOK_RETRY_DELAYS_MS = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
] as const

export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_MS.length + 1

/** When to try again after `attempts` attempts have been made, the last one failed; undefined: dead. */
export function nextWebhookAttempt(attempts: number, now: Date): Date | undefined {
  const delay = WEBHOOK_RETRY_DELAYS_MS[attempts - 1]
  return delay === undefined ? undefined : new Date(now.getTime() + delay)
}
