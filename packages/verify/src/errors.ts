import { DPOP_ALGORITHMS } from './dpop-proof.js'

/** RFC 6750 §3.1 error codes, and RFC 9449 §7.1's for a DPoP proof. */
export type BearerErrorCode =
  'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof'

const STATUS: Record<BearerErrorCode, number> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  invalid_dpop_proof: 401,
}

/** The DPoP proof algorithms a DPoP challenge names (RFC 9449 §7.1 `algs`). */
const DPOP_CHALLENGE_ALGS = DPOP_ALGORITHMS.join(' ')

/** Why a token was refused; `code` tells the reason apart, like jose's error codes. */
export type VerifyErrorReason =
  | 'ERR_TOKEN_MISSING'
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_TOO_LARGE'
  | 'ERR_TOKEN_SIGNATURE'
  | 'ERR_TOKEN_ALGORITHM'
  | 'ERR_TOKEN_TYPE'
  | 'ERR_TOKEN_ISSUER'
  | 'ERR_TOKEN_AUDIENCE'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_TOKEN_CLAIMS'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_REVOCATIONS_UNAVAILABLE'
  | 'ERR_INSUFFICIENT_SCOPE'
  | 'ERR_AUTHORIZATION_HEADER'
  | 'ERR_DISCOVERY'
  /**
   * A verifier of every tenant of a deployment has fetched `newTenantFetchesPerMinute` tenants'
   * keys in the last minute, so a token of yet another tenant is refused for now.
   */
  | 'ERR_TENANT_KEYS_LIMITED'
  | 'ERR_TOKEN_BOUND'
  | 'ERR_DPOP_PROOF'

/**
 * A refused token, with the RFC 6750 answer ready: `status` and `wwwAuthenticate`.
 * Descriptions say what failed, never key material or the token itself.
 *
 * @example
 * ```ts
 * try { await verifier.verify(token) } catch (e) {
 *   if (e instanceof TokenVerificationError) res.writeHead(e.status, { 'www-authenticate': e.wwwAuthenticate }).end()
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
/**
 * RFC 6750 §3: error_description "MUST NOT include characters outside the set %x20-21 /
 * %x23-5B / %x5D-7E": quotes become single, a backslash a slash, anything else a question mark.
 */
function describe(text: string): string {
  return text
    .replaceAll('"', "'")
    .replaceAll('\\', '/')
    .replace(/[^\x20-\x7E]/g, '?')
}

export class TokenVerificationError extends Error {
  override name = 'TokenVerificationError'
  readonly status: number

  constructor(
    readonly code: VerifyErrorReason,
    readonly bearerError: BearerErrorCode,
    message: string,
    readonly realm = 'api',
    /** For `insufficient_scope`: the scopes that would do. */
    readonly requiredScope?: string,
    /** The scheme of the challenge: `DPoP` for a DPoP-bound token or proof (RFC 9449 §7.1). */
    readonly scheme: 'Bearer' | 'DPoP' = 'Bearer',
  ) {
    super(message)
    this.status = STATUS[bearerError]
  }

  /** The `WWW-Authenticate` header value of this refusal. */
  get wwwAuthenticate(): string {
    const quote = (v: string) => v.replace(/[\\"]/g, '\\$&')
    if (this.code === 'ERR_TOKEN_MISSING') return `Bearer realm="${quote(this.realm)}"`
    const parts = [
      `${this.scheme} realm="${quote(this.realm)}"`,
      `error="${this.bearerError}"`,
      `error_description="${describe(this.message)}"`,
    ]
    if (this.requiredScope !== undefined) parts.push(`scope="${quote(this.requiredScope)}"`)
    if (this.scheme === 'DPoP') parts.push(`algs="${DPOP_CHALLENGE_ALGS}"`)
    return parts.join(', ')
  }

  /** The JSON body adapters send with the status. */
  toJSON(): { error: BearerErrorCode; error_description: string } {
    return { error: this.bearerError, error_description: describe(this.message) }
  }
}
