import { randomBytes } from 'node:crypto'

import { catalogScopes, validateCatalog, type ScopeCatalog } from '../domain/catalog.js'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import type { Api } from '../domain/model.js'
import { normaliseScopeList } from '../domain/scopes.js'
import type { Storage } from '../storage/contract.js'
import type { ManagementDeps } from './deps.js'
import {
  holdersAcrossTenants,
  refuseSharedApiChange,
  reserveAudience,
  sharedApisFor,
  sharingOf,
  tenantsReached,
  type SharingInput,
} from './shared-apis.js'
import { requireText } from './validate.js'

export interface ApiInput extends SharingInput {
  name?: string | undefined
  /** Flat scopes; with a catalog, extra scopes beside it. */
  scopes?: readonly string[] | undefined
  catalog?: ScopeCatalog | null | undefined
}

function scopesOf(
  input: ApiInput,
  current?: Api,
): { scopes: string[]; catalog: ScopeCatalog | null } {
  const catalog =
    input.catalog === undefined
      ? (current?.catalog ?? null)
      : input.catalog === null
        ? null
        : validateCatalog(input.catalog)
  const flat = normaliseScopeList(
    'scopes',
    input.scopes ?? (input.catalog === undefined ? (current?.scopes ?? []) : []),
  )
  return {
    scopes: [...new Set([...(catalog === null ? [] : catalogScopes(catalog)), ...flat])],
    catalog,
  }
}

export async function createApi(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  input: ApiInput & { audience: string; name: string },
): Promise<Api> {
  const audience = requireText('audience', input.audience, 512)
  if (/\s/.test(audience)) throw new ValidationError('audience', 'audience must not contain spaces')
  const now = deps.now()
  const { scopes, catalog } = scopesOf(input)
  const api = await deps.storage.transaction(async (storage) => {
    const tenant = await storage.tenants.get(tenantId)
    if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
    const api: Api = {
      id: `api_${randomBytes(9).toString('base64url')}`,
      tenantId,
      audience,
      name: requireText('name', input.name, 200),
      scopes,
      catalog,
      isBuiltIn: false,
      ...sharingOf(tenant.isRoot, input),
      createdAt: now,
      updatedAt: now,
      version: 1,
    }
    await reserveAudience(storage, tenantId, audience, api.sharing !== null)
    await storage.apis.insert(api)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'api.created',
        actor,
        clientId: null,
        data: {
          api_id: api.id,
          audience: api.audience,
          after: auditableApi(api),
        },
      },
    ])
    return api
  })
  if (api.sharing !== null) deps.changes.publish({ kind: 'resync' })
  return api
}

function auditableApi(api: Api) {
  return {
    name: api.name,
    scopes: api.scopes,
    ...(api.sharing !== null && {
      shared_with: api.sharing.tenants,
      tenant_claims: api.tenantClaims,
    }),
  }
}

async function findApi(storage: Storage, tenantId: string, idOrAudience: string): Promise<Api> {
  const api =
    (await storage.apis.get(tenantId, idOrAudience)) ??
    (await storage.apis.getByAudience(tenantId, idOrAudience))
  if (api === undefined) {
    await refuseSharedApiChange(storage, tenantId, idOrAudience)
    throw new NotFoundError('API', idOrAudience)
  }
  return api
}

/**
 * Renames an API or changes its scopes (and, in the root tenant, whom it is shared with and
 * which tenant fields its tokens carry). Scopes it no longer defines are taken away from every
 * application holding them, in every tenant it reaches, in the same transaction, so no token
 * can carry them afterwards. Each tenant whose applications lost scopes gets its own record.
 */
