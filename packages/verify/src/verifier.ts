import { createHash } from 'node:crypto'

import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose'

import { findDuplicateMember } from './duplicate-member.js'
import { TokenVerificationError, type VerifyErrorReason } from './errors.js'
import { issuerScope, tenantOfIssuer } from './issuer.js'
import type { VerifierOptions } from './options.js'
import { requestVerifier, type RequestCredentials } from './request-credentials.js'
import { RevocationFeed } from './revocation-feed.js'
import { ScopeUseReport, scopeUseReportOf, scopeUseReportSettings } from './scope-use-report.js'
import { TenantKeySets } from './tenant-key-sets.js'

/** The claims of a verified RFC 9068 access token. */
export interface AccessTokenClaims extends JWTPayload {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  jti: string
  client_id: string
  /** Space-separated, as in the token. */
  scope: string
  /** `scope` split, for checks. */
  scopes: string[]
  /** Set by the password grant. */
  username?: string
  /**
   * The tenant that issued the token: the `{tenant}` of its `iss` (`…/t/{tenant}`), which a
   * verifier of every tenant of a deployment tells apart by. Equal to the token's own `tenant`
   * claim when it has one (a token whose claim differs is refused).
   */
  tenant: string
}

export interface Verifier {
  /**
   * Resolves to the claims of a Bearer token, or rejects with a {@link TokenVerificationError}
   * saying why. A DPoP-bound token is refused here: it needs {@link verifyRequest}'s proof.
   */
  verify(token: string): Promise<AccessTokenClaims>
  /**
   * Synchronously, for a token this verifier has already verified: its claims (expiry and
   * revocation checked again), or undefined when the token must go through {@link verify}
   * (never seen, expired, or revoked since). Throws a {@link TokenVerificationError} when
   * the revocation feed is stale and fails closed.
   */
  verifyCached(token: string): AccessTokenClaims | undefined
  /** Reads `Authorization: Bearer …` (RFC 6750 §2.1) and verifies it. */
  verifyAuthorization(header: string | undefined): Promise<AccessTokenClaims>
  /**
   * Verifies a request's credentials: `Authorization: Bearer …`, or `Authorization: DPoP …`
   * with its `DPoP` proof (RFC 9449 §7) checked against the request's method and URL, the
   * token's `cnf.jkt` and earlier proofs. What the framework adapters call.
   */
  verifyRequest(request: RequestCredentials): Promise<AccessTokenClaims>
  /** Resolves once metadata is loaded and, with a feed, the feed has caught up. */
  readonly ready: Promise<void>
  readonly realm: string
  /**
   * Stops following the revocation feed and, with `reportScopeUse`, stops the report's timer and
   * sends what was counted since the last report (in the background: close does not wait).
   */
  close(): void
}

const ASYMMETRIC = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
]

interface Metadata {
  issuer: string
  jwks_uri: string
  revocation_feed_endpoint?: string
  scope_usage_endpoint?: string
  access_token_signing_alg_values_supported?: string[]
}

function refuse(code: VerifyErrorReason, message: string, realm: string): TokenVerificationError {
  return new TokenVerificationError(code, 'invalid_token', message, realm)
}

/** What checking one token's signature and issuer takes: the keys of the tenant it names. */
interface IssuerKeys {
  issuer: string
  tenant: string
  jwks: JWTVerifyGetKey
  algorithms: string[]
}

/** How long a tenant whose JWKS answered 404 is refused without asking again. */
const UNKNOWN_TENANT_MS = 5 * 60_000

/** Refuses, when the verifier is created, options that only a deployment's verifier takes. */
function checkTenantIssuerOptions(options: VerifierOptions): void {
  if (
    options.tenants !== undefined ||
    options.maxTenants !== undefined ||
    options.newTenantFetchesPerMinute !== undefined
  ) {
    throw new TypeError(
      "tenants, maxTenants and newTenantFetchesPerMinute are for a verifier of every tenant of a deployment: give the deployment's base URL as issuer, without /t/<tenant>",
    )
  }
}

