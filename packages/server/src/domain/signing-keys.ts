import type { SigningKey } from './model.js'

/**
 * The associated data a private key is sealed with (crypto/key-sealer): it binds the sealed
 * blob to its tenant and kid. Sealing and opening must agree, or keys stop decrypting.
 */
export function sealingContext(key: Pick<SigningKey, 'tenantId' | 'kid'>): string {
  return `${key.tenantId}/${key.kid}`
}

/** Whether JWKS still lists the key: until every token a retired key signed has expired. */
export function isPublished(key: SigningKey, now: Date): boolean {
  if (key.status !== 'retired') return true
  return key.publishUntil !== null && key.publishUntil.getTime() > now.getTime()
}