export async function updateApi(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  idOrAudience: string,
  input: ApiInput,
  expectedVersion?: number,
): Promise<{ api: Api; removedScopes: string[]; affectedApplications: string[] }> {
  const result = await deps.storage.transaction(async (storage) => {
    const current = await findApi(storage, tenantId, idOrAudience)
    if (current.isBuiltIn) throw new ConflictError('the built-in admin API cannot be changed')
    const tenant = await storage.tenants.get(tenantId)
    if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
    const now = deps.now()
    const { scopes, catalog } = scopesOf(input, current)
    const next: Api = {
      ...current,
      name: input.name === undefined ? current.name : requireText('name', input.name, 200),
      scopes,
      catalog,
      ...sharingOf(tenant.isRoot, input, current),
      updatedAt: now,
    }
    if (next.sharing !== null && current.sharing === null)
      await reserveAudience(storage, tenantId, current.audience, true)
    const before = new Set(await tenantsReached(storage, current))
    const after = new Set(await tenantsReached(storage, next))
    const dropped = [...before].filter((id) => !after.has(id))
    const stillHolding = (await holdersAcrossTenants(storage, current.audience, dropped)).filter(
      (a) => a.status !== 'revoked',
    )
    if (stillHolding.length > 0)
      throw new ConflictError(
        `${stillHolding.length} application(s) of tenants this change stops sharing with still hold scopes on "${current.audience}" (${[...new Set(stillHolding.map((a) => a.tenantId))].slice(0, 5).join(', ')}); remove those grants first`,
      )
    const updated = await storage.apis.update(next, expectedVersion ?? current.version)
    const kept = new Set(scopes)
    const removedScopes = current.scopes.filter((s) => !kept.has(s))
    const affected: { tenantId: string; clientId: string }[] = []
    if (removedScopes.length > 0) {
      for (const application of await holdersAcrossTenants(storage, current.audience, [...after])) {
        const grant = application.grants.find((g) => g.audience === current.audience)
        if (grant === undefined || !grant.scopes.some((s) => !kept.has(s))) continue
        await storage.applications.update(
          {
            ...application,
            grants: application.grants.map((g) =>
              g === grant ? { ...g, scopes: g.scopes.filter((s) => kept.has(s)) } : g,
            ),
            updatedAt: now,
          },
          application.version,
        )
        affected.push({ tenantId: application.tenantId, clientId: application.clientId })
      }
    }
    const record = (recordTenant: string) => ({
      tenantId: recordTenant,
      occurredAt: now,
      type: 'api.updated' as const,
      actor: recordTenant === tenantId ? actor : `${actor} (tenant ${tenantId})`,
      clientId: null,
      data: {
        api_id: current.id,
        audience: current.audience,
        before: auditableApi(current),
        after: auditableApi(updated),
        removed_from_applications: affected
          .filter((a) => a.tenantId === recordTenant)
          .map((a) => a.clientId),
      },
    })
    const otherTenants = [...new Set(affected.map((a) => a.tenantId))].filter(
      (id) => id !== tenantId,
    )
    await storage.audit.append([record(tenantId), ...otherTenants.map(record)])
    return { api: updated, removedScopes, affected, wasShared: current.sharing !== null }
  })
  for (const { tenantId: appTenant, clientId } of result.affected)
    deps.changes.publish({ kind: 'application', tenantId: appTenant, clientId })
  if (result.api.sharing !== null || result.wasShared) deps.changes.publish({ kind: 'resync' })
  return {
    api: result.api,
    removedScopes: result.removedScopes,
    affectedApplications: result.affected.map((a) => a.clientId),
  }
}

/** The tenant's own APIs, then those the deployment shares with it. */
export async function listApis(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
): Promise<Api[]> {
  return [
    ...(await deps.storage.apis.list(tenantId)),
    ...(await sharedApisFor(deps.storage, tenantId)),
  ]
}

/** By id or by audience; a shared API too, read-only. */
export async function getApi(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
  idOrAudience: string,
): Promise<Api> {
  const own =
    (await deps.storage.apis.get(tenantId, idOrAudience)) ??
    (await deps.storage.apis.getByAudience(tenantId, idOrAudience))
  if (own !== undefined) return own
  const shared = (await sharedApisFor(deps.storage, tenantId)).find(
    (api) => api.id === idOrAudience || api.audience === idOrAudience,
  )
  if (shared === undefined) throw new NotFoundError('API', idOrAudience)
  return shared
}

/**
 * Deletes an API. Refused while a live application still holds scopes on it, in any tenant it
 * reaches: taking those grants away is a decision about each application, made where it is
 * visible.
 */
export async function deleteApi(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  idOrAudience: string,
): Promise<Api> {
  const deleted = await deps.storage.transaction(async (storage) => {
    const api = await findApi(storage, tenantId, idOrAudience)
    if (api.isBuiltIn) throw new ConflictError('the built-in admin API cannot be deleted')
    const holders = (
      await holdersAcrossTenants(storage, api.audience, await tenantsReached(storage, api))
    ).filter((a) => a.status !== 'revoked')
    if (holders.length > 0) {
      const named = holders
        .slice(0, 5)
        .map(
          (a) =>
            `${a.tenantId === tenantId ? '' : `${a.tenantId}:`}${a.environment}/${a.name} (${a.clientId})`,
        )
      throw new ConflictError(
        `${holders.length} application(s) still hold scopes on API "${api.audience}": ${named.join(', ')}${holders.length > 5 ? ', …' : ''}; remove those grants first`,
      )
    }
    await storage.apis.delete(tenantId, api.id)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: deps.now(),
        type: 'api.deleted',
        actor,
        clientId: null,
        data: {
          api_id: api.id,
          audience: api.audience,
          before: auditableApi(api),
        },
      },
    ])
    return api
  })
  if (deleted.sharing !== null) deps.changes.publish({ kind: 'resync' })
  return deleted
}
