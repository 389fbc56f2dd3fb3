/**
 * Every kind of audit record, one closed list: the server writes only these, the admin API's
 * OpenAPI document names them (so the console's generated types and the CLI's know them), and
 * a new one is added here first.
 */
export const AUDIT_EVENT_TYPES = [
  'token.issued',
  'token.refused',
  'token.revoked',
  'refresh_token.reuse_detected',
  'application.created',
  'application.updated',
  'application.secret_rotated',
  'application.overlap_ended',
  'application.key_added',
  'application.key_removed',
  'application.trust_added',
  'application.trust_removed',
  'application.revoked',
  'application.expired',
  'application.deleted',
  'api.created',
  'api.updated',
  'api.deleted',
  'keys.rotated',
  'audit.key_rotated',
  'audit.pruned',
  'audit.sink_added',
  'audit.sink_removed',
  'tenant.created',
  'tenant.updated',
  'config.applied',
  'user.created',
  'user.updated',
  'user.password_changed',
  'user.disabled',
  'user.enabled',
  'user.unlocked',
  'user.deleted',
  'administrator.created',
  'administrator.updated',
  'administrator.password_changed',
  'administrator.deleted',
  'administrator.signed_in',
  'administrator.signed_out',
  'administrator.sign_in_failed',
] as const

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number]
