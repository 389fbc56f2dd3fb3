import { generateClientId, generateClientSecret, secretHint } from '../crypto/secret-format.js'
import { adminScopesFor, ADMIN_AUDIENCE, TENANT_ID_PATTERN } from '../domain/admin-api.js'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import {
  LEAK_RESPONSES,
  type Administrator,
  type Application,
  type LeakResponse,
  type SigningAlgorithm,
  type Tenant,
} from '../domain/model.js'
import { validateExternalId, validateTenantMetadata } from '../domain/platform.js'
import type { AuditEvent, Storage } from '../storage/contract.js'
import { applicationRevocation } from './application-endings.js'
import { insertAdministrator, prepareAdministrator } from './administrators.js'
import { SIGNING_ALGORITHMS } from '../crypto/jws-signer.js'
import type { ManagementDeps } from './deps.js'
import { newSigningKey } from './keys.js'
import { optionalText } from './validate.js'
import { randomBytes } from 'node:crypto'

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400

export interface CreateTenantInput {
  id: string
  displayName?: string | undefined
  signingAlgorithm?: SigningAlgorithm | undefined
  isRoot?: boolean
  /** The platform vendor's id for the customer (domain/platform); unique when set. */
  externalId?: string | undefined
  metadata?: unknown
}

export interface CreatedTenant {
  tenant: Tenant
  /** The tenant's first admin application; its secret is shown this once. */
  admin: { application: Application; clientSecret: string }
  /** The tenant's first console administrator, an owner; its password is shown this once. */
  owner: { administrator: Administrator; password: string }
}

export const FIRST_OWNER_USERNAME = 'owner'

/**
 * Creates a tenant with its signing keys (current + pre-published next), its built-in admin
 * API and a first admin application, in one transaction.
 */
export async function createTenant(
  deps: ManagementDeps,
  actor: string,
  input: CreateTenantInput,
): Promise<CreatedTenant> {
  if (!TENANT_ID_PATTERN.test(input.id)) {
    throw new ValidationError(
      'id',
      'tenant id must be 1-63 lower-case letters, digits or hyphens, starting and ending with a letter or digit',
    )
  }
  const algorithm = input.signingAlgorithm ?? 'ES256'
  if (!SIGNING_ALGORITHMS.includes(algorithm)) {
    throw new ValidationError(
      'signing_algorithm',
      `signing algorithm must be one of ${SIGNING_ALGORITHMS.join(', ')}`,
    )
  }
  const now = deps.now()
  const tenant: Tenant = {
    id: input.id,
    displayName: optionalText('display_name', input.displayName, 200) || input.id,
    isRoot: input.isRoot ?? false,
    signingAlgorithm: algorithm,
    defaultTokenLifetimeSeconds: DEFAULT_TOKEN_LIFETIME_SECONDS,
    maxTokenLifetimeSeconds: MAX_TOKEN_LIFETIME_SECONDS,
    leakResponse: 'revoke_secret',
    externalId: input.externalId === undefined ? null : validateExternalId(input.externalId),
    metadata: input.metadata === undefined ? {} : validateTenantMetadata(input.metadata),
    status: 'active',
    createdAt: now,
    updatedAt: now,
  }
  const owner = await prepareAdministrator(deps, tenant.id, {
    username: FIRST_OWNER_USERNAME,
    role: 'owner',
  })
  const clientSecret = generateClientSecret()
  const application: Application = {
    clientId: generateClientId(),
    tenantId: tenant.id,
    name: 'Tokenmint admin',
    description: 'Created with the tenant; used by the tokenmint CLI.',
    environment: 'admin',
    status: 'active',
    grantTypes: ['client_credentials'],
    grants: [{ audience: ADMIN_AUDIENCE, scopes: adminScopesFor(tenant.isRoot) }],
    tokenLifetimeSeconds: 900,
    expiresAt: null,
    createdAt: now,
    updatedAt: now,
    lastUsedAt: null,
    canIntrospect: false,
    dpopBoundAccessTokens: false,
    tokenRateLimitPerMinute: null,
    isBuiltIn: true,
    tokenEndpointAuthMethod: 'client_secret_basic',
    claims: {},
    version: 1,
  }
  await deps.storage.transaction(async (storage) => {
    await storage.tenants.insert(tenant)
    await storage.signingKeys.insert(
      newSigningKey(deps.sealer, tenant.id, algorithm, 'current', now),
    )
    await storage.signingKeys.insert(newSigningKey(deps.sealer, tenant.id, algorithm, 'next', now))
    await storage.apis.insert({
      id: `api_${randomBytes(9).toString('base64url')}`,
      tenantId: tenant.id,
      audience: ADMIN_AUDIENCE,
      name: 'Tokenmint Admin API',
      scopes: adminScopesFor(tenant.isRoot),
      catalog: null,
      isBuiltIn: true,
      sharing: null,
      tenantClaims: {},
      version: 1,
      createdAt: now,
      updatedAt: now,
    })
    await storage.applications.insert(application, {
      id: `sec_${randomBytes(9).toString('base64url')}`,
      clientId: application.clientId,
      hash: deps.hasher.hash(clientSecret),
      hint: secretHint(clientSecret),
      createdAt: now,
      expiresAt: null,
      lastUsedAt: null,
      lastUsedIp: null,
    })
    await insertAdministrator(storage, actor, owner.administrator)
    await storage.audit.append([
      {
        tenantId: tenant.id,
        occurredAt: now,
        type: 'tenant.created',
        actor,
        clientId: null,
        data: {
          tenant: tenant.id,
          signing_algorithm: algorithm,
          admin_client_id: application.clientId,
          ...(tenant.externalId !== null && { external_id: tenant.externalId }),
        },
      },
    ])
  })
  deps.changes.publish({ kind: 'tenant', tenantId: tenant.id })
  deps.changes.publish({ kind: 'application', tenantId: tenant.id, clientId: application.clientId })
  return {
    tenant,
    admin: { application, clientSecret },
    owner: { administrator: owner.administrator, password: owner.generatedPassword ?? '' },
  }
}

