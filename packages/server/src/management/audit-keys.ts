import { createPrivateKey, randomBytes } from 'node:crypto'

import { CompactSign, type JSONWebKeySet } from 'jose'

import { generateSigningKey } from '../crypto/jws-signer.js'
import type { KeySealer } from '../crypto/key-sealer.js'
import { NotFoundError } from '../domain/errors.js'
import type { AuditKey, Storage } from '../storage/contract.js'
import { CHECKPOINT_TYP, type CheckpointClaims } from './audit-chain-check.js'
import type { ManagementDeps } from './deps.js'

export type AuditDeps = Pick<ManagementDeps, 'storage' | 'sealer' | 'now'>

/** Audit keys are sealed apart from token signing keys: a blob of one never opens as the other. */
const sealingContext = (key: Pick<AuditKey, 'tenantId' | 'kid'>) =>
  `audit:${key.tenantId}/${key.kid}`

function newAuditKey(
  sealer: KeySealer,
  tenantId: string,
  status: 'current' | 'next',
  now: Date,
): AuditKey {
  const kid = `audit-${randomBytes(9).toString('base64url')}`
  const generated = generateSigningKey('EdDSA', kid)
  return {
    kid,
    tenantId,
    status,
    publicJwk: generated.publicJwk,
    sealedPrivateKey: sealer.seal(generated.privateKeyDer, sealingContext({ tenantId, kid })),
    createdAt: now,
    activatedAt: status === 'current' ? now : null,
    retiredAt: null,
  }
}

export async function requireTenant(storage: Storage, tenantId: string): Promise<void> {
  if ((await storage.tenants.get(tenantId)) === undefined)
    throw new NotFoundError('tenant', tenantId)
}

/**
 * The tenant's audit public keys as a JWKS: current, next (published before it signs) and
 * every retired key, which stays published for good since checkpoints it signed stay in the log.
 */
export async function auditKeySet(deps: AuditDeps, tenantId: string): Promise<JSONWebKeySet> {
  await requireTenant(deps.storage, tenantId)
  const keys = await deps.storage.auditChain.keys(tenantId)
  return { keys: keys.map((k) => ({ ...k.publicJwk })) }
}

/** The signing key, created with a pre-published next one the first time a tenant needs it. */
export async function currentKey(
  deps: AuditDeps,
  storage: Storage,
  tenantId: string,
): Promise<AuditKey> {
  const existing = (await storage.auditChain.keys(tenantId)).find((k) => k.status === 'current')
  if (existing !== undefined) return existing
  const now = deps.now()
  const current = newAuditKey(deps.sealer, tenantId, 'current', now)
  await storage.auditChain.insertKey(current)
  await storage.auditChain.insertKey(newAuditKey(deps.sealer, tenantId, 'next', now))
  return current
}

/**
 * Rotation without a gap, as for token signing keys: the pre-published `next` key becomes
 * `current`, the old one is retired (still published) and a new `next` is published.
 */
export async function rotateAuditKey(
  deps: AuditDeps,
  actor: string,
  tenantId: string,
): Promise<{ current: string; next: string; retired: string | null }> {
  return deps.storage.transaction(async (storage) => {
    await requireTenant(storage, tenantId)
    await storage.tenants.lockForChange(tenantId)
    const now = deps.now()
    const keys = await storage.auditChain.keys(tenantId)
    const oldCurrent = keys.find((k) => k.status === 'current')
    let current = keys.find((k) => k.status === 'next')
    if (current === undefined) {
      current = newAuditKey(deps.sealer, tenantId, 'current', now)
      await storage.auditChain.insertKey(current)
    } else {
      await storage.auditChain.setKeyStatus(current.kid, { status: 'current', activatedAt: now })
    }
    if (oldCurrent !== undefined)
      await storage.auditChain.setKeyStatus(oldCurrent.kid, { status: 'retired', retiredAt: now })
    const next = newAuditKey(deps.sealer, tenantId, 'next', now)
    await storage.auditChain.insertKey(next)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'audit.key_rotated',
        actor,
        clientId: null,
        data: { current: current.kid, next: next.kid, retired: oldCurrent?.kid ?? null },
      },
    ])
    return { current: current.kid, next: next.kid, retired: oldCurrent?.kid ?? null }
  })
}

export async function signCheckpoint(
  deps: AuditDeps,
  key: AuditKey,
  claims: CheckpointClaims,
): Promise<string> {
  const der = deps.sealer.open(key.sealedPrivateKey, sealingContext(key))
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: CHECKPOINT_TYP })
    .sign(privateKey)
}

/**
 * The published audit keys, creating the tenant's first pair if it has none yet: a verifier
 * can fetch them before the first checkpoint is signed.
 */
export async function publishedAuditKeys(
  deps: AuditDeps,
  tenantId: string,
): Promise<JSONWebKeySet> {
  const keys = await auditKeySet(deps, tenantId)
  if (keys.keys.length > 0) return keys
  await deps.storage.transaction(async (storage) => {
    await storage.tenants.lockForChange(tenantId)
    await currentKey(deps, storage, tenantId)
  })
  return auditKeySet(deps, tenantId)
}
