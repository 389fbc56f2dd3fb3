import type { Authority } from '../domain/authority.js'
import { MAX_CLIENT_KEYS, assertDistinctKeys, parseClientJwks } from '../crypto/client-jwk.js'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import type { Application, ClientKey } from '../domain/model.js'
import type { Storage } from '../storage/contract.js'
import {
  auditableKey,
  changeCredentials,
  isLastCredential,
  loadSecretlessApplication,
  newClientKey,
} from './client-credentials.js'
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
  const application = await loadSecretlessApplication(
    storage,
    authority,
    { tenantId, clientId },
    'keys',
  )
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
  const target = { tenantId, clientId, type: 'application.key_added' as const }
  return changeCredentials(deps, authority, target, async (storage, now) => {
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
    const keys = parsed.map((k) => newClientKey(clientId, k, now))
    for (const key of keys) await storage.applications.insertKey(key)
    return { result: keys, audited: keys.map(auditableKey) }
  })
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
  const target = { tenantId, clientId, type: 'application.key_removed' as const }
  return changeCredentials(deps, authority, target, async (storage) => {
    await loadKeyApplication(storage, authority, tenantId, clientId)
    const credentials = await storage.applications.listCredentials(clientId)
    const key = credentials.keys.find((k) => k.kid === kid)
    if (key === undefined) throw new NotFoundError('key', kid)
    if (isLastCredential(credentials)) {
      throw new ConflictError(
        "this is the application's only key: add its replacement first, then remove this one",
      )
    }
    await storage.applications.deleteKey(clientId, key.id)
    return { result: key, audited: [auditableKey(key)] }
  })
}
