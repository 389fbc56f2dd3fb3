import { randomBytes } from 'node:crypto'

import { generateClientId, generateClientSecret, secretHint } from '../crypto/secret-format.js'
import { presetsOf } from '../domain/catalog.js'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import {
  GRANT_TYPES,
  type Application,
  type ClientSecret,
  type GrantType,
  type ScopeGrant,
} from '../domain/model.js'
import { normaliseScopeList } from '../domain/scopes.js'
import type { ApplicationFilter, Page, PageRequest, Storage } from '../storage/contract.js'
import type { ManagementDeps } from './deps.js'
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
  tokenRateLimitPerMinute?: number | null | undefined
}

export interface CreatedApplication {
  application: Application
  /** Shown exactly once. */
  clientSecret: string
  secret: ClientSecret
}

export const DEFAULT_ENVIRONMENT = 'prod'
export const MIN_TOKEN_LIFETIME_SECONDS = 60
export const DEFAULT_OVERLAP_SECONDS = 24 * 3600
/** A secret used this recently while its overlap ends this soon is still in use: warn. */
export const STILL_IN_USE_WINDOW_MS = 3600_000

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
    const api = await storage.apis.getByAudience(tenantId, grant.audience)
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

export function newSecret(
  deps: Pick<ManagementDeps, 'hasher'>,
  clientId: string,
  now: Date,
): { clientSecret: string; secret: ClientSecret } {
  const clientSecret = generateClientSecret()
  return {
    clientSecret,
    secret: {
      id: `sec_${randomBytes(9).toString('base64url')}`,
      clientId,
      hash: deps.hasher.hash(clientSecret),
      hint: secretHint(clientSecret),
      createdAt: now,
      expiresAt: null,
      lastUsedAt: null,
      lastUsedIp: null,
    },
  }
}

/** The non-secret fields an audit record shows before and after a change. */
function auditable(application: Application) {
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
    token_rate_limit_per_minute: application.tokenRateLimitPerMinute,
  }
}

async function load(storage: Storage, tenantId: string, clientId: string): Promise<Application> {
  const application = await storage.applications.get(tenantId, clientId)
  if (application === undefined) throw new NotFoundError('application', clientId)
  return application
}

/** Least privilege: nothing is granted unless asked for, and every scope must exist. */
export async function createApplication(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  input: ApplicationInput & { name: string },
): Promise<CreatedApplication> {
  const now = deps.now()
  const created = await deps.storage.transaction(async (storage) => {
    const tenant = await storage.tenants.get(tenantId)
    if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
    const clientId = generateClientId()
    const { clientSecret, secret } = newSecret(deps, clientId, now)
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
      grants: await resolveGrants(storage, tenantId, input.grants ?? []),
      tokenLifetimeSeconds: validateLifetime(
        input.tokenLifetimeSeconds ?? null,
        tenant.maxTokenLifetimeSeconds,
      ),
      expiresAt: validateExpiry(input.expiresAt ?? null, now),
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
      canIntrospect: input.canIntrospect ?? false,
      tokenRateLimitPerMinute: validateRateLimit(input.tokenRateLimitPerMinute ?? null),
      version: 1,
    }
    await storage.applications.insert(application, secret)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'application.created',
        actor,
        clientId,
        data: { after: auditable(application), secret_id: secret.id },
      },
    ])
    return { application, clientSecret, secret }
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
  actor: string,
  tenantId: string,
  clientId: string,
  input: ApplicationInput,
  expectedVersion?: number,
): Promise<{ application: Application; scopesChanged: boolean }> {
  const result = await deps.storage.transaction(async (storage) => {
    const tenant = await storage.tenants.get(tenantId)
    if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
    const current = await load(storage, tenantId, clientId)
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
      tokenRateLimitPerMinute:
        input.tokenRateLimitPerMinute === undefined
          ? current.tokenRateLimitPerMinute
          : validateRateLimit(input.tokenRateLimitPerMinute),
      updatedAt: now,
    }
    const updated = await storage.applications.update(next, expectedVersion ?? current.version)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'application.updated',
        actor,
        clientId,
        data: { before: auditable(current), after: auditable(updated) },
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

/**
 * Issues a new secret, shown once. The previous one stays valid for `overlapSeconds` so a
 * fleet can roll over without downtime (0 ends it at once). At most two secrets are live.
 */
export async function rotateSecret(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  clientId: string,
  overlapSeconds: number = DEFAULT_OVERLAP_SECONDS,
): Promise<{ clientSecret: string; secret: ClientSecret; previous: ClientSecret | undefined }> {
  if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > 30 * 86_400) {
    throw new ValidationError(
      'overlap_seconds',
      'overlap must be a whole number of seconds between 0 and 30 days',
    )
  }
  const result = await deps.storage.transaction(async (storage) => {
    const application = await load(storage, tenantId, clientId)
    if (application.status === 'revoked')
      throw new ConflictError('a revoked application cannot get a new secret')
    const now = deps.now()
    const live = (await storage.applications.listSecrets(clientId)).filter(
      (s) => s.expiresAt === null || s.expiresAt.getTime() > now.getTime(),
    )
    if (live.length >= 2) {
      const ending = live.find((s) => s.expiresAt !== null)
      throw new ConflictError(
        `a rotation is already in progress: the previous secret ${ending?.hint ?? ''} is valid until ${ending?.expiresAt?.toISOString() ?? '?'}; end the overlap first`,
      )
    }
    const previous = live[0]
    // Secrets whose overlap has already ended are removed for good.
    const liveIds = new Set(live.map((s) => s.id))
    for (const secret of await storage.applications.listSecrets(clientId)) {
      if (!liveIds.has(secret.id)) await storage.applications.deleteSecret(clientId, secret.id)
    }
    const { clientSecret, secret } = newSecret(deps, clientId, now)
    await storage.applications.insertSecret(secret)
    let ended: ClientSecret | undefined
    if (previous !== undefined) {
      if (overlapSeconds === 0) {
        await storage.applications.deleteSecret(clientId, previous.id)
      } else {
        const expiresAt = new Date(now.getTime() + overlapSeconds * 1000)
        await storage.applications.setSecretExpiry(clientId, previous.id, expiresAt)
        ended = { ...previous, expiresAt }
      }
    }
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'application.secret_rotated',
        actor,
        clientId,
        data: {
          secret_id: secret.id,
          previous_secret_id: previous?.id ?? null,
          previous_valid_until:
            ended?.expiresAt?.toISOString() ?? (previous === undefined ? null : now.toISOString()),
          overlap_seconds: overlapSeconds,
        },
      },
    ])
    return { clientSecret, secret, previous: ended }
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId })
  return result
}