/** The options of a verifier of a deployment's base URL, checked and defaulted. */
function deploymentSettings(options: VerifierOptions) {
  const { tenants, maxTenants = 1000, newTenantFetchesPerMinute = 60 } = options
  if (tenants !== undefined && typeof tenants !== 'function')
    throw new TypeError('tenants must be a function of a tenant id, true for tenants to accept')
  if (!Number.isSafeInteger(maxTenants) || maxTenants < 1)
    throw new RangeError('maxTenants must be a positive integer')
  if (!Number.isSafeInteger(newTenantFetchesPerMinute) || newTenantFetchesPerMinute < 1)
    throw new RangeError('newTenantFetchesPerMinute must be a positive integer')
  return { tenants, maxTenants, newTenantFetchesPerMinute }
}

/**
 * A deployment's verifier has no one report endpoint: each tenant's takes the credentials of an
 * application of that tenant, and the feed's credentials are the root tenant's.
 */
function checkNoScopeUseReport(options: VerifierOptions): void {
  if (options.reportScopeUse !== undefined && options.reportScopeUse !== false) {
    throw new TypeError(
      "reportScopeUse is only for a verifier of one tenant's issuer (…/t/<tenant>): each tenant's report is sent with an application of that tenant",
    )
  }
}

/** RFC 8414 §3.1 location first, then the appended one. */
async function discover(issuer: string, fetchFn: typeof fetch): Promise<Metadata> {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/$/, '')
  for (const candidate of [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${issuer.replace(/\/$/, '')}/.well-known/oauth-authorization-server`,
  ]) {
    const response = await fetchFn(candidate, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined)
    if (response?.ok !== true) continue
    const metadata = (await response.json()) as Metadata
    if (metadata.issuer !== issuer)
      throw new Error(`the metadata at ${candidate} names another issuer`)
    return metadata
  }
  throw new Error(`no authorization server metadata for ${issuer}`)
}

// jose decodes the same way (fatal on invalid UTF-8, a leading BOM dropped), so the scan reads
// exactly the text jose will parse.
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A member name fit to quote in a description (and so in a header): short, plain ASCII. */
const PRINTABLE_NAME = /^[A-Za-z0-9_.:/+-]{1,64}$/

/**
 * Refuses a header or claims set that repeats a member name, at any depth (RFC 7515 §4, RFC 7519
 * §4): `JSON.parse`, and so jose, would silently keep the last one while another parser on the
 * way may have kept the first. Runs before the signature check: the scan is one linear pass over
 * at most `maxTokenBytes`, cheaper than the signature, and refuses the same whoever signed.
 */
function checkUniqueMembers(token: string, realm: string): void {
  const [header = '', payload = ''] = token.split('.', 2)
  for (const [segment, refusal] of [
    [header, "the token's header repeats"],
    [payload, "the token's claims repeat"],
  ] as const) {
    let repeated: string | undefined
    try {
      repeated = findDuplicateMember(utf8.decode(Buffer.from(segment, 'base64url')))
    } catch {
      throw refuse('ERR_TOKEN_MALFORMED', 'the token is malformed', realm)
    }
    if (repeated !== undefined) {
      // The name comes from an unauthenticated token: quote it only when it is plain.
      const name = PRINTABLE_NAME.test(repeated) ? `the member "${repeated}"` : 'a member name'
      throw refuse('ERR_TOKEN_MALFORMED', `${refusal} ${name}`, realm)
    }
  }
}

/** 9999-12-31T23:59:59Z, the last second an ISO 8601 date (and `Date`'s UTC calendar) can spell. */
const LAST_NUMERIC_DATE = 253_402_300_799

/**
 * RFC 7519 §2: `exp`, `nbf` and `iat` are NumericDates, seconds since 1970. jose checks that they
 * are numbers and compares them with now, but `JSON.parse` reads `1e400` as Infinity, which is
 * never in the past, and jose never looks at `iat` without a `maxTokenAge`. So each must be a
 * finite number between 1970 and 9999, and `iat` no later than now plus the allowed skew.
 */
function checkNumericDates(
  payload: JWTPayload,
  nowSeconds: number,
  toleranceSeconds: number,
  realm: string,
): void {
  for (const claim of ['exp', 'nbf', 'iat'] as const) {
    const value: unknown = payload[claim]
    if (value === undefined) continue
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < 0 ||
      value > LAST_NUMERIC_DATE
    ) {
      throw refuse(
        'ERR_TOKEN_CLAIMS',
        `the token's ${claim} claim is not a date between 1970 and 9999`,
        realm,
      )
    }
  }
  if (payload.iat !== undefined && payload.iat > nowSeconds + toleranceSeconds)
    throw refuse('ERR_TOKEN_NOT_YET_VALID', "the token's iat claim is in the future", realm)
}

