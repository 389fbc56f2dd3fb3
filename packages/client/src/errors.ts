/**
 * Every error of this package. None ever carries a client secret, password, token or
 * Authorization header: not in its message, its properties, its `cause` or its stack.
 */
export class TokenSourceError extends Error {
  override name = 'TokenSourceError'
}

/**
 * The server answered with an OAuth 2.0 error (RFC 6749 §5.2), or a non-2xx without one.
 *
 * @example
 * ```ts
 * try { await tokens.getToken() } catch (e) {
 *   if (e instanceof OAuthResponseError && e.error === 'invalid_client') rotateCredentials()
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export class OAuthResponseError extends TokenSourceError {
  override name = 'OAuthResponseError'
  constructor(
    readonly error: string,
    readonly error_description: string | undefined,
    readonly status: number,
  ) {
    super(
      `the token endpoint answered ${status} ${error}${error_description === undefined ? '' : `: ${error_description}`}`,
    )
  }
}

/** The issue's name for {@link OAuthResponseError}. */
export const OAuthError = OAuthResponseError
export type OAuthError = OAuthResponseError

/** No answer within `timeoutMs` (after every retry). */
export class TokenRequestTimeoutError extends TokenSourceError {
  override name = 'TokenRequestTimeoutError'
}

/** The token endpoint could not be reached (DNS, refused or reset connection, TLS). */
export class TokenEndpointUnreachableError extends TokenSourceError {
  override name = 'TokenEndpointUnreachableError'
  constructor(
    message: string,
    /** The platform's error code, e.g. `ECONNREFUSED`, when there is one. */
    readonly code: string | undefined,
  ) {
    super(message)
  }
}

/** A 2xx answer that is not a usable token response (not JSON, no `access_token`). */
export class InvalidTokenResponseError extends TokenSourceError {
  override name = 'InvalidTokenResponseError'
}

/** The issuer's RFC 8414 / OpenID metadata could not be read or does not match the issuer. */
export class DiscoveryError extends TokenSourceError {
  override name = 'DiscoveryError'
}
