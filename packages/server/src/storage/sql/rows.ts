import type { Selectable } from 'kysely'

import type { PublicJwk } from '../../crypto/jws-signer.js'
import type { ScopeCatalog } from '../../domain/catalog.js'
import { ConflictError } from '../../domain/errors.js'
import type {
  Api,
  Application,
  ApplicationStatus,
  ClientJwk,
  ClientJwksUri,
  ClientKey,
  ClientSecret,
  GrantType,
  LeakResponse,
  TenantStatus,
  ScopeGrant,
  SigningAlgorithm,
  SigningKey,
  TokenEndpointAuthMethod,
  SigningKeyStatus,
  Tenant,
  TrustPolicy,
} from '../../domain/model.js'
import type { AuditEvent } from '../contract.js'
import type {
  ApisTable,
  ApplicationsTable,
  ClientSecretsTable,
  SigningKeysTable,
  TenantsTable,
} from './schema.js'

/** Row ↔ domain mapping shared by the SQL stores: times are epoch ms, JSON is text. */
export const ms = (date: Date): number => date.getTime()
export const msOrNull = (date: Date | null): number | null =>
  date === null ? null : date.getTime()
export const dateOrNull = (value: number | null): Date | null =>
  value === null ? null : new Date(value)

export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  )
}

export async function translateConflicts<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(what, { cause: error })
    throw error
  }
}

export function encodeCursor(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url')
}

export function decodeCursor(cursor: string): [number, string] | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString())
    if (Array.isArray(parsed) && typeof parsed[0] === 'number' && typeof parsed[1] === 'string') {
      return [parsed[0], parsed[1]]
    }
  } catch {
    // fall through: an unreadable cursor is treated as the first page's
  }
  return undefined
}

export function tenantFromRow(row: Selectable<TenantsTable>): Tenant {
  return {
    id: row.id,
    displayName: row.display_name,
    isRoot: row.is_root === 1,
    signingAlgorithm: row.signing_algorithm as SigningAlgorithm,
    defaultTokenLifetimeSeconds: row.default_token_lifetime_seconds,
    maxTokenLifetimeSeconds: row.max_token_lifetime_seconds,
    leakResponse: row.leak_response as LeakResponse,
    externalId: row.external_id,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    status: row.status as TenantStatus,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

export function keyFromRow(row: Selectable<SigningKeysTable>): SigningKey {
  return {
    kid: row.kid,
    tenantId: row.tenant_id,
    algorithm: row.algorithm as SigningAlgorithm,
    status: row.status as SigningKeyStatus,
    publicJwk: JSON.parse(row.public_jwk) as PublicJwk,
    sealedPrivateKey: row.sealed_private_key,
    createdAt: new Date(row.created_at),
    activatedAt: dateOrNull(row.activated_at),
    retiredAt: dateOrNull(row.retired_at),
    publishUntil: dateOrNull(row.publish_until),
  }
}

export function apiFromRow(row: Selectable<ApisTable>): Api {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    audience: row.audience,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
    catalog: row.catalog === null ? null : (JSON.parse(row.catalog) as ScopeCatalog),
    isBuiltIn: row.is_built_in === 1,
    sharing: row.sharing === null ? null : { tenants: JSON.parse(row.sharing) as 'all' | string[] },
    tenantClaims:
      row.tenant_claims === null ? {} : (JSON.parse(row.tenant_claims) as Record<string, string>),
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

export function applicationFromRow(row: Selectable<ApplicationsTable>): Application {
  return {
    clientId: row.client_id,
    tenantId: row.tenant_id,
    name: row.name,
    description: row.description,
    environment: row.environment,
    status: row.status as ApplicationStatus,
    grantTypes: JSON.parse(row.grant_types) as GrantType[],
    grants: JSON.parse(row.grants) as ScopeGrant[],
    tokenLifetimeSeconds: row.token_lifetime_seconds,
    expiresAt: dateOrNull(row.expires_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    lastUsedAt: dateOrNull(row.last_used_at),
    canIntrospect: row.can_introspect === 1,
    tokenRateLimitPerMinute: row.token_rate_limit_per_minute,
    isBuiltIn: row.is_built_in === 1,
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as TokenEndpointAuthMethod,
    dpopBoundAccessTokens: row.dpop_bound_access_tokens === 1,
    claims: row.claims === null ? {} : (JSON.parse(row.claims) as Record<string, string>),
    version: row.version,
  }
}

export function secretFromRow(row: Selectable<ClientSecretsTable>): ClientSecret {
  return {
    id: row.id,
    clientId: row.client_id,
    hash: Buffer.from(row.hash, 'base64url'),
    hint: row.hint,
    createdAt: new Date(row.created_at),
    expiresAt: dateOrNull(row.expires_at),
    lastUsedAt: dateOrNull(row.last_used_at),
    lastUsedIp: row.last_used_ip,
  }
}

export function clientKeyFromRow(row: Selectable<ClientSecretsTable>): ClientKey {
  return {
    id: row.id,
    clientId: row.client_id,
    kid: row.hint,
    thumbprint: row.hash,
    jwk: JSON.parse(row.public_jwk ?? '{}') as ClientJwk,
    createdAt: new Date(row.created_at),
    lastUsedAt: dateOrNull(row.last_used_at),
    lastUsedIp: row.last_used_ip,
  }
}

export function jwksUriFromRow(row: Selectable<ClientSecretsTable>): ClientJwksUri {
  return {
    id: row.id,
    clientId: row.client_id,
    uri: row.hint,
    createdAt: new Date(row.created_at),
    lastUsedAt: dateOrNull(row.last_used_at),
    lastUsedIp: row.last_used_ip,
  }
}

export function trustPolicyFromRow(row: Selectable<ClientSecretsTable>): TrustPolicy {
  const stored = JSON.parse(row.trust_policy ?? '{}') as Partial<
    Pick<TrustPolicy, 'issuer' | 'audience' | 'subject' | 'conditions'>
  >
  return {
    id: row.id,
    clientId: row.client_id,
    issuer: stored.issuer ?? row.hint,
    audience: stored.audience ?? '',
    subject: stored.subject ?? '',
    conditions: stored.conditions ?? {},
    createdAt: new Date(row.created_at),
    lastUsedAt: dateOrNull(row.last_used_at),
    lastUsedIp: row.last_used_ip,
  }
}

/** An audit event as the columns of `audit_events`. */
export function auditEventRow(event: AuditEvent) {
  return {
    tenant_id: event.tenantId,
    occurred_at: ms(event.occurredAt),
    type: event.type,
    actor: event.actor,
    client_id: event.clientId,
    data: JSON.stringify(event.data),
  }
}