/** Ends a rotation overlap early: only the newest secret stays valid. */
export async function endOverlap(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  clientId: string,
): Promise<number> {
  const ended = await deps.storage.transaction(async (storage) => {
    await load(storage, tenantId, clientId)
    const secrets = await storage.applications.listSecrets(clientId)
    const newest = secrets.at(-1)
    const old = secrets.filter((s) => s !== newest)
    for (const secret of old) await storage.applications.deleteSecret(clientId, secret.id)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: deps.now(),
        type: 'application.overlap_ended',
        actor,
        clientId,
        data: {
          ended_secret_ids: old.map((s) => s.id),
          warning: old.some((s) => isStillInUse(s, deps.now())),
        },
      },
    ])
    return old.length
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId })
  return ended
}

async function recordRevocation(
  storage: Storage,
  application: Application,
  now: Date,
): Promise<void> {
  const tenant = await storage.tenants.get(application.tenantId)
  const lifetime = Math.min(
    application.tokenLifetimeSeconds ?? tenant?.defaultTokenLifetimeSeconds ?? 86_400,
    tenant?.maxTokenLifetimeSeconds ?? 86_400,
  )
  // Until the last token this application could hold has expired (plus clock skew).
  await storage.revocations.append({
    tenantId: application.tenantId,
    type: 'application',
    clientId: application.clientId,
    jti: null,
    revokedAt: now,
    expiresAt: new Date(now.getTime() + (lifetime + 300) * 1000),
  })
}

/**
 * Terminal. Once this returns, no token request for the application succeeds: a request
 * already in flight is refused when its audit record is committed (see appendTokenEvents).
 */
export async function revokeApplication(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  clientId: string,
): Promise<Application> {
  const revoked = await deps.storage.transaction(async (storage) => {
    const current = await load(storage, tenantId, clientId)
    if (current.status === 'revoked') return current
    const now = deps.now()
    const updated = await storage.applications.update(
      { ...current, status: 'revoked', updatedAt: now },
      current.version,
    )
    await recordRevocation(storage, current, now)
    await storage.refreshTokens.revokeForClient(clientId, now)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'application.revoked',
        actor,
        clientId,
        data: { before: auditable(current) },
      },
    ])
    return updated
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId })
  deps.changes.publish({ kind: 'revocation', tenantId })
  return revoked
}

/** Removes the application and its secrets; its tokens are revoked and its audit history stays. */
export async function deleteApplication(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  clientId: string,
): Promise<void> {
  await deps.storage.transaction(async (storage) => {
    const current = await load(storage, tenantId, clientId)
    const now = deps.now()
    await storage.applications.delete(tenantId, clientId)
    if (current.status !== 'revoked') await recordRevocation(storage, current, now)
    await storage.refreshTokens.revokeForClient(clientId, now)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'application.deleted',
        actor,
        clientId,
        data: { before: auditable(current) },
      },
    ])
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId })
  deps.changes.publish({ kind: 'revocation', tenantId })
}

/** A secret whose overlap ends soon but that clients still use: ending it would break one. */
export function isStillInUse(secret: ClientSecret, now: Date): boolean {
  return (
    secret.expiresAt !== null &&
    secret.lastUsedAt !== null &&
    now.getTime() - secret.lastUsedAt.getTime() < STILL_IN_USE_WINDOW_MS &&
    secret.lastUsedAt.getTime() > secret.createdAt.getTime()
  )
}

export async function getApplication(
  deps: Pick<ManagementDeps, 'storage' | 'now'>,
  tenantId: string,
  clientId: string,
): Promise<{
  application: Application
  secrets: ClientSecret[]
  usage: { day: string; tokens: number }[]
}> {
  const application = await load(deps.storage, tenantId, clientId)
  const now = deps.now()
  const secrets = (await deps.storage.applications.listSecrets(clientId)).filter(
    (s) => s.expiresAt === null || s.expiresAt.getTime() > now.getTime(),
  )
  const since = new Date(now.getTime() - 30 * 86_400_000)
  return {
    application,
    secrets,
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
