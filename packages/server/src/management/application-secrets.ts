import type { Authority } from '../domain/authority.js'
import { ConflictError, ValidationError } from '../domain/errors.js'
import type { Application, ClientSecret } from '../domain/model.js'
import { isSecretLive } from '../domain/token-policy.js'
import { loadApplicationToChange } from './applications.js'
import { newSecret } from './client-credentials.js'
import type { ManagementDeps } from './deps.js'

/** Secret rotation: a new secret shown once, with an overlap in which the old one still works. */

export const DEFAULT_OVERLAP_SECONDS = 24 * 3600
/** A secret used this recently while its overlap ends this soon is still in use: warn. */
export const STILL_IN_USE_WINDOW_MS = 3600_000

/**
 * Issues a new secret, shown once. The previous one stays valid for `overlapSeconds` so a
 * fleet can roll over without downtime (0 ends it at once). At most two secrets are live.
 */
export async function rotateSecret(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  clientId: string,
  overlapSeconds: number = DEFAULT_OVERLAP_SECONDS,
): Promise<{
  application: Application
  clientSecret: string
  secret: ClientSecret
  previous: ClientSecret | undefined
}> {
  if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > 30 * 86_400) {
    throw new ValidationError(
      'overlap_seconds',
      'overlap must be a whole number of seconds between 0 and 30 days',
    )
  }
  const result = await deps.storage.transaction(async (storage) => {
    const application = await loadApplicationToChange(storage, authority, tenantId, clientId)
    if (application.status === 'revoked')
      throw new ConflictError('a revoked application cannot get a new secret')
    if (application.tokenEndpointAuthMethod === 'private_key_jwt')
      throw new ConflictError(
        'this application authenticates with public keys (private_key_jwt): add its new key, then remove the old one',
      )
    const now = deps.now()
    const live = (await storage.applications.listSecrets(clientId)).filter((s) =>
      isSecretLive(s, now),
    )
    if (live.length >= 2) {
      const ending = live.find((s) => s.expiresAt !== null)
      throw new ConflictError(
        `a rotation is already in progress: the previous secret ${ending?.hint ?? ''} is valid until ${ending?.expiresAt?.toISOString() ?? '?'}; end the overlap first`,
      )
    }
    const previous = live[0]
    // Secrets whose overlap has already ended are removed for good.
    const liveIds = new Set(live.map((s) => s.id))
    for (const secret of await storage.applications.listSecrets(clientId)) {
      if (!liveIds.has(secret.id)) await storage.applications.deleteSecret(clientId, secret.id)
    }
    const { clientSecret, secret } = newSecret(deps, clientId, now)
    await storage.applications.insertSecret(secret)
    let ended: ClientSecret | undefined
    if (previous !== undefined) {
      if (overlapSeconds === 0) {
        await storage.applications.deleteSecret(clientId, previous.id)
      } else {
        const expiresAt = new Date(now.getTime() + overlapSeconds * 1000)
        await storage.applications.setSecretExpiry(clientId, previous.id, expiresAt)
        ended = { ...previous, expiresAt }
      }
    }
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'application.secret_rotated',
        actor: authority.actor,
        clientId,
        data: {
          secret_id: secret.id,
          previous_secret_id: previous?.id ?? null,
          previous_valid_until:
            ended?.expiresAt?.toISOString() ?? (previous === undefined ? null : now.toISOString()),
          overlap_seconds: overlapSeconds,
        },
      },
    ])
    return { application, clientSecret, secret, previous: ended }
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId })
  return result
}

/** Ends a rotation overlap early: only the newest secret stays valid. */
export async function endOverlap(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  clientId: string,
): Promise<number> {
  const ended = await deps.storage.transaction(async (storage) => {
    await loadApplicationToChange(storage, authority, tenantId, clientId)
    const secrets = await storage.applications.listSecrets(clientId)
    const newest = secrets.at(-1)
    const old = secrets.filter((s) => s !== newest)
    for (const secret of old) await storage.applications.deleteSecret(clientId, secret.id)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: deps.now(),
        type: 'application.overlap_ended',
        actor: authority.actor,
        clientId,
        data: {
          ended_secret_ids: old.map((s) => s.id),
          warning: old.some((s) => isStillInUse(s, deps.now())),
        },
      },
    ])
    return old.length
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId })
  return ended
}

/** A secret whose overlap ends soon but that clients still use: ending it would break one. */
export function isStillInUse(secret: ClientSecret, now: Date): boolean {
  return (
    secret.expiresAt !== null &&
    secret.lastUsedAt !== null &&
    now.getTime() - secret.lastUsedAt.getTime() < STILL_IN_USE_WINDOW_MS &&
    secret.lastUsedAt.getTime() > secret.createdAt.getTime()
  )
}