export type ProvisionedTenant =
  ({ created: true } & CreatedTenant) | { created: false; tenant: Tenant }

/** The tenant that already holds `externalId`; a conflict when it has another id than asked. */
async function provisioned(
  storage: Storage,
  id: string,
  externalId: string,
): Promise<Tenant | undefined> {
  const found = await storage.tenants.getByExternalId(externalId)
  if (found !== undefined && found.id !== id)
    throw new ConflictError(`external_id "${externalId}" belongs to tenant "${found.id}"`)
  return found
}

/**
 * Creation as the platform vendor's backend asks for it: idempotent by `externalId`. The same
 * external id again (with the same tenant id) answers with the tenant it made, never a second
 * one, and no new credentials. Racing requests all try the insert; the unique index lets one
 * win and the others find its tenant.
 */
export async function provisionTenant(
  deps: ManagementDeps,
  actor: string,
  input: CreateTenantInput,
): Promise<ProvisionedTenant> {
  if (input.externalId === undefined)
    return { created: true, ...(await createTenant(deps, actor, input)) }
  const externalId = validateExternalId(input.externalId)
  const existing = await provisioned(deps.storage, input.id, externalId)
  if (existing !== undefined) return { created: false, tenant: existing }
  try {
    return { created: true, ...(await createTenant(deps, actor, { ...input, externalId })) }
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error
    const winner = await provisioned(deps.storage, input.id, externalId)
    if (winner === undefined) throw error
    return { created: false, tenant: winner }
  }
}

export async function getTenant(
  deps: Pick<ManagementDeps, 'storage'>,
  id: string,
): Promise<Tenant> {
  const tenant = await deps.storage.tenants.get(id)
  if (tenant === undefined) throw new NotFoundError('tenant', id)
  return tenant
}

export function listTenants(deps: Pick<ManagementDeps, 'storage'>): Promise<Tenant[]> {
  return deps.storage.tenants.list()
}

export interface TenantSettingsInput {
  displayName?: string | undefined
  defaultTokenLifetimeSeconds?: number | undefined
  maxTokenLifetimeSeconds?: number | undefined
  leakResponse?: LeakResponse | undefined
  /** null removes it. */
  externalId?: string | null | undefined
  /** Replaces the whole map. */
  metadata?: unknown
}

const MIN_TENANT_LIFETIME_SECONDS = 60

