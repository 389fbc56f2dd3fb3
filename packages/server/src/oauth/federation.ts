import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose'

import { algorithmsFor } from '../crypto/client-jwk.js'
import { matchesClaimPattern } from '../domain/claim-pattern.js'
import type { ClientKey, TrustPolicy } from '../domain/model.js'
import type { OutboundFetcher } from '../outbound/outbound-fetcher.js'
import {
  afterSignature,
  ASSERTION_CLOCK_SKEW_SECONDS,
  verificationKey,
} from './client-assertion.js'
import type { RemoteJwks } from './remote-jwks.js'

/**
 * Workload identity federation (the trust-policy half of RFC 7523 client authentication): a
 * workload presents the token its platform gave it — GitHub Actions' OIDC token, a Kubernetes
 * projected service-account token — and an application whose trust policy matches it is
 * authenticated, with no credential stored anywhere.
 *
 * Unlike a private_key_jwt assertion, a platform token may be presented again until it expires
 * (Kubernetes refreshes a projected token only at 80% of its life), so there is no one-time
 * `jti`; instead only tokens with at most MAX_FEDERATED_TOKEN_LIFETIME_SECONDS left are taken.
 */
export const MAX_FEDERATED_TOKEN_LIFETIME_SECONDS = 3600

const DISCOVERY_MAX_BYTES = 64 * 1024
/** Discovery documents change rarely: kept an hour, and used up to a day if a refresh fails. */
const DISCOVERY_TTL_MS = 3_600_000
const DISCOVERY_STALE_MS = 86_400_000
/** A failed discovery is retried no sooner than this (a dead issuer cannot be hammered). */
const DISCOVERY_RETRY_MS = 30_000
const MAX_ISSUERS = 1000

interface Discovered {
  jwksUri: string
  fetchedAt: number
  lastAttempt: number
}

/** Why an issuer's keys could not be had: the message names the issuer, never a token. */
export class IssuerUnavailableError extends Error {
  override name = 'IssuerUnavailableError'
}

/**
 * The signing keys of trusted issuers: OpenID Connect discovery (`/.well-known/openid-
 * configuration`, whose `issuer` must equal the policy's exactly) names the `jwks_uri`, fetched
 * and cached by RemoteJwks (its bounds, refetch on unknown kid). Both go through the outbound
 * rule, so an issuer URL cannot point Tokenmint at an internal address.
 */
export class TrustedIssuers {
  readonly #discovered = new Map<string, Discovered>()
  readonly #pending = new Map<string, Promise<string>>()

  constructor(
    private readonly fetcher: Pick<OutboundFetcher, 'fetchJson'>,
    private readonly jwks: Pick<RemoteJwks, 'keys' | 'fetchNow'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The issuer's keys, as credentials of `policyId` (token commits check it is still there). */
  async keys(issuer: string, policyId: string, kid: string | undefined): Promise<ClientKey[]> {
    const jwksUri = await this.#jwksUri(issuer)
    try {
      return await this.jwks.keys(jwksUri, policyId, kid)
    } catch (error) {
      throw new IssuerUnavailableError(
        `the keys of issuer ${issuer} could not be fetched: ${messageOf(error)}`,
        { cause: error },
      )
    }
  }

  /** Registration's check: discovery and keys fetched now, so a typo is refused at once. */
  async check(issuer: string): Promise<void> {
    this.#discovered.delete(issuer)
    const jwksUri = await this.#jwksUri(issuer)
    let keys: ClientKey[]
    try {
      keys = await this.jwks.fetchNow(jwksUri)
    } catch (error) {
      throw new IssuerUnavailableError(
        `the keys of issuer ${issuer} could not be fetched: ${messageOf(error)}`,
      )
    }
    if (keys.length === 0)
      throw new IssuerUnavailableError(
        `issuer ${issuer} publishes no signing key Tokenmint accepts (EC P-256/384/521, RSA ≥ 2048 bits, Ed25519)`,
      )
  }

  async #jwksUri(issuer: string): Promise<string> {
    const now = this.now()
    const known = this.#discovered.get(issuer)
    if (known !== undefined) {
      const fresh = now - known.fetchedAt < DISCOVERY_TTL_MS
      const mayRetry = now - known.lastAttempt >= DISCOVERY_RETRY_MS
      if (fresh || !mayRetry) return known.jwksUri
    }
    try {
      return await this.#discover(issuer)
    } catch (error) {
      if (known !== undefined && now - known.fetchedAt < DISCOVERY_STALE_MS) return known.jwksUri
      throw error
    }
  }

