import { constants, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'

export type SigningAlgorithm = 'ES256' | 'RS256' | 'PS256' | 'EdDSA'
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['ES256', 'RS256', 'PS256', 'EdDSA']

export interface PublicJwk {
  kty: string
  kid: string
  alg: SigningAlgorithm
  use: 'sig'
  crv?: string
  x?: string
  y?: string
  n?: string
  e?: string
}

export interface GeneratedKey {
  publicJwk: PublicJwk
  /** PKCS#8 DER; seal it before it leaves memory. */
  privateKeyDer: Buffer
}

export function generateSigningKey(alg: SigningAlgorithm, kid: string): GeneratedKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = pair.publicKey.export({ format: 'jwk' })
  const publicJwk: PublicJwk = { kty: String(jwk.kty), kid, alg, use: 'sig' }
  for (const member of ['crv', 'x', 'y', 'n', 'e'] as const) {
    const value = jwk[member]
    if (typeof value === 'string') publicJwk[member] = value
  }
  return { publicJwk, privateKeyDer: pair.privateKey.export({ format: 'der', type: 'pkcs8' }) }
}

export interface JwsSigner {
  readonly kid: string
  readonly alg: SigningAlgorithm
  /** Serialises `claims` as the payload of a compact JWS with header `typ: at+jwt`. */
  sign(claims: object): string
}

/**
 * Compact JWS signing with `node:crypto` and a `KeyObject` parsed once.
 *
 * Written by hand rather than with jose's `SignJWT` because token signing is the hot path:
 * jose signs through WebCrypto (async, re-wrapping the key on each call), about 3× slower than
 * a synchronous `crypto.sign` here. This is only framing (RFC 7515 §7.1): base64url(header) "."
 * base64url(payload) "." base64url(signature), with ECDSA signatures in the IEEE P1363 (r‖s)
 * form RFC 7518 §3.4 requires. Every algorithm is cross-checked against jose's verification in
 * the tests; verification itself always stays on jose.
 */
export function createJwsSigner(
  alg: SigningAlgorithm,
  kid: string,
  privateKeyDer: Buffer,
): JwsSigner {
  const key: KeyObject = createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' })
  const encodedHeader = Buffer.from(JSON.stringify({ alg, kid, typ: 'at+jwt' })).toString(
    'base64url',
  )
  const digest = alg === 'EdDSA' ? null : 'sha256'
  const keyInput =
    alg === 'ES256'
      ? { key, dsaEncoding: 'ieee-p1363' as const }
      : alg === 'PS256'
        ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
        : key
  return {
    kid,
    alg,
    sign(claims) {
      const signingInput = `${encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
      const signature = sign(digest, Buffer.from(signingInput), keyInput)
      return `${signingInput}.${signature.toString('base64url')}`
    },
  }
}
