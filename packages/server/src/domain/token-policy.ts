import type { Application, Tenant } from './model.js'

/**
 * How long a verifier may still accept a token past its `exp` (its clock may run behind ours):
 * a revocation is kept in the feed this long after the last token it concerns has expired.
 */
export const REVOCATION_CLOCK_SKEW_SECONDS = 300

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
    revokedAt.getTime() + (tenant.maxTokenLifetimeSeconds + REVOCATION_CLOCK_SKEW_SECONDS) * 1000,
  )
}

/** Until when a single token's revocation must stay in the feed. */
export function tokenRevocationExpiresAt(expSeconds: number): Date {
  return new Date((expSeconds + REVOCATION_CLOCK_SKEW_SECONDS) * 1000)
}
