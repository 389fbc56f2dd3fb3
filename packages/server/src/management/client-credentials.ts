import { randomBytes } from 'node:crypto'

import { generateClientSecret, secretHint } from '../crypto/secret-format.js'
import { ValidationError } from '../domain/errors.js'
import type { ClientJwk, ClientJwksUri, ClientKey, ClientSecret } from '../domain/model.js'
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
