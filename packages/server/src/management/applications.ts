import { parseClientJwks } from '../crypto/client-jwk.js'
import { generateClientId } from '../crypto/secret-format.js'
import {
  adminScopesIn,
  assertMayChangeApplication,
  assertMayGrantAdminScopes,
  type Authority,
} from '../domain/authority.js'
import { presetsOf } from '../domain/catalog.js'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import {
  GRANT_TYPES,
  type Application,
  type ClientJwksUri,
  type ClientKey,
  type ClientSecret,
  type GrantType,
  type ScopeGrant,
  type TrustPolicy,
} from '../domain/model.js'
import { validateCustomClaims } from '../domain/platform.js'
import { normaliseScopeList } from '../domain/scopes.js'
import { isSecretLive } from '../domain/token-policy.js'
import type { ApplicationFilter, Page, PageRequest, Storage } from '../storage/contract.js'
import type { ManagementDeps } from './deps.js'
import { grantableApi, tenantClaimNames } from './shared-apis.js'
import {
  auditableKey,
  checkedJwksUri,
  newClientKey,
  newJwksUri,
  newSecret,
} from './client-credentials.js'
import {
  auditableTrustPolicy,
  checkIssuers,
  MAX_TRUST_POLICIES,
  newTrustPolicy,
  parseTrustPolicy,
} from './trust-policies.js'
import { optionalText, requireText } from './validate.js'

/** A grant as asked for: scopes picked one by one and/or a preset of the API. */
export interface GrantInput {
  audience: string
  scopes?: readonly string[] | undefined
  preset?: string | undefined
}

export interface ApplicationInput {
  name?: string | undefined
  description?: string | undefined
  environment?: string | undefined
  grantTypes?: readonly GrantType[] | undefined
  grants?: readonly GrantInput[] | undefined
  tokenLifetimeSeconds?: number | null | undefined
  expiresAt?: Date | null | undefined
  canIntrospect?: boolean | undefined
  dpopBoundAccessTokens?: boolean | undefined
  tokenRateLimitPerMinute?: number | null | undefined
  /** Where a private_key_jwt application publishes its keys (instead of registering them). */
  jwksUri?: string | undefined
  /** Static custom claims (domain/platform); replaces them all. */
  claims?: unknown
}

export interface CreatedApplication {
  application: Application
  /** Shown exactly once; absent for a private_key_jwt application (it has keys instead). */
  clientSecret?: string | undefined
  secret?: ClientSecret | undefined
  keys: ClientKey[]
  jwksUri?: ClientJwksUri | undefined
  trustPolicies: TrustPolicy[]
}

export const DEFAULT_ENVIRONMENT = 'prod'
export const MIN_TOKEN_LIFETIME_SECONDS = 60

async function resolveGrants(
  storage: Storage,
  tenantId: string,
  grants: readonly GrantInput[],
): Promise<ScopeGrant[]> {
  const seen = new Set<string>()
  const result: ScopeGrant[] = []
  for (const [index, grant] of grants.entries()) {
    const field = `grants[${index}]`
    if (seen.has(grant.audience))
      throw new ValidationError(`${field}.audience`, `API "${grant.audience}" is listed twice`)
    seen.add(grant.audience)
    const api = await grantableApi(storage, tenantId, grant.audience)
    if (api === undefined) {
      throw new ValidationError(
        `${field}.audience`,
        `no API with audience "${grant.audience}" exists in this tenant`,
      )
    }
    let scopes = normaliseScopeList(`${field}.scopes`, grant.scopes ?? [])
    if (grant.preset !== undefined) {
      const preset = presetsOf(api.scopes, api.catalog).find((p) => p.name === grant.preset)
      if (preset === undefined) {
        const names = presetsOf(api.scopes, api.catalog).map((p) => p.name)
        throw new ValidationError(
          `${field}.preset`,
          `API "${api.audience}" has no preset "${grant.preset}"; use one of ${names.join(', ')}`,
        )
      }
      scopes = [...new Set([...preset.scopes, ...scopes])]
    }
    const known = new Set(api.scopes)
    const unknown = scopes.filter((s) => !known.has(s))
    if (unknown.length > 0) {
      throw new ValidationError(
        `${field}.scopes`,
        `not defined by API "${api.audience}": ${unknown.join(' ')}`,
      )
    }
    result.push({ audience: api.audience, scopes })
  }
  return result
}

