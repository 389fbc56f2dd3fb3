import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  errors,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose'

import { findDuplicateMember } from './duplicate-member.js'

/**
 * RFC 9449 §4.3: the checks of a DPoP proof, one owner for both sides — the authorization
 * server binding a token to the proof's key, and a resource server checking that the caller
 * holds the key the token is bound to. Replay (`jti`) is the caller's: a database on the server,
 * a bounded memory in a verifier.
 */

/** Asymmetric algorithms only (RFC 9449 §4.3 step 4: never `none`, never MAC). */
export const DPOP_ALGORITHMS = [
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

/** A proof is accepted this long after its `iat`, and this far before it (clock skew). */
export const DPOP_MAX_AGE_SECONDS = 300
export const DPOP_CLOCK_SKEW_SECONDS = 30
const MAX_PROOF_BYTES = 8192
const MAX_JTI_LENGTH = 256

/** Why a proof was refused; `message` says what to fix, never the proof itself. */
export class DpopProofError extends Error {
  override name = 'DpopProofError'
}

export interface DpopExpectation {
  /** The HTTP method of the request the proof came with. */
  method: string
  /** The URL of the request the proof came with (query and fragment are ignored). */
  url: string
  /** Seconds since the epoch. */
  nowSeconds: number
  /** At a resource server: the access token presented with the proof (its hash is `ath`). */
  accessToken?: string
}

export interface CheckedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: what a bound token's `cnf.jkt` holds. */
  jkt: string
  jti: string
  iat: number
  /** Until when the `jti` must be remembered to refuse a replay. */
  replayWindowEndsAt: number
}

/** RFC 9449 §4.3 step 8: scheme and host compared case-insensitively, no query or fragment. */
export function dpopTargetUri(url: string): string {
  const parsed = new URL(url)
  parsed.search = ''
  parsed.hash = ''
  return parsed.href
}

/** The one `DPoP` header value, or why there is none to check. */
export function singleDpopHeader(
  value: string | readonly string[] | undefined,
): string | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') {
    if (value.includes(',')) throw new DpopProofError('send exactly one DPoP header')
    return value
  }
  if (value.length !== 1) throw new DpopProofError('send exactly one DPoP header')
  return value[0]
}

