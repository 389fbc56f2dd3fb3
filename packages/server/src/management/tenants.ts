import { generateClientId, generateClientSecret, secretHint } from '../crypto/secret-format.js'
import { adminScopesFor, ADMIN_AUDIENCE, TENANT_ID_PATTERN } from '../domain/admin-api.js'
import { NotFoundError, ValidationError } from '../domain/errors.js'
import {
  LEAK_RESPONSES,
  type Administrator,
  type Application,
  type LeakResponse,
  type SigningAlgorithm,
  type Tenant,
} from '../domain/model.js'
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
): Promise<Tenant> {
  return deps.storage.transaction(async (storage) => {
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
    })
    await storage.tenants.updateSettings(next)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: next.updatedAt,
        type: 'tenant.updated',
        actor,
        clientId: null,
        data: { before: settings(current), after: settings(next) },
      },
    ])
    return next
  })
}
