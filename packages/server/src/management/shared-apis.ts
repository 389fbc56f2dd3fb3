// Platform mode: APIs the root tenant defines once and offers to every tenant or chosen ones.
// Their audience, scopes and catalog are the root tenant's alone; each tenant grants their
// scopes to its own applications as for its own APIs. Their audience is reserved across the
// deployment, so no tenant can mint tokens for the vendor's API with scopes of its choosing.
import { ConflictError, ValidationError } from '../domain/errors.js'
import type { Api, ApiSharing, Application } from '../domain/model.js'
import { isSharedWith, validateTenantClaims } from '../domain/platform.js'
import { TENANT_ID_PATTERN } from '../domain/admin-api.js'
import type { Storage } from '../storage/contract.js'

/** The lock every audience registration takes: not a tenant id (ids have no colon). */
const AUDIENCE_LOCK = ':audiences'

export const MAX_CHOSEN_TENANTS = 1000

export interface SharingInput {
  /** `'all'`, a list of tenant ids, or null (not shared). */
  sharing?: 'all' | readonly string[] | null | undefined
  tenantClaims?: unknown
}

export function parseSharing(value: 'all' | readonly string[] | null): ApiSharing | null {
  if (value === null) return null
  if (value === 'all') return { tenants: 'all' }
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_CHOSEN_TENANTS)
    throw new ValidationError(
      'shared_with',
      `shared_with must be "all" or a list of 1 to ${MAX_CHOSEN_TENANTS} tenant ids`,
    )
  const ids: string[] = [...new Set<string>(value)]
  const bad = ids.find((id) => typeof id !== 'string' || !TENANT_ID_PATTERN.test(id))
  if (bad !== undefined)
    throw new ValidationError('shared_with', `${JSON.stringify(bad)} is not a tenant id`)
  return { tenants: ids.sort() }
}

/** Sharing and tenant claims of an API the given tenant defines; only the root tenant shares. */
export function sharingOf(
  isRootTenant: boolean,
  input: SharingInput,
  current?: Api,
): Pick<Api, 'sharing' | 'tenantClaims'> {
  const sharing =
    input.sharing === undefined ? (current?.sharing ?? null) : parseSharing(input.sharing)
  const tenantClaims =
    input.tenantClaims === undefined
      ? (current?.tenantClaims ?? {})
      : validateTenantClaims(input.tenantClaims)
  if (sharing !== null && !isRootTenant)
    throw new ValidationError('shared_with', 'only the root tenant can share an API')
  if (sharing === null && Object.keys(tenantClaims).length > 0)
    throw new ValidationError(
      'tenant_claims',
      'tenant_claims are for shared APIs: share the API to put tenant fields in its tokens',
    )
  return { sharing, tenantClaims }
}

/**
 * Inside the transaction that registers `audience` in `tenantId` (or shares it): refuses when a
 * shared API elsewhere holds the audience, or, for a shared API, when any other tenant has an
 * API with it. Registrations are serialised so two cannot both pass the check.
 */
export async function reserveAudience(
  storage: Storage,
  tenantId: string,
  audience: string,
  isShared: boolean,
): Promise<void> {
  await storage.tenants.lockForChange(AUDIENCE_LOCK)
  const elsewhere = (await storage.apis.listByAudience(audience)).filter(
    (api) => api.tenantId !== tenantId,
  )
  if (elsewhere.some((api) => api.sharing !== null))
    throw new ConflictError(
      `the audience "${audience}" belongs to an API this deployment shares with its tenants; choose another`,
    )
  if (isShared && elsewhere.length > 0)
    throw new ConflictError(
      `${elsewhere.length} tenant(s) already have an API with the audience "${audience}"; a shared API's audience must be unique across the deployment`,
    )
}

/** The shared APIs offered to a tenant (none to the root tenant: it owns them). */
export async function sharedApisFor(storage: Storage, tenantId: string): Promise<Api[]> {
  return (await storage.apis.listShared()).filter(
    (api) => api.tenantId !== tenantId && isSharedWith(api, tenantId),
  )
}

/** The API a tenant's application may be granted for an audience: its own, or one shared with it. */
export async function grantableApi(
  storage: Storage,
  tenantId: string,
  audience: string,
): Promise<Api | undefined> {
  return (
    (await storage.apis.getByAudience(tenantId, audience)) ??
    (await sharedApisFor(storage, tenantId)).find((api) => api.audience === audience)
  )
}

/** Claim names shared APIs fill from tenant fields: no application may set them. */
export async function tenantClaimNames(storage: Storage): Promise<Set<string>> {
  return new Set((await storage.apis.listShared()).flatMap((api) => Object.keys(api.tenantClaims)))
}

/** Whether a tenant-side change is aimed at a shared API it does not own. */
export async function refuseSharedApiChange(
  storage: Storage,
  tenantId: string,
  idOrAudience: string,
): Promise<void> {
  const shared = (await sharedApisFor(storage, tenantId)).find(
    (api) => api.id === idOrAudience || api.audience === idOrAudience,
  )
  if (shared !== undefined)
    throw new ConflictError(
      `API "${shared.audience}" is shared by the deployment: only the root tenant can change it`,
    )
}

/** Applications of every tenant that hold scopes on an audience, live ones only when asked. */
export async function holdersAcrossTenants(
  storage: Storage,
  audience: string,
  tenantIds: readonly string[],
): Promise<Application[]> {
  const holders: Application[] = []
  for (const tenantId of tenantIds) {
    for (const application of await storage.applications.listAll(tenantId)) {
      if (application.grants.some((g) => g.audience === audience)) holders.push(application)
    }
  }
  return holders
}

/** Tenant ids an API reaches: its own, plus every tenant it is shared with. */
export async function tenantsReached(storage: Storage, api: Api): Promise<string[]> {
  if (api.sharing === null) return [api.tenantId]
  if (api.sharing.tenants === 'all') return (await storage.tenants.list()).map((t) => t.id)
  return [api.tenantId, ...api.sharing.tenants.filter((id) => id !== api.tenantId)]
}
