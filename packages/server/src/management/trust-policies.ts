import { randomBytes } from 'node:crypto'

import type { Authority } from '../domain/authority.js'
import { checkClaimPattern } from '../domain/claim-pattern.js'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import type { TrustPolicy } from '../domain/model.js'
import type { Storage } from '../storage/contract.js'
import {
  changeCredentials,
  isLastCredential,
  loadSecretlessApplication,
} from './client-credentials.js'
import type { ManagementDeps } from './deps.js'

/**
 * Trust policies: which outside workloads (a GitHub Actions job, a Kubernetes service account)
 * an application accepts instead of a secret. Added and removed like keys, under the tenant's
 * lock; the last credential of an application stays.
 */

export const MAX_TRUST_POLICIES = 10
const MAX_CONDITIONS = 20
/** GitHub Actions' issuer: any GitHub user can mint its tokens, so a policy must pin the owner. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com'
// Claims a policy matches with its own fields (aud, sub) or that say nothing about who (time).
const RESERVED_CLAIMS = new Set(['iss', 'aud', 'sub', 'exp', 'iat', 'nbf', 'jti'])
const OWNER_CLAIMS = ['repository_owner', 'repository_owner_id', 'repository', 'repository_id']

export type TrustPolicyInput = Pick<TrustPolicy, 'issuer' | 'audience' | 'subject' | 'conditions'>

function isPrintable(value: string): boolean {
  return /^[\x20-\x7e\u00a0-\uffff]+$/.test(value)
}

function parseIssuer(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > 2048)
    throw new ValidationError(field, 'issuer must be an https URL of at most 2048 characters')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ValidationError(field, 'issuer must be an absolute https URL')
  }
  if (url.protocol !== 'https:')
    throw new ValidationError(field, 'issuer must be an https URL (its tokens\' "iss", exactly)')
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw new ValidationError(field, 'issuer may not carry credentials, a ?query or a #fragment')
  return value
}

function parseConditions(field: string, value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ValidationError(field, 'conditions must be an object of claim name → pattern')
  const entries = Object.entries(value as Record<string, unknown>)
  if (entries.length > MAX_CONDITIONS)
    throw new ValidationError(field, `a trust policy has at most ${MAX_CONDITIONS} conditions`)
  const conditions: Record<string, string> = {}
  for (const [name, pattern] of entries) {
    if (name === '' || name.length > 200 || !isPrintable(name))
      throw new ValidationError(field, 'a condition names a claim of 1 to 200 printable characters')
    if (RESERVED_CLAIMS.has(name))
      throw new ValidationError(
        `${field}.${name}`,
        name === 'aud' || name === 'sub'
          ? `match "${name}" with the policy's ${name === 'aud' ? 'audience' : 'subject'}, not a condition`
          : `"${name}" says nothing about which workload it is; match claims such as repository, ref or environment`,
      )
    conditions[name] = checkClaimPattern(`${field}.${name}`, pattern)
  }
  return conditions
}

/** A trust policy as given (admin API, config file, CLI), checked; nothing is fetched here. */
export function parseTrustPolicy(field: string, value: unknown): TrustPolicyInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ValidationError(field, 'a trust policy is an object: issuer, audience, subject')
  const input = value as Record<string, unknown>
  const issuer = parseIssuer(`${field}.issuer`, input['issuer'])
  const audience = input['audience']
  if (
    typeof audience !== 'string' ||
    audience === '' ||
    audience.length > 512 ||
    !isPrintable(audience)
  )
    throw new ValidationError(
      `${field}.audience`,
      "audience must be a string of 1 to 512 printable characters: what the platform token's aud must contain",
    )
  const subject = checkClaimPattern(`${field}.subject`, input['subject'])
  const conditions = parseConditions(`${field}.conditions`, input['conditions'])
  if (issuer === GITHUB_ACTIONS_ISSUER && !pinsGitHubOwner(subject, conditions))
    throw new ValidationError(
      `${field}.subject`,
      'a GitHub Actions policy must name the repository owner exactly (subject "repo:OWNER/…", or a repository_owner condition): any GitHub user can mint tokens from this issuer',
    )
  return { issuer, audience, subject, conditions }
}

