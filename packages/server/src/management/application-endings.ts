import type { Authority } from '../domain/authority.js'
import { NotFoundError } from '../domain/errors.js'
import type { Application, Tenant } from '../domain/model.js'
import { applicationRevocationExpiresAt } from '../domain/token-policy.js'
import type { Revocation, Storage } from '../storage/contract.js'
import { auditableApplication, loadApplicationToChange } from './applications.js'
import type { ManagementDeps } from './deps.js'

/** The two ways an application ends: revoked (terminal, kept) or deleted (audit history kept). */

/**
 * The feed entry that ends every token issued to `clientId` before `now`: an application
 * revoked, or its tenant suspended or deleted.
 */
export function applicationRevocation(
  tenant: Pick<Tenant, 'id' | 'maxTokenLifetimeSeconds'>,
  clientId: string,
  now: Date,
): Omit<Revocation, 'id'> {
  return {
    tenantId: tenant.id,
    type: 'application',
    clientId,
    jti: null,
    revokedAt: now,
    expiresAt: applicationRevocationExpiresAt(now, tenant),
  }
}

async function recordRevocation(
  storage: Storage,
  application: Application,
  now: Date,
): Promise<void> {
  const tenant = await storage.tenants.get(application.tenantId)
  if (tenant === undefined) throw new NotFoundError('tenant', application.tenantId)
  await storage.revocations.append(applicationRevocation(tenant, application.clientId, now))
}

/**
 * Revokes `current` inside the caller's transaction: the status, the feed entry, its refresh
 * tokens and the audit record (`reason` says why when it is not an administrator's request).
 */
export async function revokeWithin(
  storage: Storage,
  current: Application,
  now: Date,
  actor: string,
  reason?: Record<string, unknown>,
): Promise<Application> {
  const updated = await storage.applications.update(
    { ...current, status: 'revoked', updatedAt: now },
    current.version,
  )
  await recordRevocation(storage, current, now)
  await storage.refreshTokens.revokeForClient(current.clientId, now)
  await storage.audit.append([
    {
      tenantId: current.tenantId,
      occurredAt: now,
      type: 'application.revoked',
      actor,
      clientId: current.clientId,
      data: { before: auditableApplication(current), ...reason },
    },
  ])
  return updated
}

/**
 * Terminal. Once this returns, no token request for the application succeeds: a request
 * already in flight is refused when its audit record is committed (see appendTokenEvents).
 */
export async function revokeApplication(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  clientId: string,
): Promise<Application> {
  const revoked = await deps.storage.transaction(async (storage) => {
    const current = await loadApplicationToChange(storage, authority, tenantId, clientId)
    if (current.status === 'revoked') return current
    return revokeWithin(storage, current, deps.now(), authority.actor)
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId })
  deps.changes.publish({ kind: 'revocation', tenantId })
  return revoked
}

/** Removes the application and its secrets; its tokens are revoked and its audit history stays. */
export async function deleteApplication(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  clientId: string,
): Promise<void> {
  await deps.storage.transaction(async (storage) => {
    const current = await loadApplicationToChange(storage, authority, tenantId, clientId)
    const now = deps.now()
    await storage.applications.delete(tenantId, clientId)
    if (current.status !== 'revoked') await recordRevocation(storage, current, now)
    await storage.refreshTokens.revokeForClient(clientId, now)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'application.deleted',
        actor: authority.actor,
        clientId,
        data: { before: auditableApplication(current) },
      },
    ])
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId })
  deps.changes.publish({ kind: 'revocation', tenantId })
}
