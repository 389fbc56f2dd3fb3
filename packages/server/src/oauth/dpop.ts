import { checkDpopProof, DpopProofError, singleDpopHeader } from '@tokenmint/verify'

import { OAuthError } from './errors.js'

/** The key a token request's DPoP proof binds its tokens to (RFC 9449 `cnf.jkt`). */
export interface DpopBinding {
  jkt: string
}

export interface DpopDeps {
  /** False if this key's proof `jti` was used before (shared by every node on the database). */
  claimProof(jkt: string, jti: string, until: Date, now: Date): Promise<boolean>
}

/**
 * RFC 9449 §5 at the token endpoint: the request's `DPoP` header, if any, checked against the
 * endpoint's own URL and method (the shared rules of @tokenmint/verify), its `jti` accepted once
 * on every node. A bad proof is `400 invalid_dpop_proof` and issues nothing.
 */
export async function dpopBinding(
  header: string | readonly string[] | undefined,
  expected: { url: string; now: Date },
  deps: DpopDeps,
): Promise<DpopBinding | undefined> {
  let proof: string | undefined
  try {
    proof = singleDpopHeader(header)
    if (proof === undefined) return undefined
    const nowSeconds = Math.floor(expected.now.getTime() / 1000)
    const checked = await checkDpopProof(proof, {
      method: 'POST',
      url: expected.url,
      nowSeconds,
    })
    let firstUse: boolean
    try {
      firstUse = await deps.claimProof(
        checked.jkt,
        checked.jti,
        new Date(checked.replayWindowEndsAt * 1000),
        expected.now,
      )
    } catch (cause) {
      throw new OAuthError(
        'temporarily_unavailable',
        'the DPoP proof could not be checked against earlier ones; try again shortly',
        { cause, headers: { 'Retry-After': '1' } },
      )
    }
    if (!firstUse)
      throw new DpopProofError(
        'the DPoP proof has been used before (same jti): make a new proof for each request',
      )
    return { jkt: checked.jkt }
  } catch (error) {
    if (error instanceof DpopProofError) throw new OAuthError('invalid_dpop_proof', error.message)
    throw error
  }
}