  #discover(issuer: string): Promise<string> {
    let pending = this.#pending.get(issuer)
    if (pending === undefined) {
      const known = this.#discovered.get(issuer)
      if (known !== undefined) known.lastAttempt = this.now()
      pending = this.#fetchDiscovery(issuer).finally(() => this.#pending.delete(issuer))
      this.#pending.set(issuer, pending)
    }
    return pending
  }

  async #fetchDiscovery(issuer: string): Promise<string> {
    const startedAt = this.now()
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
    let document: unknown
    try {
      document = (await this.fetcher.fetchJson(url, { maxBytes: DISCOVERY_MAX_BYTES })).json
    } catch (error) {
      throw new IssuerUnavailableError(
        `the discovery document of issuer ${issuer} could not be fetched: ${messageOf(error)}`,
        { cause: error },
      )
    }
    const { issuer: named, jwks_uri: jwksUri } = (document ?? {}) as Record<string, unknown>
    if (named !== issuer)
      throw new IssuerUnavailableError(
        `the discovery document at ${issuer} names another issuer; the policy's issuer must be exactly the "iss" its tokens carry`,
      )
    if (typeof jwksUri !== 'string' || !jwksUri.startsWith('https://'))
      throw new IssuerUnavailableError(
        `the discovery document of issuer ${issuer} has no https jwks_uri`,
      )
    if (this.#discovered.size >= MAX_ISSUERS && !this.#discovered.has(issuer)) {
      const oldest = this.#discovered.keys().next()
      if (oldest.done !== true) this.#discovered.delete(oldest.value)
    }
    this.#discovered.set(issuer, { jwksUri, fetchedAt: startedAt, lastAttempt: startedAt })
    return jwksUri
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error'
}

/** Control characters: never matched, so none reaches an audit record or a syslog line. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/
// eslint-disable-next-line no-control-regex
const CONTROL_ALL = /[\u0000-\u001f\u007f]/g

/** A claim value as text, at most a few levels deep (a signed claim may nest thousands). */
function rendered(value: unknown, depth = 0): string {
  if (typeof value === 'string') return value
  if (value === null || typeof value !== 'object') return String(value)
  if (depth >= 3) return Array.isArray(value) ? '[…]' : '{…}'
  const item = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : rendered(v, depth + 1))
  if (Array.isArray(value)) return `[${value.slice(0, 10).map(item).join(',')}]`
  const members = Object.entries(value).slice(0, 10)
  return `{${members.map(([k, v]) => `${JSON.stringify(k)}:${item(v)}`).join(',')}}`
}

/** A platform token's claims as a refusal may quote them: short, printable, never the token. */
function quoted(value: unknown): string {
  const clean = rendered(value).slice(0, 400).replace(CONTROL_ALL, '?')
  return JSON.stringify(clean.length > 200 ? `${clean.slice(0, 200)}…` : clean)
}

/** A claim by exact name, or else by a /-path into nested objects (`kubernetes.io/namespace`). */
export function claimAt(payload: JWTPayload, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name]
  let value: unknown = payload
  for (const step of name.split('/')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, step)) return undefined
    value = (value as Record<string, unknown>)[step]
  }
  return value
}

type Condition = { passed: true } | { passed: false; why: string }

/** The policy's conditions in order, stopping at the first that fails. */
function evaluate(policy: TrustPolicy, payload: JWTPayload): { passed: number; failure?: string } {
  const checks: (() => Condition)[] = [
    () => {
      const aud = payload.aud
      const audiences = Array.isArray(aud) ? aud : [aud]
      return audiences.includes(policy.audience)
        ? { passed: true }
        : {
            passed: false,
            why: `its aud ${quoted(aud)} does not include the audience the trust policy requires`,
          }
    },
    () =>
      typeof payload.sub === 'string' &&
      !CONTROL.test(payload.sub) &&
      matchesClaimPattern(policy.subject, payload.sub)
        ? { passed: true }
        : { passed: false, why: `its sub ${quoted(payload.sub)} does not match the trust policy` },
    ...Object.entries(policy.conditions).map(([name, pattern]) => (): Condition => {
      const value = claimAt(payload, name)
      if (value === undefined)
        return { passed: false, why: `it has no ${quoted(name)} claim, which the policy matches` }
      const text =
        typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : undefined
      return text !== undefined && !CONTROL.test(text) && matchesClaimPattern(pattern, text)
        ? { passed: true }
        : {
            passed: false,
            why: `its ${quoted(name)} claim ${quoted(value)} does not match the trust policy`,
          }
    }),
  ]
  let passed = 0
  for (const check of checks) {
    const outcome = check()
    if (!outcome.passed) return { passed, failure: outcome.why }
    passed++
  }
  return { passed }
}

