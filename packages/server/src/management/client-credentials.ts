import { randomBytes } from 'node:crypto'

import { generateClientSecret, secretHint } from '../crypto/secret-format.js'
import type { Authority } from '../domain/authority.js'
import type { AuditEventType } from '../domain/audit-events.js'
import { ConflictError, ValidationError } from '../domain/errors.js'
import type {
  Application,
  ClientJwk,
  ClientJwksUri,
  ClientKey,
  ClientSecret,
} from '../domain/model.js'
import type { ClientCredentials, Storage } from '../storage/contract.js'
import { loadApplicationToChange } from './applications.js'
import type { ManagementDeps } from './deps.js'

/**
 * The credentials an application proves itself with, as they are made: a secret (shown once,
 * stored as a peppered hash), a registered public key, or the URL its keys are published at.
 */

export function newSecret(
  deps: Pick<ManagementDeps, 'hasher'>,
  clientId: string,
  now: Date,
): { clientSecret: string; secret: ClientSecret } {
  const clientSecret = generateClientSecret()
  return {
    clientSecret,
    secret: {
      id: `sec_${randomBytes(9).toString('base64url')}`,
      clientId,
      hash: deps.hasher.hash(clientSecret),
      hint: secretHint(clientSecret),
      createdAt: now,
      expiresAt: null,
      lastUsedAt: null,
      lastUsedIp: null,
    },
  }
}

/**
 * A jwks_uri as registered: an https URL (the outbound rule decides the rest when it is
 * fetched), fetched once now so a typo or an unusable set is refused here, not at the first
 * token request.
 */
export async function checkedJwksUri(
  deps: Pick<ManagementDeps, 'remoteJwks'>,
  value: string,
): Promise<string> {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ValidationError('jwks_uri', 'jwks_uri must be an absolute https URL')
  }
  if (url.protocol !== 'https:' || value.length > 2048)
    throw new ValidationError(
      'jwks_uri',
      'jwks_uri must be an https URL of at most 2048 characters',
    )
  if (url.username !== '' || url.password !== '' || url.hash !== '')
    throw new ValidationError('jwks_uri', 'jwks_uri may not carry credentials or a #fragment')
  let keys: ClientKey[]
  try {
    keys = await deps.remoteJwks.fetchNow(url.href)
  } catch (error) {
    throw new ValidationError(
      'jwks_uri',
      `jwks_uri could not be fetched: ${error instanceof Error ? error.message : 'unknown error'}`,
    )
  }
  if (keys.length === 0)
    throw new ValidationError(
      'jwks_uri',
      'the JWK Set at jwks_uri holds no key Tokenmint accepts (EC P-256/384/521, RSA ≥ 2048 bits, Ed25519)',
    )
  return url.href
}

export function newJwksUri(clientId: string, uri: string, now: Date): ClientJwksUri {
  return {
    id: `jwu_${randomBytes(9).toString('base64url')}`,
    clientId,
    uri,
    createdAt: now,
    lastUsedAt: null,
    lastUsedIp: null,
  }
}

export function newClientKey(
  clientId: string,
  parsed: { jwk: ClientJwk; thumbprint: string },
  now: Date,
): ClientKey {
  return {
    id: `key_${randomBytes(9).toString('base64url')}`,
    clientId,
    kid: parsed.jwk.kid,
    thumbprint: parsed.thumbprint,
    jwk: parsed.jwk,
    createdAt: now,
    lastUsedAt: null,
    lastUsedIp: null,
  }
}

/** What an audit record says about a key: which one, never more than its public identity. */
export function auditableKey(key: ClientKey) {
  return { key_id: key.id, kid: key.kid, thumbprint: key.thumbprint }
}

/**
 * Whether removing this key or trust policy would leave a secretless application with nothing
 * to authenticate with (it could never get a token again): the last one stays.
 */
export function isLastCredential(
  credentials: Pick<ClientCredentials, 'keys' | 'jwksUri' | 'trustPolicies'>,
): boolean {
  const remaining =
    credentials.keys.length +
    credentials.trustPolicies.length +
    (credentials.jwksUri === undefined ? 0 : 1)
  return remaining <= 1
}

/**
 * A change to an application's keys or trust policies: made in one transaction with its audit
 * records (one per credential), then announced, so every node's client cache drops the
 * application and the next token request sees the change.
 */
export async function changeCredentials<T>(
  deps: Pick<ManagementDeps, 'storage' | 'changes' | 'now'>,
  authority: Authority,
  target: { tenantId: string; clientId: string; type: AuditEventType },
  change: (
    storage: Storage,
    now: Date,
  ) => Promise<{ result: T; audited: Record<string, unknown>[] }>,
): Promise<T> {
  const { tenantId, clientId, type } = target
  const result = await deps.storage.transaction(async (storage) => {
    const now = deps.now()
    const { result, audited } = await change(storage, now)
    await storage.audit.append(
      audited.map((data) => ({
        tenantId,
        occurredAt: now,
        type,
        actor: authority.actor,
        clientId,
        data,
      })),
    )
    return result
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId })
  return result
}

/**
 * The application whose keys or trust policies are about to change, if the caller may change
 * it and it is a live secretless one. Takes the tenant's change lock first, so parallel adds
 * cannot pass a limit together.
 */
export async function loadSecretlessApplication(
  storage: Storage,
  authority: Authority,
  target: { tenantId: string; clientId: string },
  credential: 'keys' | 'trust policies',
): Promise<Application> {
  await storage.tenants.lockForChange(target.tenantId)
  const application = await loadApplicationToChange(
    storage,
    authority,
    target.tenantId,
    target.clientId,
  )
  if (application.tokenEndpointAuthMethod !== 'private_key_jwt') {
    throw new ConflictError(
      `this application authenticates with client secrets: rotate its secret instead (${credential} belong to applications made without a secret: jwks, jwks_uri or trust_policies at creation)`,
    )
  }
  if (application.status === 'revoked')
    throw new ConflictError(`a revoked application cannot get new ${credential}`)
  return application
}