/**
 * Changes a tenant's display name and token lifetimes. Lowering the maximum needs no further
 * step: token lifetimes are capped by it when tokens are issued (domain/token-policy).
 */
export async function updateTenantSettings(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  input: TenantSettingsInput,
  /** The root tenant, when its caller changes another tenant: its log gets a copy. */
  operatorTenantId?: string,
): Promise<Tenant> {
  const updated = await deps.storage.transaction(async (storage) => {
    const current = await storage.tenants.get(tenantId)
    if (current === undefined) throw new NotFoundError('tenant', tenantId)
    const lifetime = (field: string, value: number | undefined, fallback: number) => {
      if (value === undefined) return fallback
      if (
        !Number.isInteger(value) ||
        value < MIN_TENANT_LIFETIME_SECONDS ||
        value > MAX_TOKEN_LIFETIME_SECONDS
      ) {
        throw new ValidationError(
          field,
          `${field} must be a whole number of seconds between ${MIN_TENANT_LIFETIME_SECONDS} and ${MAX_TOKEN_LIFETIME_SECONDS}`,
        )
      }
      return value
    }
    const next: Tenant = {
      ...current,
      displayName:
        input.displayName === undefined
          ? current.displayName
          : optionalText('display_name', input.displayName, 200) || current.id,
      defaultTokenLifetimeSeconds: lifetime(
        'default_token_lifetime_seconds',
        input.defaultTokenLifetimeSeconds,
        current.defaultTokenLifetimeSeconds,
      ),
      maxTokenLifetimeSeconds: lifetime(
        'max_token_lifetime_seconds',
        input.maxTokenLifetimeSeconds,
        current.maxTokenLifetimeSeconds,
      ),
      leakResponse: input.leakResponse ?? current.leakResponse,
      externalId:
        input.externalId === undefined
          ? current.externalId
          : input.externalId === null
            ? null
            : validateExternalId(input.externalId),
      metadata:
        input.metadata === undefined ? current.metadata : validateTenantMetadata(input.metadata),
      updatedAt: deps.now(),
    }
    if (!LEAK_RESPONSES.includes(next.leakResponse))
      throw new ValidationError(
        'leak_response',
        `leak_response must be one of: ${LEAK_RESPONSES.join(', ')}`,
      )
    if (next.defaultTokenLifetimeSeconds > next.maxTokenLifetimeSeconds) {
      throw new ValidationError(
        'default_token_lifetime_seconds',
        `the default token lifetime (${next.defaultTokenLifetimeSeconds} s) must not exceed the maximum (${next.maxTokenLifetimeSeconds} s)`,
      )
    }
    const settings = (t: Tenant) => ({
      display_name: t.displayName,
      default_token_lifetime_seconds: t.defaultTokenLifetimeSeconds,
      max_token_lifetime_seconds: t.maxTokenLifetimeSeconds,
      leak_response: t.leakResponse,
      external_id: t.externalId,
      metadata: t.metadata,
    })
    await storage.tenants.updateSettings(next)
    await storage.audit.append(
      tenantRecords({ actor, tenantId: operatorTenantId ?? tenantId }, tenantId, {
        occurredAt: next.updatedAt,
        type: 'tenant.updated',
        data: { before: settings(current), after: settings(next) },
      }),
    )
    return next
  })
  deps.changes.publish({ kind: 'tenant', tenantId })
  return updated
}

/** Who changes a tenant: the caller and its tenant (the root tenant, or the tenant itself). */
export interface TenantOperator {
  actor: string
  tenantId: string
}

/** The record in the changed tenant's log, and a copy in the operator's when that is another. */
function tenantRecords(
  operator: TenantOperator,
  tenantId: string,
  record: Pick<AuditEvent, 'occurredAt' | 'type' | 'data'>,
): AuditEvent[] {
  const event: AuditEvent = {
    ...record,
    tenantId,
    actor: operator.actor,
    clientId: null,
    data: { tenant: tenantId, ...record.data },
  }
  return operator.tenantId === tenantId
    ? [event]
    : [event, { ...event, tenantId: operator.tenantId }]
}

