/**
 * Tells the errors of this package apart, like jose's error codes; stable across versions.
 *
 * @example
 * ```ts
 * if (error instanceof TokenSourceError && error.code === 'ERR_TOKEN_ENDPOINT_UNREACHABLE') retryLater()
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export type TokenSourceErrorCode =
  | 'ERR_OAUTH_RESPONSE'
  | 'ERR_TOKEN_REQUEST_TIMEOUT'
  | 'ERR_TOKEN_ENDPOINT_UNREACHABLE'
  | 'ERR_INVALID_TOKEN_RESPONSE'
  | 'ERR_DISCOVERY'
  | 'ERR_CLIENT_ASSERTION'

/**
 * The base of every error a token source throws. None carries a client secret, password,
 * access or refresh token, or Authorization header: not in its message, its properties, its
 * `cause` or its stack. Platform errors are not attached as `cause`, because they may describe
 * the request; what is useful of them (such as `ECONNREFUSED`) is copied instead.
 *
 * @example
 * ```ts
 * try {
 *   await tokens.getToken()
 * } catch (error) {
 *   if (error instanceof TokenSourceError) console.error(error.code, error.message) // safe to log
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export abstract class TokenSourceError extends Error {
  abstract readonly code: TokenSourceErrorCode
}

/**
 * The server answered with an OAuth 2.0 error (RFC 6749 §5.2), or with another non-2xx status
 * (then `error` is `http_<status>`). 4xx answers are never retried; 5xx and 429 are thrown once
 * the retries are spent. Known secrets are redacted from what the server wrote.
 *
 * @example
 * ```ts
 * try {
 *   await tokens.getToken()
 * } catch (error) {
 *   if (error instanceof OAuthResponseError && error.error === 'invalid_client') alertOnCall()
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export class OAuthResponseError extends TokenSourceError {
  override name = 'OAuthResponseError'
  readonly code = 'ERR_OAUTH_RESPONSE'

  constructor(
    /** The RFC 6749 §5.2 error code, e.g. `invalid_client`, or `http_<status>` without one. */
    readonly error: string,
    /** The server's explanation, when it gave one. */
    readonly error_description: string | undefined,
    /** The HTTP status of the answer. */
    readonly status: number,
  ) {
    super(
      `the token endpoint answered ${status} ${error}${error_description === undefined ? '' : `: ${error_description}`}`,
    )
  }
}

/**
 * The name the issue uses for {@link OAuthResponseError}; the same class.
 *
 * @example
 * ```ts
 * if (error instanceof OAuthError) console.error(error.error, error.status)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export const OAuthError = OAuthResponseError
/** The name the issue uses for {@link OAuthResponseError}. */
export type OAuthError = OAuthResponseError

/**
 * No complete answer arrived within `timeoutMs`, on the last attempt the retry bounds allowed.
 *
 * @example
 * ```ts
 * const tokens = createTokenSource({ tokenUrl, clientId, clientSecret, timeoutMs: 2_000 })
 * await tokens.getToken().catch((e) => e instanceof TokenRequestTimeoutError && failOver())
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2
 */
export class TokenRequestTimeoutError extends TokenSourceError {
  override name = 'TokenRequestTimeoutError'
  readonly code = 'ERR_TOKEN_REQUEST_TIMEOUT'
}

/**
 * The token endpoint could not be reached: DNS failure, refused or reset connection, TLS
 * failure, on the last attempt the retry bounds allowed.
 *
 * @example
 * ```ts
 * await tokens.getToken().catch((e) => {
 *   if (e instanceof TokenEndpointUnreachableError) console.error(e.networkCode) // e.g. ECONNREFUSED
 * })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export class TokenEndpointUnreachableError extends TokenSourceError {
  override name = 'TokenEndpointUnreachableError'
  readonly code = 'ERR_TOKEN_ENDPOINT_UNREACHABLE'

  constructor(
    message: string,
    /** The platform's error code, e.g. `ECONNREFUSED` or `UND_ERR_SOCKET`, when there is one. */
    readonly networkCode: string | undefined,
  ) {
    super(message)
  }
}

/**
 * A 2xx answer that is not a usable token response: not JSON, no `access_token`, or a token
 * with characters RFC 6749 does not allow. Not retried.
 *
 * @example
 * ```ts
 * await tokens.getToken().catch((e) => e instanceof InvalidTokenResponseError && reportBrokenServer(e.message))
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export class InvalidTokenResponseError extends TokenSourceError {
  override name = 'InvalidTokenResponseError'
  readonly code = 'ERR_INVALID_TOKEN_RESPONSE'
}

/**
 * The issuer's RFC 8414 (or OpenID) metadata could not be found, read or trusted: no document at
 * any well-known location, no `token_endpoint`, or an `issuer` other than the one configured.
 *
 * @example
 * ```ts
 * const tokens = createTokenSource({ issuer: 'https://auth.example.com/t/acme', clientId, clientSecret })
 * await tokens.getToken().catch((e) => e instanceof DiscoveryError && console.error(e.message))
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export class DiscoveryError extends TokenSourceError {
  override name = 'DiscoveryError'
  readonly code = 'ERR_DISCOVERY'
}

/**
 * The client assertion could not be had: the platform token file is missing or empty, GitHub's
 * token service is unreachable or the job lacks `id-token: write`. Not retried: the message
 * says what to fix.
 *
 * @example
 * ```ts
 * const tokens = createTokenSource({ tokenUrl, clientId, clientAssertion: tokenFile(path) })
 * await tokens.getToken().catch((e) => e instanceof ClientAssertionError && console.error(e.message))
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
export class ClientAssertionError extends TokenSourceError {
  override name = 'ClientAssertionError'
  readonly code = 'ERR_CLIENT_ASSERTION'
}
