import type { Authority } from '../domain/authority.js'
import { MAX_CLIENT_KEYS, assertDistinctKeys, parseClientJwks } from '../crypto/client-jwk.js'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import type { Application, ClientKey } from '../domain/model.js'
import type { Storage } from '../storage/contract.js'
import { loadApplicationToChange } from './applications.js'
import { auditableKey, newClientKey } from './client-credentials.js'
import type { ManagementDeps } from './deps.js'

/**
 * The public keys of a private_key_jwt application. Rotation is add, then remove: both keys
 * work in between, so a fleet rolls over without downtime — the overlap a secret gets from
 * its rotation, here in the hands of whoever holds the private keys.
 */

async function loadKeyApplication(
  storage: Storage,
  authority: Authority,
  tenantId: string,
  clientId: string,
): Promise<Application> {
  // Serialises key changes of the tenant, so parallel adds cannot pass the key limit together.
  await storage.tenants.lockForChange(tenantId)
  const application = await loadApplicationToChange(storage, authority, tenantId, clientId)
  if (application.tokenEndpointAuthMethod !== 'private_key_jwt') {
    throw new ConflictError(
      'this application authenticates with client secrets: rotate its secret instead (keys belong to private_key_jwt applications, chosen at creation)',
    )
  }
  if (application.status === 'revoked')
    throw new ConflictError('a revoked application cannot get new keys')
  if ((await storage.applications.getJwksUri(clientId)) !== undefined)
    throw new ConflictError(
      'this application publishes its keys at its jwks_uri: change the keys there (or point jwks_uri elsewhere)',
    )
  return application
}

/** Registers more public keys (a JWK Set); they work from the next token request. */
export async function addKeys(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  clientId: string,
  jwks: unknown,
): Promise<ClientKey[]> {
  const parsed = await parseClientJwks('jwks', jwks)
  const added = await deps.storage.transaction(async (storage) => {
    await loadKeyApplication(storage, authority, tenantId, clientId)
    const existing = await storage.applications.listKeys(clientId)
    if (existing.length + parsed.length > MAX_CLIENT_KEYS) {
      throw new ValidationError(
        'jwks',
        `an application holds at most ${MAX_CLIENT_KEYS} keys; it has ${existing.length}: remove some first`,
      )
    }
    assertDistinctKeys('jwks', [
      ...existing.map((k) => ({ jwk: k.jwk, thumbprint: k.thumbprint })),
      ...parsed,
    ])
    const now = deps.now()
    const keys = parsed.map((k) => newClientKey(clientId, k, now))
    for (const key of keys) await storage.applications.insertKey(key)
    await storage.audit.append(
      keys.map((key) => ({
        tenantId,
        occurredAt: now,
        type: 'application.key_added' as const,
        actor: authority.actor,
        clientId,
        data: auditableKey(key),
      })),
    )
    return keys
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId })
  return added
}

/**
 * Removes a key by its kid: assertions it signs are refused from the next request, and a token
 * request already past authentication with it is refused at commit. The last key stays: an
 * application without one could never authenticate again.
 */
export async function removeKey(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  clientId: string,
  kid: string,
): Promise<ClientKey> {
  const removed = await deps.storage.transaction(async (storage) => {
    await loadKeyApplication(storage, authority, tenantId, clientId)
    const keys = await storage.applications.listKeys(clientId)
    const key = keys.find((k) => k.kid === kid)
    if (key === undefined) throw new NotFoundError('key', kid)
    if (keys.length === 1) {
      throw new ConflictError(
        "this is the application's only key: add its replacement first, then remove this one",
      )
    }
    await storage.applications.deleteKey(clientId, key.id)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: deps.now(),
        type: 'application.key_removed',
        actor: authority.actor,
        clientId,
        data: auditableKey(key),
      },
    ])
    return key
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId })
  return removed
}