/** A tenant to suspend, resume or delete: present, and never the root tenant. */
async function loadManagedTenant(
  storage: Storage,
  tenantId: string,
  doing: string,
): Promise<Tenant> {
  await storage.tenants.lockForChange(tenantId)
  const tenant = await storage.tenants.get(tenantId)
  if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
  if (tenant.isRoot) throw new ConflictError(`the root tenant cannot be ${doing}`)
  return tenant
}

/**
 * A revocation-feed entry for each of the tenant's applications that is not revoked already,
 * lasting as long as any token it was issued may live: verifiers following the feed refuse
 * every token issued until now. Returns the applications' client ids.
 */
async function revokeIssuedTokens(storage: Storage, tenant: Tenant, now: Date): Promise<string[]> {
  const applications = (await storage.applications.listAll(tenant.id)).filter(
    (a) => a.status !== 'revoked',
  )
  for (const application of applications)
    await storage.revocations.append(applicationRevocation(tenant, application.clientId, now))
  return applications.map((a) => a.clientId)
}

function publishEnded(
  deps: Pick<ManagementDeps, 'changes'>,
  tenantId: string,
  clientIds: string[],
) {
  deps.changes.publish({ kind: 'tenant', tenantId })
  for (const clientId of clientIds)
    deps.changes.publish({ kind: 'application', tenantId, clientId })
  deps.changes.publish({ kind: 'revocation', tenantId })
}

/**
 * Suspends a tenant: it gets no more tokens, its administrators are turned away, and every
 * token it has issued is revoked through the feed. Suspending a suspended tenant changes nothing.
 */
export async function suspendTenant(
  deps: ManagementDeps,
  operator: TenantOperator,
  tenantId: string,
): Promise<Tenant> {
  let revoked: string[] = []
  const tenant = await deps.storage.transaction(async (storage) => {
    const current = await loadManagedTenant(storage, tenantId, 'suspended')
    if (current.status === 'suspended') return current
    const now = deps.now()
    const next: Tenant = { ...current, status: 'suspended', updatedAt: now }
    await storage.tenants.updateSettings(next)
    revoked = await revokeIssuedTokens(storage, current, now)
    await storage.audit.append(
      tenantRecords(operator, tenantId, {
        occurredAt: now,
        type: 'tenant.suspended',
        data: { applications_revoked: revoked.length },
      }),
    )
    return next
  })
  publishEnded(deps, tenantId, revoked)
  return tenant
}

/**
 * Lifts a suspension: new tokens are issued again. Tokens revoked by the suspension stay
 * revoked (their feed entries run their course).
 */
export async function resumeTenant(
  deps: ManagementDeps,
  operator: TenantOperator,
  tenantId: string,
): Promise<Tenant> {
  const tenant = await deps.storage.transaction(async (storage) => {
    const current = await loadManagedTenant(storage, tenantId, 'resumed')
    if (current.status === 'active') return current
    const next: Tenant = { ...current, status: 'active', updatedAt: deps.now() }
    await storage.tenants.updateSettings(next)
    await storage.audit.append(
      tenantRecords(operator, tenantId, {
        occurredAt: next.updatedAt,
        type: 'tenant.resumed',
        data: {},
      }),
    )
    return next
  })
  deps.changes.publish({ kind: 'tenant', tenantId })
  return tenant
}

/**
 * Deletes a tenant's data: applications and their credentials, APIs, users, administrators,
 * sessions, signing keys, webhooks, audit sinks and insight. Its tokens are revoked through the
 * feed first. Its audit log stays until the audit retention removes it, and a tombstone keeps
 * its id (and so its issuer URL) from ever being used again; its external id is freed.
 */
export async function deleteTenant(
  deps: ManagementDeps,
  operator: TenantOperator,
  tenantId: string,
): Promise<void> {
  let revoked: string[] = []
  await deps.storage.transaction(async (storage) => {
    const current = await loadManagedTenant(storage, tenantId, 'deleted')
    const now = deps.now()
    revoked = await revokeIssuedTokens(storage, current, now)
    await storage.tenants.deleteData(tenantId, now)
    await storage.audit.append(
      tenantRecords(operator, tenantId, {
        occurredAt: now,
        type: 'tenant.deleted',
        data: {
          external_id: current.externalId,
          status: current.status,
          applications_revoked: revoked.length,
        },
      }),
    )
  })
  publishEnded(deps, tenantId, revoked)
}
