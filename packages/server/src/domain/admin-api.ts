import type { AdministratorRole } from './model.js'

/** The audience of every tenant's built-in admin API; the tenant is told apart by `iss`. */
export const ADMIN_AUDIENCE = 'urn:tokenmint:admin'

export const TENANT_ADMIN_SCOPES = [
  'read:apis',
  'create:apis',
  'update:apis',
  'delete:apis',
  'read:applications',
  'create:applications',
  'update:applications',
  'delete:applications',
  'read:keys',
  'update:keys',
  'read:audit',
  'read:users',
  'create:users',
  'update:users',
  'delete:users',
  'read:administrators',
  'create:administrators',
  'update:administrators',
  'delete:administrators',
] as const

/**
 * Only the root tenant (the one `tokenmint init` creates) may manage other tenants.
 * `manage:tenants` is the provisioning scope: create, update, suspend, resume and delete any
 * tenant (the platform vendor's backend holds it).
 */
export const ROOT_ADMIN_SCOPES = ['read:tenants', 'create:tenants', 'manage:tenants'] as const

export type AdminScope = (typeof TENANT_ADMIN_SCOPES)[number] | (typeof ROOT_ADMIN_SCOPES)[number]

export function adminScopesFor(isRoot: boolean): string[] {
  return isRoot ? [...TENANT_ADMIN_SCOPES, ...ROOT_ADMIN_SCOPES] : [...TENANT_ADMIN_SCOPES]
}

/**
 * What a console administrator may do, as admin API scopes: `viewer` reads everything but
 * administrators; `admin` also changes APIs, applications and users; `owner` does everything,
 * including keys, administrators and (in the root tenant) tenants: `create:tenants` and
 * `manage:tenants` are an owner's alone.
 */
export function scopesForRole(role: AdministratorRole, isRoot: boolean): Set<AdminScope> {
  const all = adminScopesFor(isRoot) as AdminScope[]
  if (role === 'owner') return new Set(all)
  const readable = all.filter((s) => s.startsWith('read:') && s !== 'read:administrators')
  if (role === 'viewer') return new Set(readable)
  return new Set([
    ...readable,
    ...all.filter(
      (s) => /^(create|update|delete):(apis|applications|users)$/.test(s) && !s.endsWith('tenants'),
    ),
  ])
}

/** Tenant ids are slugs: they appear in issuer URLs and must never need encoding. */
export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
