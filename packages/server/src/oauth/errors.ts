/** Error codes of RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 8707 §2 and RFC 6749 §4.1.2.1. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_token_type'
  | 'invalid_dpop_proof'
  | 'rate_limited'
  | 'temporarily_unavailable'
  | 'server_error'

/** One table: each code's HTTP status (like fosite's errors.go). */
const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  unsupported_token_type: 400,
  invalid_dpop_proof: 400,
  rate_limited: 429,
  temporarily_unavailable: 503,
  server_error: 500,
}

export interface OAuthErrorOptions {
  cause?: unknown
  headers?: Record<string, string>
  /** Overrides the table, e.g. 413 for an oversized body that is still `invalid_request`. */
  status?: number
}

/**
 * An error the client is told about, as `{ error, error_description }`. Descriptions name the
 * parameter or scope at fault; they never contain a secret and never reveal whether a client
 * id exists.
 */
export class OAuthError extends Error {
  override name = 'OAuthError'
  readonly status: number
  readonly headers: Record<string, string>

  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    options: OAuthErrorOptions = {},
  ) {
    super(
      `${code}: ${description}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    )
    this.status = options.status ?? STATUS[code]
    this.headers = options.headers ?? {}
  }
}
