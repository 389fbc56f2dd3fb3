// Platform mode's rules: which claim names a token's issuer owns, what custom claims an
// application may carry, and which tenant fields a shared API may put in its tokens.
import { ValidationError } from './errors.js'
import type { Api, Tenant } from './model.js'

/**
 * Claim names Tokenmint alone sets or that verifiers give a meaning: RFC 7519 §4.1, RFC 9068
 * §2.2 and §2.2.3, RFC 7800 (`cnf`), RFC 8693 (`act`, `may_act`), OpenID Connect's identity
 * claims a verifier could mistake for the subject's, and our own `tenant` and `username`.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'client_id',
  'scope',
  'scp',
  'auth_time',
  'acr',
  'amr',
  'groups',
  'roles',
  'entitlements',
  'cnf',
  'act',
  'may_act',
  'azp',
  'nonce',
  'sid',
  'at_hash',
  'typ',
  'tenant',
  'username',
])

/** Claim names are short identifiers, so no verifier has to quote or escape them. */
const CLAIM_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/

export const MAX_CUSTOM_CLAIMS = 20
export const MAX_CLAIM_VALUE_LENGTH = 256
/** Tokens travel in headers: custom claims together stay well under a header line's limits. */
export const MAX_CUSTOM_CLAIMS_BYTES = 2048

function checkClaimName(field: string, name: string): void {
  if (!CLAIM_NAME.test(name))
    throw new ValidationError(
      field,
      `claim name ${JSON.stringify(name.slice(0, 64))} must start with a letter and hold at most 64 letters, digits, "_", ".", ":" or "-"`,
    )
  if (RESERVED_CLAIMS.has(name))
    throw new ValidationError(
      field,
      `claim name "${name}" is reserved: Tokenmint sets it, or verifiers give it a registered meaning`,
    )
}

/**
 * An application's static claims. Refused: reserved names, names a shared API fills from
 * tenant fields (`takenByTenantFields`; those always come from the tenant), and beyond the
 * bounds.
 */
export function validateCustomClaims(
  input: unknown,
  takenByTenantFields: ReadonlySet<string>,
): Record<string, string> {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new ValidationError('claims', 'claims must be an object of claim name → string value')
  const entries = Object.entries(input as Record<string, unknown>)
  if (entries.length > MAX_CUSTOM_CLAIMS)
    throw new ValidationError('claims', `at most ${MAX_CUSTOM_CLAIMS} custom claims`)
  const claims: Record<string, string> = {}
  for (const [name, value] of entries) {
    const field = `claims.${name.slice(0, 64)}`
    checkClaimName(field, name)
    if (takenByTenantFields.has(name))
      throw new ValidationError(
        field,
        `claim name "${name}" is set from the tenant by a shared API; an application cannot set it`,
      )
    if (typeof value !== 'string' || value.length > MAX_CLAIM_VALUE_LENGTH)
      throw new ValidationError(
        field,
        `claim "${name}" must be a string of at most ${MAX_CLAIM_VALUE_LENGTH} characters`,
      )
    claims[name] = value
  }
  if (Buffer.byteLength(JSON.stringify(claims)) > MAX_CUSTOM_CLAIMS_BYTES)
    throw new ValidationError(
      'claims',
      `custom claims must take at most ${MAX_CUSTOM_CLAIMS_BYTES} bytes as JSON`,
    )
  return claims
}

/** What a shared API's `tenant_claims` may name: a field of the tenant, or one of its metadata keys. */
const TENANT_FIELD = /^(?:id|external_id|display_name|metadata\.[A-Za-z0-9_.-]{1,64})$/

export function validateTenantClaims(input: unknown): Record<string, string> {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new ValidationError(
      'tenant_claims',
      'tenant_claims must be an object of claim name → tenant field',
    )
  const entries = Object.entries(input as Record<string, unknown>)
  if (entries.length > MAX_CUSTOM_CLAIMS)
    throw new ValidationError('tenant_claims', `at most ${MAX_CUSTOM_CLAIMS} tenant claims`)
  const claims: Record<string, string> = {}
  for (const [name, field] of entries) {
    checkClaimName('tenant_claims', name)
    if (typeof field !== 'string' || !TENANT_FIELD.test(field))
      throw new ValidationError(
        'tenant_claims',
        `tenant claim "${name}" must name a tenant field: id, external_id, display_name or metadata.<key>`,
      )
    claims[name] = field
  }
  return claims
}

export const MAX_TENANT_METADATA_KEYS = 50
export const MAX_TENANT_METADATA_BYTES = 8192

export function validateTenantMetadata(input: unknown): Record<string, string> {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new ValidationError('metadata', 'metadata must be an object of string values')
  const entries = Object.entries(input as Record<string, unknown>)
  if (entries.length > MAX_TENANT_METADATA_KEYS)
    throw new ValidationError('metadata', `metadata holds at most ${MAX_TENANT_METADATA_KEYS} keys`)
  const metadata: Record<string, string> = {}
  for (const [key, value] of entries) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(key))
      throw new ValidationError(
        'metadata',
        `metadata key ${JSON.stringify(key.slice(0, 64))} must be 1-64 letters, digits, "_", "." or "-"`,
      )
    if (typeof value !== 'string' || value.length > 1024)
      throw new ValidationError(
        'metadata',
        `metadata "${key}" must be a string of at most 1024 characters`,
      )
    metadata[key] = value
  }
  if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_TENANT_METADATA_BYTES)
    throw new ValidationError(
      'metadata',
      `metadata must take at most ${MAX_TENANT_METADATA_BYTES} bytes as JSON`,
    )
  return metadata
}

/** The vendor's own account id: printable, no spaces, so it can appear in URLs and claims. */
export function validateExternalId(input: unknown): string {
  if (typeof input !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(input))
    throw new ValidationError(
      'external_id',
      'external_id must be 1-128 printable ASCII characters without spaces',
    )
  return input
}

/** A tenant field's value, or undefined when the tenant has none (the claim is then left out). */
export function tenantFieldValue(tenant: Tenant, field: string): string | undefined {
  if (field === 'id') return tenant.id
  if (field === 'external_id') return tenant.externalId ?? undefined
  if (field === 'display_name') return tenant.displayName
  if (field.startsWith('metadata.')) return tenant.metadata[field.slice('metadata.'.length)]
  return undefined
}

/** Whether a shared API is offered to the tenant. The root tenant owns it, so it always sees it. */
export function isSharedWith(api: Api, tenantId: string): boolean {
  if (api.sharing === null) return false
  return api.sharing.tenants === 'all' || api.sharing.tenants.includes(tenantId)
}
