// Configuration as code for applications without a secret: their public keys, jwks_uri and
// trust policies are not secret, so they are exported and applied like any other field. A
// secret application's secret never is; and how an application authenticates is chosen when it
// is made, so a file cannot turn a secret application into a secretless one or back.
import type { Authority } from '../domain/authority.js'
import type { FieldError } from '../domain/errors.js'
import type { ClientKey } from '../domain/model.js'
import type { ClientCredentials } from '../storage/contract.js'
import { addKeys, removeKey } from './application-keys.js'
import { updateApplication } from './applications.js'
import { checkedJwksUri } from './client-credentials.js'
import type { ManagementDeps } from './deps.js'
import {
  addTrustPolicy,
  checkIssuers,
  parseTrustPolicy,
  removeTrustPolicy,
  type TrustPolicyInput,
} from './trust-policies.js'

export interface ConfigTrustPolicy {
  issuer: string
  audience: string
  subject: string
  conditions?: Record<string, string>
}

/** The credential fields of an application in a file; all absent for a secret application. */
export interface ConfigCredentials {
  jwks?: { keys: Record<string, unknown>[] }
  jwks_uri?: string
  trust_policies?: ConfigTrustPolicy[]
}

const canonical = (value: unknown) => JSON.stringify(value)

function policyConfig(policy: TrustPolicyInput): ConfigTrustPolicy {
  const conditions = Object.entries(policy.conditions).sort(([a], [b]) => (a < b ? -1 : 1))
  return {
    issuer: policy.issuer,
    audience: policy.audience,
    subject: policy.subject,
    ...(conditions.length > 0 && { conditions: Object.fromEntries(conditions) }),
  }
}

const keyConfig = (key: Pick<ClientKey, 'jwk'>): Record<string, unknown> => ({ ...key.jwk })

/** A secretless application's credentials as exported, in a stable order. */
export function credentialsConfig(credentials: ClientCredentials | undefined): ConfigCredentials {
  if (credentials === undefined) return {}
  const policies = credentials.trustPolicies.map(policyConfig).sort(byCanonical)
  return {
    ...(credentials.keys.length > 0 && {
      jwks: { keys: credentials.keys.map(keyConfig).sort(byCanonical) },
    }),
    ...(credentials.jwksUri !== undefined && { jwks_uri: credentials.jwksUri.uri }),
    ...(policies.length > 0 && { trust_policies: policies }),
  }
}

function byCanonical(a: unknown, b: unknown): number {
  const [x, y] = [canonical(a), canonical(b)]
  return x < y ? -1 : x > y ? 1 : 0
}

/**
 * The file's credential fields, checked as far as can be without the network; undefined when
 * it names none (a secret application, or a secretless one whose credentials it leaves alone).
 */
export function wantedCredentials(
  input: ConfigCredentials,
  at: string,
  problems: FieldError[],
): ConfigCredentials | undefined {
  if (
    input.jwks === undefined &&
    input.jwks_uri === undefined &&
    input.trust_policies === undefined
  )
    return undefined
  const policies: ConfigTrustPolicy[] = []
  for (const [index, policy] of (input.trust_policies ?? []).entries()) {
    try {
      policies.push(policyConfig(parseTrustPolicy(`${at}.trust_policies[${index}]`, policy)))
    } catch (error) {
      problems.push({
        field: `${at}.trust_policies[${index}]`,
        message: error instanceof Error ? error.message : 'invalid trust policy',
      })
    }
  }
  if (input.jwks !== undefined && input.jwks_uri !== undefined)
    problems.push({ field: `${at}.jwks`, message: 'give jwks or jwks_uri, not both' })
  return {
    ...(input.jwks !== undefined && {
      jwks: { keys: [...input.jwks.keys].sort(byCanonical) },
    }),
    ...(input.jwks_uri !== undefined && { jwks_uri: input.jwks_uri }),
    ...(input.trust_policies !== undefined && { trust_policies: policies.sort(byCanonical) }),
  }
}