function validateGrantTypes(grantTypes: readonly GrantType[]): GrantType[] {
  const value = [...new Set(grantTypes)]
  for (const grantType of value) {
    if (!GRANT_TYPES.includes(grantType)) {
      throw new ValidationError(
        'grant_types',
        `unknown grant type "${grantType}"; use ${GRANT_TYPES.join(', ')}`,
      )
    }
  }
  if (value.length === 0)
    throw new ValidationError('grant_types', 'an application needs at least one grant type')
  return value
}

function validateLifetime(lifetime: number | null, maxSeconds: number): number | null {
  if (
    lifetime !== null &&
    (!Number.isInteger(lifetime) || lifetime < MIN_TOKEN_LIFETIME_SECONDS || lifetime > maxSeconds)
  ) {
    throw new ValidationError(
      'token_lifetime_seconds',
      `token lifetime must be a whole number of seconds between ${MIN_TOKEN_LIFETIME_SECONDS} and ${maxSeconds}`,
    )
  }
  return lifetime
}

function validateRateLimit(perMinute: number | null): number | null {
  if (
    perMinute !== null &&
    (!Number.isInteger(perMinute) || perMinute < 1 || perMinute > 1_000_000)
  ) {
    throw new ValidationError(
      'token_rate_limit_per_minute',
      'the token quota must be a whole number of requests per minute, 1 to 1000000',
    )
  }
  return perMinute
}

function validateExpiry(expiresAt: Date | null, now: Date): Date | null {
  if (expiresAt !== null && expiresAt.getTime() <= now.getTime()) {
    throw new ValidationError('expires_at', 'expires_at must be in the future (or "never")')
  }
  return expiresAt
}

/** The non-secret fields an audit record shows before and after a change. */
export function auditableApplication(application: Application) {
  return {
    name: application.name,
    description: application.description,
    environment: application.environment,
    status: application.status,
    grant_types: application.grantTypes,
    grants: application.grants,
    token_lifetime_seconds: application.tokenLifetimeSeconds,
    expires_at: application.expiresAt?.toISOString() ?? null,
    can_introspect: application.canIntrospect,
    dpop_bound_access_tokens: application.dpopBoundAccessTokens,
    token_rate_limit_per_minute: application.tokenRateLimitPerMinute,
    token_endpoint_auth_method: application.tokenEndpointAuthMethod,
    claims: application.claims,
  }
}

export async function loadApplication(
  storage: Storage,
  tenantId: string,
  clientId: string,
): Promise<Application> {
  const application = await storage.applications.get(tenantId, clientId)
  if (application === undefined) throw new NotFoundError('application', clientId)
  return application
}

/**
 * Loads an application its caller means to change (edit, rotate, end, revoke, delete), refusing
 * when the application holds more admin authority than the caller (domain/authority).
 */
export async function loadApplicationToChange(
  storage: Storage,
  authority: Authority,
  tenantId: string,
  clientId: string,
): Promise<Application> {
  const tenant = await storage.tenants.get(tenantId)
  if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
  const application = await loadApplication(storage, tenantId, clientId)
  assertMayChangeApplication(authority, application, tenant.isRoot)
  return application
}

function parseTrustPolicies(value: unknown) {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_TRUST_POLICIES)
    throw new ValidationError(
      'trust_policies',
      `trust_policies must be a list of 1 to ${MAX_TRUST_POLICIES} trust policies`,
    )
  return value.map((rule, index) => parseTrustPolicy(`trust_policies[${index}]`, rule))
}