function base64urlBytes(segment: string): Uint8Array {
  const binary = atob(segment.replace(/-/g, '+').replace(/_/g, '/'))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

/** Members only a private or symmetric key has: a proof's `jwk` must be a public key. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

// A client signs every proof with the same key, so its import and thumbprint are kept (by the
// header's JWK as sent, so a different JWK is a different entry), the most recent MAX_KEYS.
const MAX_KEYS = 10_000
const proofKeys = new Map<string, Promise<{ key: CryptoKey | Uint8Array; jkt: string }>>()

function proofKey(jwk: JWK, alg: string): Promise<{ key: CryptoKey | Uint8Array; jkt: string }> {
  const cacheKey = `${alg}:${JSON.stringify(jwk)}`
  let entry = proofKeys.get(cacheKey)
  if (entry === undefined) {
    entry = (async () => ({
      key: await importJWK({ ...jwk, ext: true }, alg),
      jkt: await calculateJwkThumbprint(jwk, 'sha256'),
    }))()
    // A key that cannot be imported is not kept: the next proof tries again (and fails again).
    entry.catch(() => proofKeys.delete(cacheKey))
    if (proofKeys.size >= MAX_KEYS) proofKeys.delete(proofKeys.keys().next().value ?? '')
    proofKeys.set(cacheKey, entry)
  }
  return entry
}

async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)),
  )
  // btoa, not Buffer: the verifier also runs where Node's Buffer does not (Hono on the edge).
  return btoa(String.fromCharCode(...digest))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

/** Checks a DPoP proof JWT (RFC 9449 §4.3 steps 2–11, except `jti` replay and nonces). */
export async function checkDpopProof(
  proof: string,
  expected: DpopExpectation,
): Promise<CheckedDpopProof> {
  if (proof.length > MAX_PROOF_BYTES)
    throw new DpopProofError(`the DPoP proof is larger than ${MAX_PROOF_BYTES} bytes`)
  let wanted: string
  try {
    wanted = dpopTargetUri(expected.url)
  } catch {
    throw new DpopProofError('the request URL cannot be read, so no DPoP proof can match it')
  }
  // A member named twice (two `htu`s) would be read one way here and maybe another elsewhere.
  for (const segment of proof.split('.', 2)) {
    let repeated: string | undefined
    try {
      repeated = findDuplicateMember(new TextDecoder().decode(base64urlBytes(segment)))
    } catch {
      throw new DpopProofError('the DPoP proof is not a valid signed JWT')
    }
    if (repeated !== undefined) throw new DpopProofError('the DPoP proof repeats a member name')
  }
  let payload: JWTPayload
  let jkt: string
  try {
    const { jwk, alg } = decodeProtectedHeader(proof)
    if (typeof jwk !== 'object' || Array.isArray(jwk))
      throw new DpopProofError('the DPoP proof needs its public key in a "jwk" header')
    if (PRIVATE_MEMBERS.some((member) => member in jwk))
      throw new DpopProofError('the DPoP proof\'s "jwk" header must be a public key')
    if (typeof alg !== 'string' || !(DPOP_ALGORITHMS as readonly string[]).includes(alg))
      throw new DpopProofError(
        `the DPoP proof must be signed with one of ${DPOP_ALGORITHMS.join(', ')}`,
      )
    const imported = await proofKey(jwk, alg)
    jkt = imported.jkt
    ;({ payload } = await jwtVerify(proof, imported.key, {
      typ: 'dpop+jwt',
      algorithms: [alg],
      requiredClaims: ['jti', 'iat', 'htm', 'htu'],
    }))
  } catch (error) {
    if (error instanceof DpopProofError) throw error
    throw new DpopProofError(refusalOf(error))
  }
  const { jti, iat, htm, htu, ath } = payload as JWTPayload & {
    htm?: unknown
    htu?: unknown
    ath?: unknown
  }
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH)
    throw new DpopProofError(
      `the DPoP proof's jti must be a string of 1 to ${MAX_JTI_LENGTH} characters`,
    )
  if (typeof htm !== 'string' || htm !== expected.method.toUpperCase())
    throw new DpopProofError(
      `the DPoP proof's htm must be "${expected.method.toUpperCase()}", the request's method`,
    )
  let target: string | undefined
  try {
    target = typeof htu === 'string' ? dpopTargetUri(htu) : undefined
  } catch {
    target = undefined
  }
  if (target !== wanted)
    throw new DpopProofError(
      `the DPoP proof's htu must be "${wanted}", the URL the request was sent to`,
    )
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw new DpopProofError("the DPoP proof's iat must be a number")
  if (iat > expected.nowSeconds + DPOP_CLOCK_SKEW_SECONDS)
    throw new DpopProofError("the DPoP proof's iat is in the future; check the client's clock")
  if (iat < expected.nowSeconds - DPOP_MAX_AGE_SECONDS - DPOP_CLOCK_SKEW_SECONDS)
    throw new DpopProofError(
      `the DPoP proof is older than ${DPOP_MAX_AGE_SECONDS} seconds; make a new one for each request`,
    )
  if (expected.accessToken !== undefined) {
    if (typeof ath !== 'string' || ath !== (await sha256(expected.accessToken)))
      throw new DpopProofError(
        "the DPoP proof's ath must be the base64url SHA-256 of the access token sent with it",
      )
  }
  return {
    jkt,
    jti,
    iat,
    replayWindowEndsAt: iat + DPOP_MAX_AGE_SECONDS + DPOP_CLOCK_SKEW_SECONDS,
  }
}

function refusalOf(error: unknown): string {
  if (error instanceof errors.JOSEAlgNotAllowed)
    return `the DPoP proof must be signed with one of ${DPOP_ALGORITHMS.join(', ')}`
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'typ') return 'the DPoP proof\'s typ header must be "dpop+jwt"'
    return `the DPoP proof must carry a valid "${error.claim}" claim`
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return 'the DPoP proof\'s signature does not verify with its "jwk" header'
  if (error instanceof errors.JWSInvalid && /jwk/i.test(error.message))
    return 'the DPoP proof\'s "jwk" header must be a public key'
  return 'the DPoP proof is not a valid signed JWT'
}

/**
 * Remembers proof `jti`s per key until their window ends, to refuse a replay within one process
 * (a resource server's verifier). Bounded: the oldest entries go first when it is full.
 */
export class DpopReplayCache {
  readonly #seen = new Map<string, number>()

  constructor(private readonly maxEntries = 100_000) {}

  /** False if this proof was seen before (a replay). */
  claim(proof: CheckedDpopProof, nowSeconds: number): boolean {
    const key = `${proof.jkt}:${proof.jti}`
    const until = this.#seen.get(key)
    if (until !== undefined && until >= nowSeconds) return false
    if (this.#seen.size >= this.maxEntries) {
      // Expired entries go first; only if none has expired is the oldest forgotten (a client
      // sending more proofs than maxEntries within one window could then replay its oldest).
      for (const [k, end] of this.#seen) if (end < nowSeconds) this.#seen.delete(k)
      for (const k of this.#seen.keys()) {
        if (this.#seen.size < this.maxEntries) break
        this.#seen.delete(k)
      }
    }
    this.#seen.set(key, proof.replayWindowEndsAt)
    return true
  }
}
