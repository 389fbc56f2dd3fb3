/** Credentials of an application created with `--introspect`, to follow the revocation feed. */
export interface FeedOptions {
  clientId: string
  clientSecret: string
  /**
   * When the feed has not been heard from for `maxStalenessMs`: `closed` rejects every token
   * (a revoked token can never slip through, at the cost of availability), `open` accepts
   * tokens that are otherwise valid (availability first; a revocation may go unnoticed until
   * the feed is back). Default `closed`.
   */
  failMode?: 'closed' | 'open'
  /** Default 30 000 ms. */
  maxStalenessMs?: number
  /** Reconnect when the stream is silent this long (the server beats every 15 s). Default 35 000 ms. */
  heartbeatTimeoutMs?: number
}

/**
 * The scope-use report: which scopes each client's requests were checked against, sent to the
 * authorization server so it can show granted scopes that no request ever needs.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, audience, revocationFeed, reportScopeUse: { intervalMs: 300_000 } })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export interface ScopeUseReportOptions {
  /** How often the counts are sent (and forgotten). Default 60 000 ms. */
  intervalMs?: number
  /**
   * Distinct (client, scope) pairs counted between two reports. A new pair beyond it is not
   * counted until the next report; pairs already held still are. Default 10 000.
   */
  maxEntries?: number
}

export interface VerifierOptions {
  /** The tenant's issuer, e.g. `https://auth.example.com/t/acme`. */
  issuer: string
  /** This API's audience; a token must name it in `aud`. */
  audience: string
  /** Narrows the server's algorithms; never `none` or HMAC whatever is given. */
  algorithms?: string[]
  /** Allowed clock skew for `exp`, `nbf` and `iat`. Default 5 s. */
  clockToleranceSeconds?: number
  revocationFeed?: FeedOptions
  /**
   * Report which scopes each client's requests were checked against (client id, scope, count,
   * last time; never the token). Sent with the `revocationFeed` credentials, which it requires.
   * `true` takes the defaults. Default off.
   */
  reportScopeUse?: boolean | ScopeUseReportOptions
  /** Verified tokens kept for a map look-up. Default 10 000. */
  cacheSize?: number
  /** Least time between JWKS refetches on an unknown `kid`. Default 5 000 ms. */
  jwksCooldownMs?: number
  /** Tokens longer than this are refused before parsing. Default 8 192. */
  maxTokenBytes?: number
  /**
   * The origin clients reach this API at (e.g. `https://api.example.com`), when a proxy stands
   * in front and the URL the server sees differs: DPoP proofs name the URL the client used.
   */
  publicUrl?: string
  /** `realm` of WWW-Authenticate. Default `api`. */
  realm?: string
  fetch?: typeof fetch
  now?: () => number
}