/** Least privilege: nothing is granted unless asked for, and every scope must exist. */
export async function createApplication(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  input: ApplicationInput & {
    name: string
    /** A JWK Set of public keys: the application authenticates with private_key_jwt. */
    jwks?: unknown
    /** Outside workloads it trusts instead (federation): no credential is stored at all. */
    trustPolicies?: unknown
  },
): Promise<CreatedApplication> {
  const now = deps.now()
  if (input.jwks !== undefined && input.jwksUri !== undefined)
    throw new ValidationError('jwks', 'give jwks or jwks_uri, not both')
  const rules = parseTrustPolicies(input.trustPolicies)
  const jwks = input.jwks === undefined ? undefined : await parseClientJwks('jwks', input.jwks)
  const jwksUri =
    input.jwksUri === undefined ? undefined : await checkedJwksUri(deps, input.jwksUri)
  await checkIssuers(deps, 'trust_policies', rules)
  const keyed = jwks !== undefined || jwksUri !== undefined || rules.length > 0
  const created = await deps.storage.transaction(async (storage) => {
    const tenant = await storage.tenants.get(tenantId)
    if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
    const grants = await resolveGrants(storage, tenantId, input.grants ?? [])
    assertMayGrantAdminScopes(authority, adminScopesIn(grants))
    const clientId = generateClientId()
    const { clientSecret, secret } = keyed
      ? { clientSecret: undefined, secret: undefined }
      : newSecret(deps, clientId, now)
    const keys = (jwks ?? []).map((k) => newClientKey(clientId, k, now))
    const published = jwksUri === undefined ? undefined : newJwksUri(clientId, jwksUri, now)
    const trustPolicies = rules.map((rule) => newTrustPolicy(clientId, rule, now))
    const application: Application = {
      clientId,
      tenantId,
      name: requireText('name', input.name, 200),
      description: optionalText('description', input.description, 2000),
      environment:
        input.environment === undefined
          ? DEFAULT_ENVIRONMENT
          : requireText('environment', input.environment, 50),
      status: 'active',
      grantTypes: validateGrantTypes(input.grantTypes ?? ['client_credentials']),
      grants,
      tokenLifetimeSeconds: validateLifetime(
        input.tokenLifetimeSeconds ?? null,
        tenant.maxTokenLifetimeSeconds,
      ),
      expiresAt: validateExpiry(input.expiresAt ?? null, now),
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
      canIntrospect: input.canIntrospect ?? false,
      dpopBoundAccessTokens: input.dpopBoundAccessTokens ?? false,
      tokenRateLimitPerMinute: validateRateLimit(input.tokenRateLimitPerMinute ?? null),
      isBuiltIn: false,
      tokenEndpointAuthMethod: keyed ? 'private_key_jwt' : 'client_secret_basic',
      claims:
        input.claims === undefined
          ? {}
          : validateCustomClaims(input.claims, await tenantClaimNames(storage)),
      version: 1,
    }
    await storage.applications.insert(application, secret)
    for (const key of keys) await storage.applications.insertKey(key)
    if (published !== undefined) await storage.applications.replaceJwksUri(published)
    for (const policy of trustPolicies) await storage.applications.insertTrustPolicy(policy)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'application.created',
        actor: authority.actor,
        clientId,
        data: {
          after: auditableApplication(application),
          ...(secret !== undefined && { secret_id: secret.id }),
          ...(keys.length > 0 && { keys: keys.map(auditableKey) }),
          ...(published !== undefined && { jwks_uri: published.uri }),
          ...(trustPolicies.length > 0 && {
            trust_policies: trustPolicies.map(auditableTrustPolicy),
          }),
        },
      },
    ])
    return { application, clientSecret, secret, keys, jwksUri: published, trustPolicies }
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId: created.application.clientId })
  return created
}

/**
 * Edits an application. With `expectedVersion` (the ETag) a concurrent edit makes this one
 * fail instead of silently overwriting it. Scope changes apply to the very next token request.
 */