function mapJoseError(error: unknown, realm: string): TokenVerificationError {
  if (error instanceof errors.JWTExpired)
    return refuse('ERR_TOKEN_EXPIRED', 'the token has expired', realm)
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return refuse('ERR_TOKEN_ISSUER', 'the token was issued by another issuer', realm)
      case 'aud':
        return refuse('ERR_TOKEN_AUDIENCE', 'the token is not meant for this API', realm)
      case 'nbf':
      case 'iat':
        // Only a failed comparison means "not yet"; a non-number is a malformed claim (below).
        if (error.reason === 'check_failed')
          return refuse('ERR_TOKEN_NOT_YET_VALID', 'the token is not valid yet', realm)
        break
      case 'typ':
        return refuse('ERR_TOKEN_TYPE', 'the token is not an access token (typ at+jwt)', realm)
    }
    return refuse(
      'ERR_TOKEN_CLAIMS',
      `the token's ${error.claim} claim is missing or invalid`,
      realm,
    )
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return refuse(
      'ERR_TOKEN_ALGORITHM',
      'the token is signed with an algorithm this API does not accept',
      realm,
    )
  if (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWSSignatureVerificationFailed
  ) {
    return refuse('ERR_TOKEN_SIGNATURE', 'the token signature does not verify', realm)
  }
  return refuse('ERR_TOKEN_MALFORMED', 'the token is malformed', realm)
}

