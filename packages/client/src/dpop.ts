import type { webcrypto } from 'node:crypto'

import { base64url, encodeJson, SIGNING, signCompact } from './jws.js'

/** A DPoP key pair (RFC 9449): WebCrypto ES256 keys, the private one never extractable. */
export interface DpopKeyPair {
  readonly privateKey: unknown
  readonly publicKey: unknown
}

/**
 * Makes the DPoP proofs of one token source: one key for its life (tokens are bound to it),
 * a fresh proof per request, and the last nonce each server asked for (RFC 9449 §8, §9).
 */
export interface DpopSigner {
  proof(method: string, url: string, accessToken?: string): Promise<string>
  /** Remembers a `DPoP-Nonce` a server sent, for its next proofs. */
  rememberNonce(url: string, nonce: string | null): void
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return base64url(new Uint8Array(digest))
}

/** RFC 9449 §4.2: `htu` is the request URL without query and fragment. */
function targetUri(url: string): string {
  const parsed = new URL(url)
  parsed.search = ''
  parsed.hash = ''
  return parsed.href
}

export function dpopSigner(given?: DpopKeyPair): DpopSigner {
  const keys: Promise<webcrypto.CryptoKeyPair> =
    given === undefined
      ? crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
      : Promise.resolve(given as webcrypto.CryptoKeyPair)
  const publicJwk = keys.then(async ({ publicKey }) => {
    const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', publicKey)
    return { kty, crv, x, y }
  })
  // Don't leave an unhandled rejection before the first proof (a runtime without WebCrypto).
  publicJwk.catch(() => undefined)
  const nonces = new Map<string, string>()
  const params = SIGNING['ES256']
  if (params === undefined) throw new Error('ES256 signing parameters are missing')
  return {
    async proof(method, url, accessToken) {
      const nonce = nonces.get(new URL(url).origin)
      const header = encodeJson({ typ: 'dpop+jwt', alg: 'ES256', jwk: await publicJwk })
      const payload = encodeJson({
        jti: crypto.randomUUID(),
        htm: method.toUpperCase(),
        htu: targetUri(url),
        iat: Math.floor(Date.now() / 1000),
        ...(accessToken !== undefined && { ath: await sha256(accessToken) }),
        ...(nonce !== undefined && { nonce }),
      })
      return signCompact(params, header, payload, (await keys).privateKey)
    },
    rememberNonce(url, nonce) {
      if (nonce !== null && nonce !== '') nonces.set(new URL(url).origin, nonce)
    },
  }
}
