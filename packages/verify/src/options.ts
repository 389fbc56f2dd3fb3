/**
 * Credentials of an application created with `--introspect`, to follow the revocation feed. For
 * a verifier of every tenant of a deployment, an application of the root tenant.
 */
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
  /**
   * The tenant's issuer, e.g. `https://auth.example.com/t/acme`: the verifier accepts that
   * tenant's tokens. Or the deployment's base URL, e.g. `https://auth.example.com`: it accepts
   * tokens of every tenant of the deployment (`iss` exactly `{base}/t/{tenant}`), fetching each
   * tenant's keys when its first token comes, and follows the deployment-wide revocation feed.
   */
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
   * `true` takes the defaults. Default off. Only for a tenant's issuer: a verifier of a
   * deployment's base URL throws if asked.
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
  /**
   * With a deployment's base URL as `issuer`: the tenants whose tokens this API accepts. Any
   * other tenant's token is refused (`ERR_TOKEN_ISSUER`) before anything is fetched. Default:
   * every tenant.
   */
  tenants?: (tenantId: string) => boolean
  /**
   * With a deployment's base URL as `issuer`: tenants whose keys are held at once, least
   * recently used out (as many tenants found unknown are remembered). Default 1 000.
   */
  maxTenants?: number
  /**
   * With a deployment's base URL as `issuer`: fetches of keys of tenants not held, per minute
   * (a token bucket of this size). Beyond it, a token of a tenant not held is refused
   * (`ERR_TENANT_KEYS_LIMITED`) until the bucket refills, so tokens naming made-up tenants cannot
   * make the verifier fetch without limit. Default 60.
   */
  newTenantFetchesPerMinute?: number
  /** `realm` of WWW-Authenticate. Default `api`. */
  realm?: string
  fetch?: typeof fetch
  now?: () => number
}