/** The credential fields that differ, as plan fields; only those the file names. */
export function credentialChanges(
  before: ConfigCredentials,
  after: ConfigCredentials,
): { field: string; before: unknown; after: unknown }[] {
  const changes = []
  for (const field of ['jwks', 'jwks_uri', 'trust_policies'] as const) {
    if (after[field] === undefined) continue
    if (canonical(before[field] ?? null) !== canonical(after[field]))
      changes.push({ field, before: before[field] ?? null, after: after[field] })
  }
  return changes
}

/**
 * The outbound fetches a file's secretless applications need (issuer discovery, jwks_uri), made
 * before the apply transaction so that no database lock is held over the network; the returned
 * deps answer those again from what was fetched.
 */
export async function prefetchCredentials(
  deps: ManagementDeps,
  applications: readonly (ConfigCredentials & { at: string })[],
): Promise<Pick<ManagementDeps, 'trustedIssuers' | 'remoteJwks'>> {
  const issuers = new Set<string>()
  const uris = new Map<string, ClientKey[]>()
  for (const application of applications) {
    const policies = (application.trust_policies ?? []).map((p) => ({
      ...p,
      conditions: p.conditions ?? {},
    }))
    await checkIssuers(deps, `${application.at}.trust_policies`, policies)
    for (const p of policies) issuers.add(p.issuer)
    if (application.jwks_uri !== undefined && !uris.has(application.jwks_uri)) {
      const uri = application.jwks_uri
      const keys = await deps.remoteJwks.fetchNow(uri).catch(() => undefined)
      // Fetched again (and refused with its reason) in the transaction if it failed here.
      if (keys !== undefined) uris.set(uri, keys)
      else await checkedJwksUri(deps, uri)
    }
  }
  return {
    trustedIssuers: {
      check: (issuer) =>
        issuers.has(issuer) ? Promise.resolve() : deps.trustedIssuers.check(issuer),
    },
    remoteJwks: {
      fetchNow: (uri) => {
        const keys = uris.get(uri)
        return keys === undefined ? deps.remoteJwks.fetchNow(uri) : Promise.resolve(keys)
      },
    },
  }
}

/**
 * Brings a secretless application's credentials to the file's: new ones are added before old
 * ones are removed, so it is never left without one (the last-credential rule holds anyway).
 */
export async function applyCredentials(
  deps: ManagementDeps,
  authority: Authority,
  target: { tenantId: string; clientId: string },
  live: ClientCredentials,
  wanted: ConfigCredentials,
): Promise<void> {
  const { tenantId, clientId } = target
  if (wanted.jwks_uri !== undefined && wanted.jwks_uri !== live.jwksUri?.uri)
    await updateApplication(deps, authority, tenantId, clientId, { jwksUri: wanted.jwks_uri })
  if (wanted.trust_policies !== undefined) {
    const liveByRule = new Map(
      live.trustPolicies.map((p) => [canonical(policyConfig(p)), p] as const),
    )
    const wantedRules = new Set(wanted.trust_policies.map(canonical))
    for (const policy of wanted.trust_policies)
      if (!liveByRule.has(canonical(policy)))
        await addTrustPolicy(deps, authority, tenantId, clientId, policy)
    for (const [rule, policy] of liveByRule)
      if (!wantedRules.has(rule))
        await removeTrustPolicy(deps, authority, tenantId, clientId, policy.id)
  }
  if (wanted.jwks !== undefined) {
    const liveByKey = new Map(live.keys.map((k) => [canonical(keyConfig(k)), k] as const))
    const wantedKeys = new Set(wanted.jwks.keys.map(canonical))
    const added = wanted.jwks.keys.filter((k) => !liveByKey.has(canonical(k)))
    if (added.length > 0) await addKeys(deps, authority, tenantId, clientId, { keys: added })
    for (const [jwk, key] of liveByKey)
      if (!wantedKeys.has(jwk)) await removeKey(deps, authority, tenantId, clientId, key.kid)
  }
}
