import { randomBytes } from 'node:crypto'

import { catalogScopes, validateCatalog, type ScopeCatalog } from '../domain/catalog.js'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import type { Api } from '../domain/model.js'
import { normaliseScopeList } from '../domain/scopes.js'
import type { Storage } from '../storage/contract.js'
import type { ManagementDeps } from './deps.js'
import { requireText } from './validate.js'

export interface ApiInput {
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
  const api: Api = {
    id: `api_${randomBytes(9).toString('base64url')}`,
    tenantId,
    audience,
    name: requireText('name', input.name, 200),
    scopes,
    catalog,
    isBuiltIn: false,
    createdAt: now,
    updatedAt: now,
    version: 1,
  }
  await deps.storage.transaction(async (storage) => {
    if ((await storage.tenants.get(tenantId)) === undefined)
      throw new NotFoundError('tenant', tenantId)
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
          after: { name: api.name, scopes: api.scopes },
        },
      },
    ])
  })
  return api
}

async function findApi(storage: Storage, tenantId: string, idOrAudience: string): Promise<Api> {
  const api =
    (await storage.apis.get(tenantId, idOrAudience)) ??
    (await storage.apis.getByAudience(tenantId, idOrAudience))
  if (api === undefined) throw new NotFoundError('API', idOrAudience)
  return api
}

/**
 * Renames an API or changes its scopes. Scopes it no longer defines are taken away from every
 * application holding them, in the same transaction, so no token can carry them afterwards.
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
    const now = deps.now()
    const { scopes, catalog } = scopesOf(input, current)
    const next: Api = {
      ...current,
      name: input.name === undefined ? current.name : requireText('name', input.name, 200),
      scopes,
      catalog,
      updatedAt: now,
    }
    const updated = await storage.apis.update(next, expectedVersion ?? current.version)
    const kept = new Set(scopes)
    const removedScopes = current.scopes.filter((s) => !kept.has(s))
    const affectedApplications: string[] = []
    if (removedScopes.length > 0) {
      for (const application of await storage.applications.listAll(tenantId)) {
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
        affectedApplications.push(application.clientId)
      }
    }
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'api.updated',
        actor,
        clientId: null,
        data: {
          api_id: current.id,
          audience: current.audience,
          before: { name: current.name, scopes: current.scopes },
          after: { name: updated.name, scopes: updated.scopes },
          removed_from_applications: affectedApplications,
        },
      },
    ])
    return { api: updated, removedScopes, affectedApplications }
  })
  for (const clientId of result.affectedApplications)
    deps.changes.publish({ kind: 'application', tenantId, clientId })
  return result
}

export function listApis(deps: Pick<ManagementDeps, 'storage'>, tenantId: string): Promise<Api[]> {
  return deps.storage.apis.list(tenantId)
}

/** By id or by audience. */
export function getApi(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
  idOrAudience: string,
): Promise<Api> {
  return findApi(deps.storage, tenantId, idOrAudience)
}

/**
 * Deletes an API. Refused while a live application still holds scopes on it: taking those
 * grants away is a decision about each application, made where it is visible.
 */
export async function deleteApi(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  idOrAudience: string,
): Promise<Api> {
  return deps.storage.transaction(async (storage) => {
    const api = await findApi(storage, tenantId, idOrAudience)
    if (api.isBuiltIn) throw new ConflictError('the built-in admin API cannot be deleted')
    const holders = (await storage.applications.listAll(tenantId)).filter(
      (a) => a.status !== 'revoked' && a.grants.some((g) => g.audience === api.audience),
    )
    if (holders.length > 0) {
      const named = holders.slice(0, 5).map((a) => `${a.environment}/${a.name} (${a.clientId})`)
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
          before: { name: api.name, scopes: api.scopes },
        },
      },
    ])
    return api
  })
}
