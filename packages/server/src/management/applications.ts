import { randomBytes } from 'node:crypto'

import { generateClientId, generateClientSecret, secretHint } from '../crypto/secret-format.js'
import { NotFoundError, ValidationError } from '../domain/errors.js'
import {
  GRANT_TYPES,
  type Application,
  type ClientSecret,
  type GrantType,
  type ScopeGrant,
} from '../domain/model.js'
import { normaliseScopeList } from '../domain/scopes.js'
import type { Page, PageRequest, Storage } from '../storage/contract.js'
import type { ManagementDeps } from './deps.js'
import { optionalText, requireText } from './validate.js'

export interface CreateApplicationInput {
  name: string
  description?: string | undefined
  environment?: string | undefined
  grantTypes?: readonly GrantType[] | undefined
  grants?: readonly ScopeGrant[] | undefined
  tokenLifetimeSeconds?: number | null | undefined
  expiresAt?: Date | null | undefined
}

export interface CreatedApplication {
  application: Application
  /** Shown exactly once. */
  clientSecret: string
  secret: ClientSecret
}

export const DEFAULT_ENVIRONMENT = 'prod'
export const MIN_TOKEN_LIFETIME_SECONDS = 60

async function validateGrants(
  storage: Storage,
  tenantId: string,
  grants: readonly ScopeGrant[],
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
    const scopes = normaliseScopeList(`${field}.scopes`, grant.scopes)
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

function validateGrantTypes(grantTypes: readonly GrantType[] | undefined): GrantType[] {
  const value: GrantType[] = [...new Set(grantTypes ?? ['client_credentials' as const])]
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

/** Least privilege: nothing is granted unless asked for, and every scope must exist. */
export async function createApplication(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  input: CreateApplicationInput,
): Promise<CreatedApplication> {
  const now = deps.now()
  const name = requireText('name', input.name, 200)
  const description = optionalText('description', input.description, 2000)
  const environment =
    input.environment === undefined
      ? DEFAULT_ENVIRONMENT
      : requireText('environment', input.environment, 50)
  const grantTypes = validateGrantTypes(input.grantTypes)
  if (input.expiresAt != null && input.expiresAt.getTime() <= now.getTime()) {
    throw new ValidationError(
      'expires_at',
      'expires_at must be in the future (or omitted for an application that never expires)',
    )
  }
  const created = await deps.storage.transaction(async (storage) => {
    const tenant = await storage.tenants.get(tenantId)
    if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
    const lifetime = input.tokenLifetimeSeconds ?? null
    if (
      lifetime !== null &&
      (!Number.isInteger(lifetime) ||
        lifetime < MIN_TOKEN_LIFETIME_SECONDS ||
        lifetime > tenant.maxTokenLifetimeSeconds)
    ) {
      throw new ValidationError(
        'token_lifetime_seconds',
        `token lifetime must be a whole number of seconds between ${MIN_TOKEN_LIFETIME_SECONDS} and ${tenant.maxTokenLifetimeSeconds}`,
      )
    }
    const grants = await validateGrants(storage, tenantId, input.grants ?? [])
    const clientId = generateClientId()
    const { clientSecret, secret } = newSecret(deps, clientId, now)
    const application: Application = {
      clientId,
      tenantId,
      name,
      description,
      environment,
      status: 'active',
      grantTypes,
      grants,
      tokenLifetimeSeconds: lifetime,
      expiresAt: input.expiresAt ?? null,
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
    }
    await storage.applications.insert(application, secret)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'application.created',
        actor,
        clientId,
        data: {
          after: {
            name,
            description,
            environment,
            grant_types: grantTypes,
            grants,
            token_lifetime_seconds: lifetime,
            expires_at: application.expiresAt?.toISOString() ?? null,
          },
          secret_id: secret.id,
        },
      },
    ])
    return { application, clientSecret, secret }
  })
  deps.changes.publish({ kind: 'application', tenantId, clientId: created.application.clientId })
  return created
}

export async function getApplication(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
  clientId: string,
): Promise<{ application: Application; secrets: ClientSecret[] }> {
  const application = await deps.storage.applications.get(tenantId, clientId)
  if (application === undefined) throw new NotFoundError('application', clientId)
  return { application, secrets: await deps.storage.applications.listSecrets(clientId) }
}

export function listApplications(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
  page: PageRequest,
): Promise<Page<Application>> {
  return deps.storage.applications.list(tenantId, page)
}
