import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
} from 'jose'

import { CLIENT_ASSERTION_ALGORITHMS, algorithmsFor } from '../crypto/client-jwk.js'
import type { ClientKey } from '../domain/model.js'
import { OAuthError } from './errors.js'

/** RFC 7523 §2.2: the only client assertion type accepted. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
/** How far ahead an assertion's `exp` may be: its `jti` is remembered until then. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300
/** Tolerated difference between the client's clock and ours. */
export const ASSERTION_CLOCK_SKEW_SECONDS = 30
const MAX_JTI_LENGTH = 256

/**
 * What an assertion claims before anything is verified: the client it names and the algorithm
 * of its header. A private_key_jwt assertion names the client in `iss` and `sub`; a workload's
 * platform token (federation) has an outside issuer, and the client is named by `client_id`.
 * Only the shape is checked here; a malformed assertion is refused before any storage is read.
 */
export function readClientAssertion(
  assertion: string,
  clientIdParameter?: string,
): { clientId: string; alg: string; federated: boolean } {
  let payload: JWTPayload
  let alg: unknown
  try {
    alg = decodeProtectedHeader(assertion).alg
    payload = decodeJwt(assertion)
  } catch {
    throw new OAuthError(
      'invalid_client',
      'client_assertion is not a signed JWT (three base64url parts: header.payload.signature)',
    )
  }
  if (
    typeof alg !== 'string' ||
    !(CLIENT_ASSERTION_ALGORITHMS as readonly string[]).includes(alg)
  ) {
    throw new OAuthError(
      'invalid_client',
      `client_assertion must be signed with one of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')}; "${String(alg).slice(0, 20)}" is not accepted`,
    )
  }
  const ownAssertion =
    typeof payload.sub === 'string' && payload.sub !== '' && payload.iss === payload.sub
  if (ownAssertion) return { clientId: payload.sub as string, alg, federated: false }
  if (
    clientIdParameter !== undefined &&
    clientIdParameter !== '' &&
    typeof payload.iss === 'string'
  )
    return { clientId: clientIdParameter, alg, federated: true }
  throw new OAuthError(
    'invalid_client',
    "client_assertion must name the client id in both iss and sub (RFC 7523 §3); a workload's platform token (federation) is sent with client_id",
  )
}

// Imported once per key (by thumbprint, so keys fetched again from a jwks_uri are not imported
// again), keeping the most recently added MAX_IMPORTED.
const MAX_IMPORTED = 10_000
const imported = new Map<string, Promise<CryptoKey | Uint8Array>>()
export function verificationKey(key: ClientKey, alg: string): Promise<CryptoKey | Uint8Array> {
  const cacheKey = `${key.thumbprint}:${alg}`
  let pending = imported.get(cacheKey)
  if (pending === undefined) {
    pending = importJWK({ ...key.jwk, kid: undefined, alg: undefined }, alg)
    if (imported.size >= MAX_IMPORTED) imported.delete(imported.keys().next().value ?? '')
    imported.set(cacheKey, pending)
  }
  return pending
}

/** jose's errors raised once the signature has verified: the claims, or the payload's shape. */
export function afterSignature(error: unknown): boolean {
  return (
    error instanceof errors.JWTClaimValidationFailed ||
    error instanceof errors.JWTExpired ||
    error instanceof errors.JWTInvalid
  )
}

export type AssertionCheck =
  | { ok: true; key: ClientKey; jti: string; expiresAt: Date }
  /** `proven`: a registered key verified the signature, so the holder may be told details. */
  | { ok: false; proven: boolean; description: string; reason: string }

/**
 * RFC 7523 §3 for a client assertion whose client is known: a registered key (by `kid`, or
 * every key able to verify its algorithm) verifies the signature; then `iss` = `sub` = the
 * client, `aud` one of `audiences`, `exp` present and at most MAX_ASSERTION_LIFETIME_SECONDS
 * ahead, `nbf`/`iat` not in the future, and a `jti`. The `jti` is claimed by the caller.
 */
export async function checkClientAssertion(
  assertion: string,
  keys: readonly ClientKey[],
  expected: { clientId: string; audiences: readonly string[]; now: Date },
): Promise<AssertionCheck> {
  const { alg, kid } = decodeProtectedHeader(assertion)
  const candidates = keys.filter(
    (k) => (kid === undefined || k.kid === kid) && algorithmsFor(k.jwk).includes(alg ?? ''),
  )
  for (const key of candidates) {
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(assertion, await verificationKey(key, alg ?? ''), {
        algorithms: [alg ?? ''],
        issuer: expected.clientId,
        subject: expected.clientId,
        audience: [...expected.audiences],
        requiredClaims: ['exp', 'jti'],
        clockTolerance: ASSERTION_CLOCK_SKEW_SECONDS,
        currentDate: expected.now,
      }))
    } catch (error) {
      // Told only once the signature verified: an error before it (a `crit` header) is not.
      if (!afterSignature(error)) continue
      return { ok: false, proven: true, ...claimRefusal(error, expected.audiences) }
    }
    const nowSeconds = Math.floor(expected.now.getTime() / 1000)
    if (typeof payload.iat === 'number' && payload.iat > nowSeconds + ASSERTION_CLOCK_SKEW_SECONDS)
      return {
        ok: false,
        proven: true,
        description:
          "client_assertion is not valid yet (iat is in the future); check the signing machine's clock",
        reason: 'assertion not yet valid',
      }
    const exp = payload.exp ?? 0
    if (exp - nowSeconds > MAX_ASSERTION_LIFETIME_SECONDS + ASSERTION_CLOCK_SKEW_SECONDS) {
      return {
        ok: false,
        proven: true,
        description: `client_assertion expires too far ahead: exp may be at most ${MAX_ASSERTION_LIFETIME_SECONDS} seconds from now`,
        reason: 'assertion lifetime too long',
      }
    }
    const jti = payload.jti ?? ''
    if (jti === '' || jti.length > MAX_JTI_LENGTH) {
      return {
        ok: false,
        proven: true,
        description: `client_assertion's jti must be a unique string of 1 to ${MAX_JTI_LENGTH} characters`,
        reason: 'assertion jti malformed',
      }
    }
    return { ok: true, key, jti, expiresAt: new Date(exp * 1000) }
  }
  return {
    ok: false,
    proven: false,
    description: '',
    reason:
      candidates.length === 0
        ? 'no registered key matches the assertion (kid or algorithm)'
        : 'no registered key verifies the assertion',
  }
}

function claimRefusal(
  error: unknown,
  audiences: readonly string[],
): { description: string; reason: string } {
  if (error instanceof errors.JWTExpired)
    return {
      description: 'client_assertion has expired; sign a fresh one for each request',
      reason: 'assertion expired',
    }
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'aud':
        return {
          description: `client_assertion's aud must be this server's issuer or token endpoint: ${audiences.map((a) => `"${a}"`).join(' or ')}`,
          reason: 'assertion audience wrong',
        }
      case 'iss':
      case 'sub':
        return {
          description: "client_assertion's iss and sub must both be the client id",
          reason: 'assertion issuer wrong',
        }
      case 'nbf':
      case 'iat':
        return {
          description: `client_assertion is not valid yet (${error.claim} is in the future); check the signing machine's clock`,
          reason: 'assertion not yet valid',
        }
      default:
        return {
          description: `client_assertion must carry a valid "${error.claim}" claim`,
          reason: `assertion ${error.claim} missing`,
        }
    }
  }
  return {
    description: 'client_assertion is not a valid JWT',
    reason: 'assertion invalid',
  }
}
