/** Why an outbound request was refused or failed; stable, for callers to branch on. */
export type OutboundErrorCode =
  | 'url' // not an absolute URL, or it carries userinfo
  | 'scheme' // not https
  | 'destination' // the address rule refused the host or one of its addresses
  | 'redirect' // a 3xx answer (never followed)
  | 'too_large' // the body is over maxBytes
  | 'timeout' // the whole exchange took longer than timeoutMs
  | 'http_status' // fetchJson: an answer other than 2xx
  | 'json' // fetchJson: the body is not JSON
  | 'network' // DNS failure, refused or reset connection
  | 'tls' // handshake or certificate verification failed

/**
 * A refused or failed outbound request. Messages name the origin (scheme, host, port) and never
 * the path or query: webhook and sink URLs often carry their secret there.
 */
export class OutboundError extends Error {
  override name = 'OutboundError'
  /** The HTTP status, for `redirect` and `http_status`. */
  readonly status: number | undefined

  constructor(
    readonly code: OutboundErrorCode,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.status = options.status
  }
}