function pinsGitHubOwner(subject: string, conditions: Record<string, string>): boolean {
  const owner = /^repo:([^/:*]+)\//.exec(subject)
  if (owner !== null) return true
  return OWNER_CLAIMS.some((c) => conditions[c] !== undefined && !conditions[c].startsWith('*'))
}

export function newTrustPolicy(clientId: string, input: TrustPolicyInput, now: Date): TrustPolicy {
  return {
    id: `trp_${randomBytes(9).toString('base64url')}`,
    clientId,
    ...input,
    createdAt: now,
    lastUsedAt: null,
    lastUsedIp: null,
  }
}

/** What an audit record says about a trust policy: all of it (it holds nothing secret). */
export function auditableTrustPolicy(policy: TrustPolicy) {
  return {
    policy_id: policy.id,
    issuer: policy.issuer,
    audience: policy.audience,
    subject: policy.subject,
    conditions: policy.conditions,
  }
}

/** Fetches each distinct issuer's discovery and keys, so a typo is refused at registration. */
export async function checkIssuers(
  deps: Pick<ManagementDeps, 'trustedIssuers'>,
  field: string,
  policies: readonly TrustPolicyInput[],
): Promise<void> {
  for (const issuer of new Set(policies.map((p) => p.issuer))) {
    try {
      await deps.trustedIssuers.check(issuer)
    } catch (error) {
      throw new ValidationError(field, error instanceof Error ? error.message : 'unknown error')
    }
  }
}

const sameRule = (a: TrustPolicyInput, b: TrustPolicyInput) =>
  a.issuer === b.issuer &&
  a.audience === b.audience &&
  a.subject === b.subject &&
  JSON.stringify(Object.entries(a.conditions).sort()) ===
    JSON.stringify(Object.entries(b.conditions).sort())

/** Adds a trust policy; matching workloads get tokens from the next request. */
export async function addTrustPolicy(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  clientId: string,
  input: unknown,
): Promise<TrustPolicy> {
  const parsed = parseTrustPolicy('trust_policy', input)
  // Room for it, checked before the issuer is fetched (so a caller who may not change the
  // application cannot make the server fetch URLs) and again in the transaction that adds it.
  const admit = async (storage: Storage) => {
    await loadSecretlessApplication(storage, authority, { tenantId, clientId }, 'trust policies')
    const { trustPolicies } = await storage.applications.listCredentials(clientId)
    if (trustPolicies.length >= MAX_TRUST_POLICIES)
      throw new ValidationError(
        'trust_policy',
        `an application holds at most ${MAX_TRUST_POLICIES} trust policies; remove one first`,
      )
    if (trustPolicies.some((p) => sameRule(p, parsed)))
      throw new ConflictError('the application already has this trust policy')
  }
  await deps.storage.transaction(admit)
  await checkIssuers(deps, 'trust_policy.issuer', [parsed])
  const target = { tenantId, clientId, type: 'application.trust_added' as const }
  return changeCredentials(deps, authority, target, async (storage, now) => {
    await admit(storage)
    const created = newTrustPolicy(clientId, parsed, now)
    await storage.applications.insertTrustPolicy(created)
    return { result: created, audited: [auditableTrustPolicy(created)] }
  })
}

/**
 * Removes a trust policy: its workloads are refused from the next request, and a request already
 * past authentication with it is refused at commit. The application's last credential stays.
 */
export async function removeTrustPolicy(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  clientId: string,
  policyId: string,
): Promise<TrustPolicy> {
  const target = { tenantId, clientId, type: 'application.trust_removed' as const }
  return changeCredentials(deps, authority, target, async (storage) => {
    await loadSecretlessApplication(storage, authority, { tenantId, clientId }, 'trust policies')
    const credentials = await storage.applications.listCredentials(clientId)
    const policy = credentials.trustPolicies.find((p) => p.id === policyId)
    if (policy === undefined) throw new NotFoundError('trust policy', policyId)
    if (isLastCredential(credentials))
      throw new ConflictError(
        "this is the application's only trust policy and it has no key: add its replacement first, then remove this one",
      )
    await storage.applications.deleteTrustPolicy(clientId, policy.id)
    return { result: policy, audited: [auditableTrustPolicy(policy)] }
  })
}
