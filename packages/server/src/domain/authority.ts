// Roles never widen: nobody grants, holds or obtains more authority than they have. The admin
// API is itself an API of the tenant, so an application granted its scopes is as powerful as
// those scopes; granting them, or taking over an application that holds them (rotating its
// secret, editing, revoking or deleting it), is exercising them.
import { ADMIN_AUDIENCE, adminScopesFor, scopesForRole } from './admin-api.js'
import { ForbiddenError } from './errors.js'
import type { AdministratorRole, Application, ScopeGrant } from './model.js'

/** Who is asking, and with what authority over the tenant's admin API. */
export interface Authority {
  /** For audit records: `client:<client id>` or `admin:<username>`. */
  actor: string
  /** The admin API scopes the caller holds (a token's scopes, or a console role's). */
  scopes: ReadonlySet<string>
  /** A console administrator's role; undefined for an API token (the CLI, scripts). */
  role?: AdministratorRole | undefined
}

/** The server itself (first start, `tokenmint init`): holds everything. */
export function systemAuthority(actor: string, isRootTenant: boolean): Authority {
  return { actor, scopes: new Set(adminScopesFor(isRootTenant)) }
}

/** The admin API scopes among `grants`. */
export function adminScopesIn(grants: readonly ScopeGrant[]): string[] {
  return grants.find((g) => g.audience === ADMIN_AUDIENCE)?.scopes ?? []
}

/**
 * Granting admin API scopes: in the console only an owner may, and only scopes its role holds;
 * an API token may grant a subset of the admin scopes it carries.
 */
export function assertMayGrantAdminScopes(authority: Authority, scopes: readonly string[]): void {
  if (scopes.length === 0) return
  if (authority.role !== undefined && authority.role !== 'owner') {
    throw new ForbiddenError(
      `only an owner may grant scopes of the built-in admin API (${ADMIN_AUDIENCE}); your role is ${authority.role}`,
    )
  }
  const beyond = scopes.filter((s) => !authority.scopes.has(s))
  if (beyond.length > 0) {
    throw new ForbiddenError(
      `you may grant only admin API scopes you hold yourself; you do not hold: ${beyond.join(' ')}`,
    )
  }
}

/**
 * Changing an application that holds admin API scopes is allowed only to a caller who holds
 * them all. The built-in admin application (the CLI's credentials) holds every admin scope, so
 * only an owner, or a token with every admin scope, may change it.
 */
export function assertMayChangeApplication(
  authority: Authority,
  application: Application,
  isRootTenant: boolean,
): void {
  const held = application.isBuiltIn
    ? adminScopesFor(isRootTenant)
    : adminScopesIn(application.grants)
  if (held.length === 0) return
  try {
    assertMayGrantAdminScopes(authority, held)
  } catch (error) {
    if (!(error instanceof ForbiddenError)) throw error
    throw new ForbiddenError(
      application.isBuiltIn
        ? 'only an owner (or a token holding every admin scope) may change the built-in admin application'
        : `this application holds admin API scopes; ${error.message}`,
    )
  }
}

/** What an owner is told before touching the credentials the CLI signs in with. */
export const BUILT_IN_APPLICATION_WARNING =
  'This is the built-in admin application: the tokenmint CLI (and any script using its credentials) authenticates with it. Update their stored secret, or they will stop working.'

/** Password-grant users act as people, never as administrators of the tenant. */
export function isAdminAudience(audience: string): boolean {
  return audience === ADMIN_AUDIENCE
}

/**
 * Creating, changing or deleting a console administrator of `role` (setting its password signs
 * in as it): only a caller who holds every scope of that role may.
 */
export function assertMayManageRole(
  authority: Authority,
  role: AdministratorRole,
  isRootTenant: boolean,
): void {
  const beyond = [...scopesForRole(role, isRootTenant)].filter((s) => !authority.scopes.has(s))
  if (beyond.length > 0) {
    throw new ForbiddenError(
      `only a caller holding every scope of the ${role} role may create or change a ${role}; you do not hold: ${beyond.join(' ')}`,
    )
  }
}
