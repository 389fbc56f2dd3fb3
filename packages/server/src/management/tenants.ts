import { generateClientId, generateClientSecret, secretHint } from '../crypto/secret-format.js'
import { adminScopesFor, ADMIN_AUDIENCE, TENANT_ID_PATTERN } from '../domain/admin-api.js'
import { NotFoundError, ValidationError } from '../domain/errors.js'
import type { Administrator, Application, SigningAlgorithm, Tenant } from '../domain/model.js'
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
    tokenRateLimitPerMinute: null,
    isBuiltIn: true,
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
