import { isWellFormedClientSecret } from '../crypto/secret-format.js'
import { NotFoundError, ValidationError } from '../domain/errors.js'
import type { LeakResponse } from '../domain/model.js'
import { isSecretLive, tokenRevocationExpiresAt } from '../domain/token-policy.js'
import type { LeakedSecret } from '../storage/contract.js'
import { revokeWithin } from './application-endings.js'
import type { ManagementDeps } from './deps.js'

/**
 * Leak response: a client secret reported as exposed (by GitHub's secret scanning, `tokenmint
 * scan --revoke` or an administrator) stops working at once, as the tenant's policy says:
 * `revoke_secret` (the default) removes that secret and revokes the unexpired tokens issued
 * with it; `revoke_application` revokes the whole application. The secret is found by its
 * keyed hash, so a report carries nothing but the secret; what is kept is that hash, the hint
 * and where it was found — never the secret.
 */

export const LEAK_OUTCOMES = [
  'revoked_secret',
  'revoked_application',
  'already_revoked',
  'unknown',
] as const
export type LeakOutcome = (typeof LEAK_OUTCOMES)[number]

export interface LeakReport {
  secret: string
  /** Where it was found (a GitHub URL, `file://…#L3`); shown to administrators. */
  url?: string | undefined
  /** `github`, `admin`. */
  source: string
  /** The audit actor: `leak-scanner:github`, `client:<id>`, `admin:<name>`. */
  reporter: string
}

export interface LeakResult {
  outcome: LeakOutcome
  clientId?: string
  secretId?: string
}

/** Tokens of a leaked secret revoked one by one at most: beyond, the audit record says so. */
export const MAX_TOKENS_REVOKED = 10_000
const MAX_URL_LENGTH = 2048

/**
 * Handles one report. `tenantId` scopes an administrator's report to its own tenant: a secret
 * of another tenant is `unknown` to it, exactly as a made-up one.
 */
export async function reportLeak(
  deps: Pick<ManagementDeps, 'storage' | 'hasher' | 'changes' | 'now'>,
  report: LeakReport,
  tenantId?: string,
): Promise<LeakResult> {
  if (!isWellFormedClientSecret(report.secret)) return { outcome: 'unknown' }
  const url = report.url === undefined ? null : report.url.slice(0, MAX_URL_LENGTH)
  const hash = deps.hasher.hash(report.secret)
  const hashText = hash.toString('base64url')
  let changed: { tenantId: string; clientId: string } | undefined
  const result = await deps.storage.transaction(async (storage): Promise<LeakResult> => {
    const now = deps.now()
    const again = async (): Promise<LeakResult | undefined> => {
      const known = await storage.leaks.get(hashText)
      if (known === undefined) return undefined
      if (tenantId !== undefined && known.tenantId !== tenantId) return { outcome: 'unknown' }
      await storage.leaks.reportedAgain(hashText, now)
      return { outcome: 'already_revoked', clientId: known.clientId, secretId: known.secretId }
    }
    const earlier = await again()
    if (earlier !== undefined) return earlier
    const found = await storage.applications.findSecretByHash(hash)
    // Gone since the first look: a report sent at the same time may have just revoked it.
    if (found === undefined) return (await again()) ?? { outcome: 'unknown' }
    if (tenantId !== undefined && found.tenantId !== tenantId) return { outcome: 'unknown' }
    // Reports of one secret sent at once: the first revokes it, the others wait here and then
    // find its record (PostgreSQL; SQLite transactions are serialised already).
    await storage.tenants.lockForChange(found.tenantId)
    const raced = await again()
    if (raced !== undefined) return raced
    const { secret } = found
    const tenant = await storage.tenants.get(found.tenantId)
    const application = await storage.applications.get(found.tenantId, secret.clientId)
    if (tenant === undefined || application === undefined)
      throw new NotFoundError('application', secret.clientId)
    // The built-in admin application (the CLI's credentials) loses its secret, never itself:
    // revoking it would lock the tenant out of the admin API for good.
    // A secret that no longer authenticates (its rotation overlap ended) takes only itself and
    // its tokens down: an old secret someone still has must not be a way to revoke the live
    // application that replaced it.
    const action: LeakResponse =
      application.isBuiltIn || application.status === 'revoked' || !isSecretLive(secret, now)
        ? 'revoke_secret'
        : tenant.leakResponse
    const leakData = {
      secret_id: secret.id,
      hint: secret.hint,
      url,
      source: report.source,
      action,
    }
    let tokensRevoked = 0
    let tokensNotRevoked = 0
    if (action === 'revoke_application') {
      await revokeWithin(storage, application, now, report.reporter, { leak: leakData })
    } else {
      // The secret goes first: a token request committing after this sees it gone (the
      // liveness check in appendTokenEvents), so the scan below misses none that succeeded.
      await storage.applications.deleteSecret(secret.clientId, secret.id)
      const since = new Date(now.getTime() - tenant.maxTokenLifetimeSeconds * 1000)
      const tokens = await storage.leaks.tokensOfSecret(
        tenant.id,
        secret.clientId,
        secret.id,
        since,
        now,
        MAX_TOKENS_REVOKED + 1,
      )
      tokensNotRevoked = Math.max(0, tokens.length - MAX_TOKENS_REVOKED)
      for (const token of tokens.slice(0, MAX_TOKENS_REVOKED)) {
        await storage.revocations.append({
          tenantId: tenant.id,
          type: 'token',
          clientId: secret.clientId,
          jti: token.jti,
          revokedAt: now,
          expiresAt: tokenRevocationExpiresAt(token.exp),
        })
        tokensRevoked++
      }
    }
    const leak: LeakedSecret = {
      hash: hashText,
      tenantId: tenant.id,
      clientId: secret.clientId,
      secretId: secret.id,
      hint: secret.hint,
      url,
      source: report.source,
      reporter: report.reporter,
      action,
      tokensRevoked,
      reports: 1,
      firstReportedAt: now,
      lastReportedAt: now,
    }
    await storage.leaks.insert(leak)
    changed = { tenantId: tenant.id, clientId: secret.clientId }
    await storage.audit.append([
      {
        tenantId: tenant.id,
        occurredAt: now,
        type: 'application.secret_leaked',
        actor: report.reporter,
        clientId: secret.clientId,
        data: {
          ...leakData,
          tokens_revoked: tokensRevoked,
          ...(tokensNotRevoked > 0 && {
            tokens_not_revoked: `more than ${String(MAX_TOKENS_REVOKED)}`,
          }),
        },
      },
    ])
    return {
      outcome: action === 'revoke_application' ? 'revoked_application' : 'revoked_secret',
      clientId: secret.clientId,
      secretId: secret.id,
    }
  })
  if (changed !== undefined) {
    deps.changes.publish({ kind: 'application', ...changed })
    deps.changes.publish({ kind: 'revocation', tenantId: changed.tenantId })
  }
  return result
}

/** An administrator's report must be a Tokenmint secret; anything else is a mistake to point out. */
export function requireSecretShape(secret: string): void {
  if (!isWellFormedClientSecret(secret))
    throw new ValidationError(
      'secret',
      'not a Tokenmint client secret: it must start with tms_ and carry a valid checksum',
    )
}

export function listLeaks(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
  clientId?: string,
): Promise<LeakedSecret[]> {
  return deps.storage.leaks.list(tenantId, clientId, 200)
}
