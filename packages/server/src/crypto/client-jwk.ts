import { calculateJwkThumbprint, importJWK } from 'jose'

import { ValidationError } from '../domain/errors.js'
import type { ClientJwk } from '../domain/model.js'

/**
 * Signature algorithms a client assertion may use (RFC 7523 with RFC 8725's advice): asymmetric
 * only. `none` and the HMAC family are never accepted — an HMAC "keyed" with a public key is the
 * classic algorithm-confusion attack.
 */
export const CLIENT_ASSERTION_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  'EdDSA',
] as const

/** How many public keys one application may register (room for a rotation or two). */
export const MAX_CLIENT_KEYS = 10
const MIN_RSA_BITS = 2048
const CURVES: Record<string, readonly string[]> = {
  EC: ['P-256', 'P-384', 'P-521'],
  OKP: ['Ed25519'],
}
const ALGORITHMS_OF: Record<string, readonly string[]> = {
  'EC/P-256': ['ES256'],
  'EC/P-384': ['ES384'],
  'EC/P-521': ['ES512'],
  'OKP/Ed25519': ['EdDSA'],
  RSA: ['PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'],
}
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

/** The algorithms a key of this type may verify (its `alg`, when it names one). */
export function algorithmsFor(jwk: ClientJwk): readonly string[] {
  const family = jwk.kty === 'RSA' ? 'RSA' : `${jwk.kty}/${jwk.crv ?? ''}`
  const all = ALGORITHMS_OF[family] ?? []
  return jwk.alg === undefined ? all : all.filter((a) => a === jwk.alg)
}

function text(field: string, value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 2048)
    throw new ValidationError(field, `${what} must be a non-empty string`)
  return value
}

/**
 * Checks one JWK an application registers and keeps only its public members. Refused: private
 * keys, symmetric keys, unknown curves, RSA under 2048 bits, an `alg` the key cannot use, and
 * anything `jose` cannot import. A key without `kid` is named by its RFC 7638 thumbprint.
 */
export async function parseClientJwk(
  field: string,
  value: unknown,
): Promise<{ jwk: ClientJwk; thumbprint: string }> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ValidationError(field, 'a key must be a JWK object')
  const input = value as Record<string, unknown>
  if (PRIVATE_MEMBERS.some((m) => m in input) || input['kty'] === 'oct') {
    throw new ValidationError(
      field,
      input['kty'] === 'oct'
        ? 'symmetric keys are not accepted: register the public half of an EC, RSA or Ed25519 key pair'
        : 'this JWK holds a private key: register only its public half (no "d")',
    )
  }
  const kty = input['kty']
  if (kty !== 'EC' && kty !== 'RSA' && kty !== 'OKP')
    throw new ValidationError(`${field}.kty`, 'kty must be "EC", "RSA" or "OKP"')
  const jwk: ClientJwk = { kty, kid: '' }
  if (kty === 'RSA') {
    jwk.n = text(`${field}.n`, input['n'], 'n')
    jwk.e = text(`${field}.e`, input['e'], 'e')
    const bits = Buffer.from(jwk.n, 'base64url').length * 8
    if (bits < MIN_RSA_BITS)
      throw new ValidationError(`${field}.n`, `RSA keys must have at least ${MIN_RSA_BITS} bits`)
  } else {
    const crv = input['crv']
    if (typeof crv !== 'string' || !(CURVES[kty] ?? []).includes(crv))
      throw new ValidationError(
        `${field}.crv`,
        `crv must be one of ${(CURVES[kty] ?? []).join(', ')} for kty "${kty}"`,
      )
    jwk.crv = crv
    jwk.x = text(`${field}.x`, input['x'], 'x')
    if (kty === 'EC') jwk.y = text(`${field}.y`, input['y'], 'y')
  }
  if (input['use'] !== undefined && input['use'] !== 'sig')
    throw new ValidationError(`${field}.use`, 'use must be "sig" (or absent)')
  if (input['alg'] !== undefined) {
    const alg = text(`${field}.alg`, input['alg'], 'alg')
    jwk.alg = alg
    if (algorithmsFor(jwk).length === 0)
      throw new ValidationError(`${field}.alg`, `alg "${alg}" cannot be used with this key`)
  }
  try {
    // Node checks the key itself here (an EC point must lie on its curve).
    await importJWK({ ...jwk, kid: undefined }, algorithmsFor(jwk)[0])
  } catch {
    throw new ValidationError(field, 'this JWK is not a valid public key')
  }
  const thumbprint = await calculateJwkThumbprint(jwk, 'sha256')
  const kid = input['kid'] === undefined ? thumbprint : text(`${field}.kid`, input['kid'], 'kid')
  if (kid.length > 200 || !/^[\x21-\x7e]+$/.test(kid))
    throw new ValidationError(`${field}.kid`, 'kid must be 1 to 200 printable ASCII characters')
  return { jwk: { ...jwk, kid }, thumbprint }
}

/** A JWK Set as registered: 1 to MAX_CLIENT_KEYS public keys with distinct `kid`s. */
export async function parseClientJwks(
  field: string,
  value: unknown,
): Promise<{ jwk: ClientJwk; thumbprint: string }[]> {
  const keys =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as { keys?: unknown }).keys
      : undefined
  if (!Array.isArray(keys) || keys.length === 0)
    throw new ValidationError(field, 'jwks must be a JWK Set: {"keys": [ …public keys… ]}')
  if (keys.length > MAX_CLIENT_KEYS)
    throw new ValidationError(field, `at most ${MAX_CLIENT_KEYS} keys may be registered`)
  const parsed = []
  for (const [i, key] of keys.entries())
    parsed.push(await parseClientJwk(`${field}.keys[${i}]`, key))
  assertDistinctKeys(field, parsed)
  return parsed
}

/** No two keys of one application share a kid or are the same key. */
export function assertDistinctKeys(
  field: string,
  keys: readonly { jwk: ClientJwk; thumbprint: string }[],
): void {
  const kids = new Set<string>()
  const prints = new Set<string>()
  for (const { jwk, thumbprint } of keys) {
    if (kids.has(jwk.kid)) throw new ValidationError(field, `kid "${jwk.kid}" is used twice`)
    if (prints.has(thumbprint))
      throw new ValidationError(field, `the key "${jwk.kid}" is already registered`)
    kids.add(jwk.kid)
    prints.add(thumbprint)
  }
}
