import { checkDpopProof, DpopProofError, DpopReplayCache, singleDpopHeader } from './dpop-proof.js'
import { TokenVerificationError } from './errors.js'
import type { AccessTokenClaims } from './verifier.js'

/**
 * What a request presents: its `Authorization` and `DPoP` headers, and — for a DPoP proof —
 * the method and URL it was sent to (RFC 9449 §7).
 */
export interface RequestCredentials {
  authorization: string | undefined
  dpop?: string | readonly string[] | undefined
  method?: string
  /** The full URL the client sent the request to (scheme, host, path). */
  url?: string
}

/** The key a DPoP-bound token is bound to (RFC 9449 §6 `cnf.jkt`), if it is bound. */
export function boundKeyOf(claims: AccessTokenClaims): string | undefined {
  const cnf = claims['cnf'] as { jkt?: unknown } | undefined
  return typeof cnf?.jkt === 'string' ? cnf.jkt : undefined
}

export interface RequestVerifierDeps {
  /** Verifies the token itself (signature, claims, revocation), whatever it is bound to. */
  verifyToken(token: string): Promise<AccessTokenClaims>
  realm: string
  now: () => number
  /** The origin clients reach this API at, when a proxy stands in front (for `htu`). */
  publicUrl: string | undefined
}

const TOKEN = /^([A-Za-z0-9._~+/-]+=*) *$/

/**
 * RFC 6750 and RFC 9449 at a resource server: a `Bearer` token must not be DPoP-bound (else a
 * stolen bound token would work without its key); a `DPoP` token must be bound, and come with a
 * proof for this request — method, URL, `ath` of the token, fresh, never seen before — signed by
 * the very key the token names.
 */
export function requestVerifier(deps: RequestVerifierDeps) {
  const replay = new DpopReplayCache()
  const { realm } = deps

  const refuse = (code: 'ERR_TOKEN_BOUND' | 'ERR_DPOP_PROOF', message: string) =>
    new TokenVerificationError(
      code,
      code === 'ERR_DPOP_PROOF' ? 'invalid_dpop_proof' : 'invalid_token',
      message,
      realm,
      undefined,
      'DPoP',
    )

  /** A token presented as Bearer: refused if bound to a key. */
  async function bearer(token: string): Promise<AccessTokenClaims> {
    const claims = await deps.verifyToken(token)
    if (boundKeyOf(claims) !== undefined)
      throw refuse(
        'ERR_TOKEN_BOUND',
        'this token is bound to a DPoP key: send it as "Authorization: DPoP <token>" with a DPoP proof',
      )
    return claims
  }

  function targetUrl(url: string): string {
    if (deps.publicUrl === undefined) return url
    const observed = new URL(url)
    return new URL(`${observed.pathname}${observed.search}`, deps.publicUrl).href
  }

  async function dpop(token: string, request: RequestCredentials): Promise<AccessTokenClaims> {
    let proof: string | undefined
    try {
      proof = singleDpopHeader(request.dpop)
    } catch (error) {
      throw refuse('ERR_DPOP_PROOF', (error as Error).message)
    }
    if (proof === undefined)
      throw refuse('ERR_DPOP_PROOF', 'a DPoP token needs a DPoP proof in the DPoP header')
    if (request.method === undefined || request.url === undefined)
      throw refuse('ERR_DPOP_PROOF', 'the request method and URL are needed to check a DPoP proof')
    const claims = await deps.verifyToken(token)
    const jkt = boundKeyOf(claims)
    if (jkt === undefined)
      throw new TokenVerificationError(
        'ERR_AUTHORIZATION_HEADER',
        'invalid_token',
        'this token is not DPoP-bound: send it as "Authorization: Bearer <token>"',
        realm,
        undefined,
        'DPoP',
      )
    const nowSeconds = Math.floor(deps.now() / 1000)
    let url: string
    try {
      url = targetUrl(request.url)
    } catch {
      throw refuse(
        'ERR_DPOP_PROOF',
        'the request URL cannot be read, so no DPoP proof can match it',
      )
    }
    try {
      const checked = await checkDpopProof(proof, {
        method: request.method,
        url,
        nowSeconds,
        accessToken: token,
      })
      if (checked.jkt !== jkt)
        throw new DpopProofError(
          'the DPoP proof is signed by another key than the token is bound to',
        )
      if (!replay.claim(checked, nowSeconds))
        throw new DpopProofError(
          'the DPoP proof has been used before (same jti): make a new proof for each request',
        )
    } catch (error) {
      if (error instanceof DpopProofError) throw refuse('ERR_DPOP_PROOF', error.message)
      throw error
    }
    return claims
  }

  return {
    bearer,
    async verify(request: RequestCredentials): Promise<AccessTokenClaims> {
      const header = request.authorization
      if (header === undefined || header === '') {
        throw new TokenVerificationError(
          'ERR_TOKEN_MISSING',
          'invalid_token',
          'an access token is required',
          realm,
        )
      }
      const space = header.indexOf(' ')
      const scheme = header.slice(0, Math.max(0, space)).toLowerCase()
      const token = TOKEN.exec(header.slice(space + 1).trimStart())?.[1]
      if (token !== undefined && scheme === 'bearer') return bearer(token)
      if (token !== undefined && scheme === 'dpop') return dpop(token, request)
      throw new TokenVerificationError(
        'ERR_AUTHORIZATION_HEADER',
        'invalid_request',
        'the Authorization header must be "Bearer <token>" or "DPoP <token>"',
        realm,
      )
    },
  }
}
