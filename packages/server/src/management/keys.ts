import { randomBytes } from 'node:crypto'

import { generateSigningKey } from '../crypto/jws-signer.js'
import type { KeySealer } from '../crypto/key-sealer.js'
import { NotFoundError } from '../domain/errors.js'
import type { SigningAlgorithm, SigningKey } from '../domain/model.js'
import { sealingContext } from '../domain/signing-keys.js'
import { retiredKeyPublishUntil } from '../domain/token-policy.js'
import type { Storage } from '../storage/contract.js'
import type { ManagementDeps } from './deps.js'

export function newSigningKey(
  sealer: KeySealer,
  tenantId: string,
  algorithm: SigningAlgorithm,
  status: 'next' | 'current',
  now: Date,
): SigningKey {
  const kid = randomBytes(12).toString('base64url')
  const generated = generateSigningKey(algorithm, kid)
  return {
    kid,
    tenantId,
    algorithm,
    status,
    publicJwk: generated.publicJwk,
    sealedPrivateKey: sealer.seal(generated.privateKeyDer, sealingContext({ tenantId, kid })),
    createdAt: now,
    activatedAt: status === 'current' ? now : null,
    retiredAt: null,
    publishUntil: null,
  }
}

export interface KeySummary {
  kid: string
  algorithm: SigningAlgorithm
  status: SigningKey['status']
  createdAt: Date
  activatedAt: Date | null
  retiredAt: Date | null
  publishUntil: Date | null
}

function summarise(key: SigningKey): KeySummary {
  const { kid, algorithm, status, createdAt, activatedAt, retiredAt, publishUntil } = key
  return { kid, algorithm, status, createdAt, activatedAt, retiredAt, publishUntil }
}

export async function listKeys(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
): Promise<KeySummary[]> {
  if ((await deps.storage.tenants.get(tenantId)) === undefined)
    throw new NotFoundError('tenant', tenantId)
  return (await deps.storage.signingKeys.listForTenant(tenantId)).map(summarise)
}

/**
 * Rotation without a verification gap: every tenant always publishes a `next` key in its JWKS
 * before it signs with it. Rotating promotes `next` to `current`, retires the old current key
 * (still published until its last token has expired) and pre-publishes a fresh `next`.
 * Asking for another algorithm promotes a new key of that algorithm at once (it could not be
 * pre-published); verifiers that cache JWKS pick it up on the unknown `kid`.
 */
export async function rotateKeys(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  options: { algorithm?: SigningAlgorithm | undefined } = {},
): Promise<{
  current: KeySummary
  next: KeySummary
  retired: KeySummary | undefined
  prePublished: boolean
}> {
  const result = await deps.storage.transaction(async (storage: Storage) => {
    const tenant = await storage.tenants.get(tenantId)
    if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
    const now = deps.now()
    const keys = await storage.signingKeys.listForTenant(tenantId)
    const oldCurrent = keys.find((k) => k.status === 'current')
    const oldNext = keys.find((k) => k.status === 'next')
    const algorithm = options.algorithm ?? oldNext?.algorithm ?? tenant.signingAlgorithm
    const prePublished = oldNext !== undefined && oldNext.algorithm === algorithm

    let current: SigningKey
    if (prePublished) {
      current = { ...oldNext, status: 'current', activatedAt: now }
      await storage.signingKeys.setStatus(oldNext.kid, { status: 'current', activatedAt: now })
    } else {
      current = newSigningKey(deps.sealer, tenantId, algorithm, 'current', now)
      await storage.signingKeys.insert(current)
      if (oldNext !== undefined) {
        // The unused next key of another algorithm was never signed with: drop it from JWKS now.
        await storage.signingKeys.setStatus(oldNext.kid, {
          status: 'retired',
          retiredAt: now,
          publishUntil: now,
        })
      }
    }
    let retired: SigningKey | undefined
    if (oldCurrent !== undefined) {
      const publishUntil = retiredKeyPublishUntil(now, tenant)
      retired = { ...oldCurrent, status: 'retired', retiredAt: now, publishUntil }
      await storage.signingKeys.setStatus(oldCurrent.kid, {
        status: 'retired',
        retiredAt: now,
        publishUntil,
      })
    }
    const next = newSigningKey(deps.sealer, tenantId, algorithm, 'next', now)
    await storage.signingKeys.insert(next)
    await storage.signingKeys.deleteUnpublished(tenantId, now)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'keys.rotated',
        actor,
        clientId: null,
        data: {
          current: current.kid,
          next: next.kid,
          retired: retired?.kid ?? null,
          algorithm,
          pre_published: prePublished,
        },
      },
    ])
    return {
      current: summarise(current),
      next: summarise(next),
      retired: retired && summarise(retired),
      prePublished,
    }
  })
  deps.changes.publish({ kind: 'tenant', tenantId })
  return result
}
