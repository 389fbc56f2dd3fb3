import type { Application, ClientSecret, Tenant } from './model.js'

/**
 * How long a verifier may still accept a token past its `exp` (its clock may run behind ours):
 * a revocation stays in the feed, and a retired key in JWKS, this long after the last token
 * they concern has expired.
 */
export const VERIFIER_CLOCK_SKEW_SECONDS = 300

/** An access token's lifetime: the application's, else the tenant default, capped by the tenant. */
export function tokenLifetimeSeconds(
  application: Pick<Application, 'tokenLifetimeSeconds'>,
  tenant: Pick<Tenant, 'defaultTokenLifetimeSeconds' | 'maxTokenLifetimeSeconds'>,
): number {
  return Math.min(
    application.tokenLifetimeSeconds ?? tenant.defaultTokenLifetimeSeconds,
    tenant.maxTokenLifetimeSeconds,
  )
}

/**
 * Until when a revocation of the whole application, effective at `revokedAt`, must stay in the
 * feed: until the last token it could have issued before then has expired, plus the skew.
 */
export function applicationRevocationExpiresAt(
  revokedAt: Date,
  tenant: Pick<Tenant, 'maxTokenLifetimeSeconds'>,
): Date {
  return new Date(
    revokedAt.getTime() + (tenant.maxTokenLifetimeSeconds + VERIFIER_CLOCK_SKEW_SECONDS) * 1000,
  )
}

/** Until when a retired signing key must stay published: its last token's expiry, plus the skew. */
export function retiredKeyPublishUntil(
  retiredAt: Date,
  tenant: Pick<Tenant, 'maxTokenLifetimeSeconds'>,
): Date {
  return new Date(
    retiredAt.getTime() + (tenant.maxTokenLifetimeSeconds + VERIFIER_CLOCK_SKEW_SECONDS) * 1000,
  )
}

/** Until when a single token's revocation must stay in the feed. */
export function tokenRevocationExpiresAt(expSeconds: number): Date {
  return new Date((expSeconds + VERIFIER_CLOCK_SKEW_SECONDS) * 1000)
}

/** Whether something that ends at `endsAtMs` (null: never) is still live at `nowMs`. */
export function isLiveAt(endsAtMs: number | null, nowMs: number): boolean {
  return endsAtMs === null || endsAtMs > nowMs
}

/** A secret works until its rotation overlap ends (the newest secret has no end). */
export function isSecretLive(secret: Pick<ClientSecret, 'expiresAt'>, now: Date): boolean {
  return isLiveAt(secret.expiresAt?.getTime() ?? null, now.getTime())
}

/**
 * A client may get tokens while its application is active and unexpired and the secret it
 * presented is live: checked when it authenticates, and again, on the rows the token-audit
 * commit re-reads, when its token is recorded (storage/sql/token-liveness).
 */
export function isClientLive(
  application: { status: string; expiresAtMs: number | null },
  secret: { expiresAtMs: number | null },
  nowMs: number,
): boolean {
  return (
    application.status === 'active' &&
    isLiveAt(application.expiresAtMs, nowMs) &&
    isLiveAt(secret.expiresAtMs, nowMs)
  )
}

/** How the 429 of a per-application token quota begins: its audit record is known by it. */
export const QUOTA_REFUSAL_PREFIX = 'token quota exceeded:'