export type FederatedCheck =
  | { ok: true; policy: TrustPolicy; subject: string }
  /** `proven`: the issuer's key verified the token, so its holder may be told which claim. */
  | { ok: false; proven: boolean; description: string; reason: string }

/** The issuer a platform token names (unverified: only to pick the policies to try). */
export function federatedIssuerOf(token: string): string | undefined {
  try {
    const { iss } = decodeJwt(token)
    return typeof iss === 'string' ? iss : undefined
  } catch {
    return undefined
  }
}

/**
 * Checks a platform token against the application's trust policies for its issuer: a key the
 * issuer publishes verifies it; it has not expired and has at most an hour left; and one
 * policy's audience, subject and conditions all match. A refusal after the signature verified
 * says which condition failed, quoting the token's own claim (never the policy, never the token).
 */
export async function checkFederatedToken(
  token: string,
  policies: readonly TrustPolicy[],
  deps: {
    keys: (issuer: string, policyId: string, kid: string | undefined) => Promise<ClientKey[]>
    now: Date
  },
): Promise<FederatedCheck> {
  const issuer = federatedIssuerOf(token)
  const trusted = policies.filter((p) => p.issuer === issuer)
  const first = trusted[0]
  if (issuer === undefined || first === undefined)
    return { ok: false, proven: false, description: '', reason: 'issuer not trusted' }
  const { alg, kid } = decodeProtectedHeader(token)
  const keys = await deps.keys(issuer, first.id, kid)
  const candidates = keys.filter(
    (k) => (kid === undefined || k.kid === kid) && algorithmsFor(k.jwk).includes(alg ?? ''),
  )
  let payload: JWTPayload | undefined
  for (const key of candidates) {
    try {
      ;({ payload } = await jwtVerify(token, await verificationKey(key, alg ?? ''), {
        algorithms: [alg ?? ''],
        issuer,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: ASSERTION_CLOCK_SKEW_SECONDS,
        currentDate: deps.now,
      }))
      break
    } catch (error) {
      // Only what is checked after the signature verified may be told: an error raised before
      // it (a `crit` header, a malformed part) says nothing about who holds the issuer's key.
      if (!afterSignature(error)) continue
      return { ok: false, proven: true, ...claimRefusal(error) }
    }
  }
  if (payload === undefined) {
    return {
      ok: false,
      proven: false,
      description: `the platform token's signature does not verify with the keys issuer ${quoted(issuer)} publishes`,
      reason:
        candidates.length === 0 ? 'no issuer key matches the kid' : 'no issuer key verifies it',
    }
  }
  const nowSeconds = Math.floor(deps.now.getTime() / 1000)
  if (typeof payload.iat === 'number' && payload.iat > nowSeconds + ASSERTION_CLOCK_SKEW_SECONDS)
    return {
      ok: false,
      proven: true,
      description: 'the platform token is not valid yet (iat is in the future)',
      reason: 'federated token not yet valid',
    }
  const left = (payload.exp ?? 0) - nowSeconds
  if (left > MAX_FEDERATED_TOKEN_LIFETIME_SECONDS + ASSERTION_CLOCK_SKEW_SECONDS) {
    return {
      ok: false,
      proven: true,
      description: `the platform token is valid for ${left} more seconds; only tokens with at most ${MAX_FEDERATED_TOKEN_LIFETIME_SECONDS} left are accepted (Kubernetes: set expirationSeconds to 3600 or less)`,
      reason: 'federated token lifetime too long',
    }
  }
  let closest: { passed: number; failure?: string } = { passed: -1 }
  for (const policy of trusted) {
    const outcome = evaluate(policy, payload)
    if (outcome.failure === undefined) return { ok: true, policy, subject: String(payload.sub) }
    if (outcome.passed > closest.passed) closest = outcome
  }
  const which =
    trusted.length === 1
      ? 'its trust policy'
      : `any of its ${trusted.length} trust policies for this issuer`
  return {
    ok: false,
    proven: true,
    description: `the platform token does not match ${which}: ${closest.failure ?? ''}`,
    reason: `federated token refused: ${closest.failure ?? ''}`,
  }
}

function claimRefusal(error: unknown): { description: string; reason: string } {
  if (error instanceof errors.JWTExpired)
    return {
      description: 'the platform token has expired; fetch a fresh one from the platform',
      reason: 'federated token expired',
    }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' || error.claim === 'iat')
      return {
        description: `the platform token is not valid yet (${error.claim} is in the future)`,
        reason: 'federated token not yet valid',
      }
    return {
      description: `the platform token must carry a valid "${error.claim}" claim`,
      reason: `federated token ${error.claim} invalid`,
    }
  }
  return { description: 'the platform token is not a valid JWT', reason: 'federated token invalid' }
}
