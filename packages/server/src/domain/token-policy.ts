import type { Application, Tenant } from './model.js'

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
