import type { webcrypto } from 'node:crypto'

/**
 * Compact JWS signing over WebCrypto, for what this package signs itself: private_key_jwt
 * assertions and DPoP proofs. Written by hand rather than with a JOSE library so the package
 * keeps no dependencies: with a known algorithm it is a few lines (WebCrypto's ECDSA output is
 * already JWS's r‖s); verification, the hard part, is the server's.
 */

export interface SigningParams {
  import: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams | webcrypto.Algorithm
  sign: webcrypto.EcdsaParams | webcrypto.RsaPssParams | webcrypto.Algorithm
}

export const SIGNING: Record<string, SigningParams> = {
  ES256: {
    import: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' },
  },
  ES384: {
    import: { name: 'ECDSA', namedCurve: 'P-384' },
    sign: { name: 'ECDSA', hash: 'SHA-384' },
  },
  RS256: {
    import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
  PS256: {
    import: { name: 'RSA-PSS', hash: 'SHA-256' },
    sign: { name: 'RSA-PSS', saltLength: 32 },
  },
  EdDSA: { import: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
}

export const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
export const encodeJson = (value: unknown) =>
  base64url(new TextEncoder().encode(JSON.stringify(value)))

/** `header.payload.signature`, both parts already base64url JSON. */
export async function signCompact(
  params: SigningParams,
  header: string,
  payload: string,
  key: webcrypto.CryptoKey,
): Promise<string> {
  const input = new TextEncoder().encode(`${header}.${payload}`)
  const signature = await crypto.subtle.sign(params.sign, key, input)
  return `${header}.${payload}.${base64url(new Uint8Array(signature))}`
}