/**
 * Verifies Tokenmint (RFC 9068) access tokens locally: no repeated JSON member names, signature
 * against the issuer's JWKS (refetched on an unknown `kid`, at most once per cooldown), `iss`,
 * `aud`, `exp`/`nbf`/`iat` as dates in range and with skew, `typ: at+jwt`, an asymmetric
 * algorithm allow-list, and — with feed credentials — the revocation feed, so a revoked
 * application's tokens are refused within a second.
 *
 * Given a deployment's base URL (`https://auth.example.com`) rather than one tenant's issuer, it
 * verifies the tokens of every tenant of the deployment: `iss` must be exactly
 * `{base}/t/{tenant}`, each tenant's JWKS is fetched when its first token comes (bounded by
 * `maxTenants` and `newTenantFetchesPerMinute`), and one deployment-wide feed (credentials of a
 * root-tenant application) revokes per tenant. The claims name their `tenant` either way.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({
 *   issuer: 'https://auth.example.com/t/acme',
 *   audience: 'https://api.example.com',
 *   revocationFeed: { clientId: process.env.FEED_ID!, clientSecret: process.env.FEED_SECRET! },
 * })
 * const claims = await verifier.verify(token)
 * requireScopes(claims, ['read:assigned-policies'])
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const scope = issuerScope(options.issuer)
  if (scope.kind === 'tenant') checkTenantIssuerOptions(options)
  else checkNoScopeUseReport(options)
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis)
  const now = options.now ?? Date.now
  const realm = options.realm ?? 'api'
  const tolerance = options.clockToleranceSeconds ?? 5
  const maxBytes = options.maxTokenBytes ?? 8192
  const cacheSize = options.cacheSize ?? 10_000
  const failOpen = options.revocationFeed?.failMode === 'open'
  const reportSettings = scopeUseReportSettings(options)
  // Bounded, oldest first out; an entry never outlives its token's exp. Keyed by the token
  // itself (a string key costs less than hashing it, which dominated the hot path); tokens
  // over 1 KiB are keyed by their SHA-256 instead, so the cache's memory stays bounded.
  const cache = new Map<string, AccessTokenClaims>()
  const cacheKey = (token: string) =>
    token.length <= 1024 ? token : createHash('sha256').update(token).digest('base64url')
  let feed: RevocationFeed | undefined
  const allowed = (offered: readonly string[]) =>
    offered.filter(
      (alg) =>
        ASYMMETRIC.includes(alg) &&
        (options.algorithms === undefined || options.algorithms.includes(alg)),
    )

  /** `tenant`: the tenant whose feed `url` is, or undefined for the deployment-wide feed. */
  function followFeed(url: string, tenant: string | undefined): void {
    if (options.revocationFeed === undefined) return
    feed = new RevocationFeed(
      url,
      {
        clientId: options.revocationFeed.clientId,
        clientSecret: options.revocationFeed.clientSecret,
        failMode: options.revocationFeed.failMode ?? 'closed',
        maxStalenessMs: options.revocationFeed.maxStalenessMs ?? 30_000,
        heartbeatTimeoutMs: options.revocationFeed.heartbeatTimeoutMs ?? 35_000,
      },
      fetchFn,
      now,
      tenant,
    )
    feed.onRevoked = (entry) => {
      for (const [key, claims] of cache) {
        if (
          (entry.tenant === undefined || claims.tenant === entry.tenant) &&
          (claims.client_id === entry.clientId || claims.jti === entry.jti)
        )
          cache.delete(key)
      }
    }
  }

  let keysFor: (token: string) => Promise<IssuerKeys>
  let setup: Promise<{ scopeUsageEndpoint: string }> | undefined
  if (scope.kind === 'tenant') {
    // One tenant's issuer: its metadata names its JWKS, algorithms and feed.
    const discovered = discover(scope.issuer, fetchFn).then((metadata) => {
      const algorithms = allowed(
        metadata.access_token_signing_alg_values_supported ?? ['ES256', 'RS256', 'PS256', 'EdDSA'],
      )
      const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri), {
        cooldownDuration: options.jwksCooldownMs ?? 5000,
        [customFetch]: fetchFn,
      })
      followFeed(
        metadata.revocation_feed_endpoint ?? `${scope.issuer}/oauth/revocations`,
        scope.tenant,
      )
      return {
        jwks,
        algorithms,
        scopeUsageEndpoint: metadata.scope_usage_endpoint ?? `${scope.issuer}/oauth/scope-usage`,
      }
    })
    // Surface a failed discovery on verify, not as an unhandled rejection.
    discovered.catch(() => undefined)
    setup = discovered
    keysFor = async () => {
      try {
        const { jwks, algorithms } = await discovered
        return { issuer: scope.issuer, tenant: scope.tenant, jwks, algorithms }
      } catch {
        throw new TokenVerificationError(
          'ERR_DISCOVERY',
          'invalid_token',
          'the issuer metadata could not be loaded',
          realm,
        )
      }
    }
  } else {
    // A deployment's base URL: each tenant's keys at `{base}/t/{tenant}/.well-known/jwks.json`
    // (the `jwks_uri` of its metadata), fetched when its first token comes; one feed for every
    // tenant. Every published key names its `alg`, which jose holds the key to, so without
    // per-tenant metadata the allow-list is every asymmetric algorithm (narrowed by `algorithms`).
    const { base } = scope
    const { tenants, maxTenants, newTenantFetchesPerMinute } = deploymentSettings(options)
    const keySets = new TenantKeySets({
      maxTenants,
      newTenantFetchesPerMinute,
      cooldownMs: options.jwksCooldownMs ?? 5000,
      unknownTenantMs: UNKNOWN_TENANT_MS,
      fetch: fetchFn,
      now,
      realm,
    })
    const algorithms = allowed(ASYMMETRIC)
    followFeed(`${base}/oauth/revocations`, undefined)
    keysFor = async (token) => {
      // The claims are not verified yet: they only choose the keys, and nothing is fetched for
      // an issuer outside the deployment or a tenant this API does not accept.
      let iss: unknown
      try {
        iss = decodeJwt(token).iss
      } catch {
        throw refuse('ERR_TOKEN_MALFORMED', 'the token is malformed', realm)
      }
      const tenant = tenantOfIssuer(base, iss)
      if (tenant === undefined)
        throw refuse('ERR_TOKEN_ISSUER', 'the token was issued by another issuer', realm)
      if (tenants !== undefined && !tenants(tenant))
        throw refuse(
          'ERR_TOKEN_ISSUER',
          'the token was issued by a tenant this API does not accept',
          realm,
        )
      const issuer = `${base}/t/${tenant}`
      return { issuer, tenant, jwks: await keySets.get(tenant, issuer), algorithms }
    }
  }

  const report =
    reportSettings === undefined || setup === undefined
      ? undefined
      : new ScopeUseReport({
          ...reportSettings,
          endpoint: setup.then(
            (keys) => keys.scopeUsageEndpoint,
            () => undefined,
          ),
          audience: options.audience,
          fetch: fetchFn,
          now,
        })

  const ready = setup === undefined ? Promise.resolve(feed?.ready) : setup.then(() => feed?.ready)

  function checkRevocation(claims: AccessTokenClaims): void {
    if (feed === undefined) return
    if (!feed.isFresh() && !failOpen) {
      throw new TokenVerificationError(
        'ERR_REVOCATIONS_UNAVAILABLE',
        'invalid_token',
        'the revocation status of the token cannot be checked right now',
        realm,
      )
    }
    if (feed.isRevoked(claims.tenant, claims.client_id, claims.jti, claims.iat))
      throw refuse('ERR_TOKEN_REVOKED', 'the token has been revoked', realm)
  }

  /** The cached claims under `key`, expiry and revocation checked again; undefined on a miss. */
  function lookup(key: string): AccessTokenClaims | undefined {
    const hit = cache.get(key)
    if (hit === undefined) return undefined
    if (hit.exp + tolerance <= now() / 1000) {
      cache.delete(key)
      return undefined
    }
    checkRevocation(hit)
    return hit
  }

  /**
   * A token verified before: no promise to await, no parsing, one map lookup and the two
   * checks that can change (expiry, revocation). Undefined on a miss.
   */
  function verifyCached(token: string): AccessTokenClaims | undefined {
    return token.length > maxBytes ? undefined : lookup(cacheKey(token))
  }

  function verifyToken(token: string): Promise<AccessTokenClaims> {
    const key = token.length > maxBytes ? undefined : cacheKey(token)
    try {
      const hit = key === undefined ? undefined : lookup(key)
      if (hit !== undefined) return Promise.resolve(hit)
    } catch (error) {
      // lookup throws only TokenVerificationError (a stale feed that fails closed).
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
    return verifyFully(token, key)
  }

  /** `key`: the token's cache key, or undefined when the token is over `maxTokenBytes`. */
  async function verifyFully(token: string, key: string | undefined): Promise<AccessTokenClaims> {
    if (key === undefined) throw refuse('ERR_TOKEN_TOO_LARGE', 'the token is too large', realm)
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token))
      throw refuse('ERR_TOKEN_MALFORMED', 'the token is malformed', realm)
    checkUniqueMembers(token, realm)
    const keys = await keysFor(token)
    let payload: JWTPayload
    const nowMs = now()
    try {
      ;({ payload } = await jwtVerify(token, keys.jwks, {
        issuer: keys.issuer,
        audience: options.audience,
        typ: 'at+jwt',
        algorithms: keys.algorithms,
        clockTolerance: tolerance,
        currentDate: new Date(nowMs),
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
      }))
    } catch (error) {
      throw mapJoseError(error, realm)
    }
    checkNumericDates(payload, nowMs / 1000, tolerance, realm)
    if (
      typeof payload['client_id'] !== 'string' ||
      (payload['scope'] !== undefined && typeof payload['scope'] !== 'string')
    ) {
      throw refuse('ERR_TOKEN_CLAIMS', 'the token claims are malformed', realm)
    }
    if (payload['tenant'] !== undefined && payload['tenant'] !== keys.tenant)
      throw refuse(
        'ERR_TOKEN_CLAIMS',
        "the token's tenant claim is not the tenant of its iss",
        realm,
      )
    const scopeClaim = typeof payload['scope'] === 'string' ? payload['scope'] : ''
    const claims = {
      ...payload,
      tenant: keys.tenant,
      scope: scopeClaim,
      scopes: scopeClaim.split(' ').filter((s) => s !== ''),
    } as AccessTokenClaims
    checkRevocation(claims)
    report?.track(claims)
    if (cache.size >= cacheSize) {
      const oldest = cache.keys().next()
      if (oldest.done !== true) cache.delete(oldest.value)
    }
    cache.set(key, claims)
    return claims
  }

  const requests = requestVerifier({
    verifyToken,
    realm,
    now,
    publicUrl: options.publicUrl,
  })

  return {
    verify(token) {
      // A cached token that is not DPoP-bound is answered as before, without another await.
      let hit: AccessTokenClaims | undefined
      try {
        hit = verifyCached(token)
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)))
      }
      return hit !== undefined && hit['cnf'] === undefined
        ? Promise.resolve(hit)
        : requests.bearer(token)
    },
    verifyCached(token) {
      const claims = verifyCached(token)
      // A bound token is never good on its own: the caller falls back to the full path.
      return claims === undefined || claims['cnf'] !== undefined ? undefined : claims
    },
    realm,
    ready,
    verifyAuthorization: (header) => requests.verify({ authorization: header }),
    verifyRequest: (request) => requests.verify(request),
    close() {
      feed?.close()
      void report?.close()
    },
  }
}