export async function updateApplication(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  clientId: string,
  input: ApplicationInput,
  expectedVersion?: number,
): Promise<{ application: Application; scopesChanged: boolean }> {
  const jwksUri =
    input.jwksUri === undefined ? undefined : await checkedJwksUri(deps, input.jwksUri)
  const result = await deps.storage.transaction(async (storage) => {
    const tenant = await storage.tenants.get(tenantId)
    if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
    const current = await loadApplicationToChange(storage, authority, tenantId, clientId)
    if (current.status === 'revoked')
      throw new ConflictError('a revoked application cannot be changed')
    const now = deps.now()
    const next: Application = {
      ...current,
      name: input.name === undefined ? current.name : requireText('name', input.name, 200),
      description:
        input.description === undefined
          ? current.description
          : optionalText('description', input.description, 2000),
      environment:
        input.environment === undefined
          ? current.environment
          : requireText('environment', input.environment, 50),
      grantTypes:
        input.grantTypes === undefined ? current.grantTypes : validateGrantTypes(input.grantTypes),
      grants:
        input.grants === undefined
          ? current.grants
          : await resolveGrants(storage, tenantId, input.grants),
      tokenLifetimeSeconds:
        input.tokenLifetimeSeconds === undefined
          ? current.tokenLifetimeSeconds
          : validateLifetime(input.tokenLifetimeSeconds, tenant.maxTokenLifetimeSeconds),
      expiresAt:
        input.expiresAt === undefined ? current.expiresAt : validateExpiry(input.expiresAt, now),
      canIntrospect: input.canIntrospect ?? current.canIntrospect,
      dpopBoundAccessTokens: input.dpopBoundAccessTokens ?? current.dpopBoundAccessTokens,
      claims:
        input.claims === undefined
          ? current.claims
          : validateCustomClaims(input.claims, await tenantClaimNames(storage)),
      tokenRateLimitPerMinute:
        input.tokenRateLimitPerMinute === undefined
          ? current.tokenRateLimitPerMinute
          : validateRateLimit(input.tokenRateLimitPerMinute),
      updatedAt: now,
    }
    assertMayGrantAdminScopes(authority, adminScopesIn(next.grants))
    // Read only when the URL moves: most updates do not touch credentials.
    const previousUri =
      jwksUri === undefined ? undefined : await storage.applications.getJwksUri(clientId)
    if (jwksUri !== undefined) {
      if (previousUri === undefined)
        throw new ConflictError(
          'this application does not publish its keys at a jwks_uri (it has a secret or registered keys)',
        )
      await storage.applications.replaceJwksUri(newJwksUri(clientId, jwksUri, now))
    }
    const updated = await storage.applications.update(next, expectedVersion ?? current.version)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'application.updated',
        actor: authority.actor,
        clientId,
        data: {
          before: auditableApplication(current),
          after: auditableApplication(updated),
          ...(jwksUri !== undefined && {
            jwks_uri: { before: previousUri?.uri ?? null, after: jwksUri },
          }),
        },
      },
    ])
    return {
      application: updated,
      scopesChanged: JSON.stringify(current.grants) !== JSON.stringify(updated.grants),
    }
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId })
  return result
}

export async function getApplication(
  deps: Pick<ManagementDeps, 'storage' | 'now'>,
  tenantId: string,
  clientId: string,
): Promise<{
  application: Application
  secrets: ClientSecret[]
  keys: ClientKey[]
  jwksUri: ClientJwksUri | undefined
  trustPolicies: TrustPolicy[]
  usage: { day: string; tokens: number }[]
}> {
  const application = await loadApplication(deps.storage, tenantId, clientId)
  const now = deps.now()
  const { secrets, keys, jwksUri, trustPolicies } =
    await deps.storage.applications.listCredentials(clientId)
  const since = new Date(now.getTime() - 30 * 86_400_000)
  return {
    application,
    secrets: secrets.filter((s) => isSecretLive(s, now)),
    keys,
    jwksUri,
    trustPolicies,
    usage: await deps.storage.applications.tokensPerDay(tenantId, clientId, since),
  }
}

export function listApplications(
  deps: Pick<ManagementDeps, 'storage' | 'now'>,
  tenantId: string,
  page: PageRequest,
  filter: Omit<ApplicationFilter, 'now'> = {},
): Promise<Page<Application>> {
  return deps.storage.applications.list(tenantId, page, { ...filter, now: deps.now() })
}