/**
 * Refuses claims lacking the scopes, with RFC 6750's `insufficient_scope`.
 *
 * @example
 * ```ts
 * requireScopes(claims, ['read:assigned-policies'])            // all of them
 * requireScopes(claims, ['read:a', 'admin'], { any: true })     // any one
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function requireScopes(
  claims: Pick<AccessTokenClaims, 'scopes'>,
  scopes: readonly string[],
  options: { any?: boolean; realm?: string } = {},
): void {
  enforceScopes(
    claims,
    options.any === true ? { any: scopes } : { all: scopes },
    options.realm ?? 'api',
  )
}

function insufficientScope(
  scopes: readonly string[],
  isAny: boolean,
  realm: string,
): TokenVerificationError {
  return new TokenVerificationError(
    'ERR_INSUFFICIENT_SCOPE',
    'insufficient_scope',
    `this request needs ${isAny ? 'one of' : 'the'} scope${scopes.length > 1 ? 's' : ''} ${scopes.join(' ')}`,
    realm,
    scopes.join(' '),
  )
}

/**
 * The one scope check, behind `requireScopes` and every adapter: every scope of `all`, at least
 * one of `any`. When it passes and the claims' verifier reports scope use, each scope of the
 * requirement the token holds counts one use by its client.
 */
export function enforceScopes(
  claims: Pick<AccessTokenClaims, 'scopes'>,
  requirement: { readonly all?: readonly string[]; readonly any?: readonly string[] },
  realm: string,
): void {
  const { all = [], any = [] } = requirement
  if (all.length === 0 && any.length === 0) return
  const held = new Set(claims.scopes)
  if (!all.every((s) => held.has(s))) throw insufficientScope(all, false, realm)
  if (any.length > 0 && !any.some((s) => held.has(s))) throw insufficientScope(any, true, realm)
  const report = scopeUseReportOf(claims)
  if (report === undefined) return
  // Only the verifier's own claims are tracked, and those always carry client_id.
  const clientId = (claims as AccessTokenClaims).client_id
  for (const scope of all) report.record(clientId, scope)
  for (const scope of any)
    if (held.has(scope) && !all.includes(scope)) report.record(clientId, scope)
}
