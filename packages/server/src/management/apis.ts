import { randomBytes } from 'node:crypto'

import { NotFoundError, ValidationError } from '../domain/errors.js'
import type { Api } from '../domain/model.js'
import { normaliseScopeList } from '../domain/scopes.js'
import type { ManagementDeps } from './deps.js'
import { requireText } from './validate.js'

export interface CreateApiInput {
  audience: string
  name: string
  scopes: readonly string[]
}

export async function createApi(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  input: CreateApiInput,
): Promise<Api> {
  const audience = requireText('audience', input.audience, 512)
  if (/\s/.test(audience)) throw new ValidationError('audience', 'audience must not contain spaces')
  const now = deps.now()
  const api: Api = {
    id: `api_${randomBytes(9).toString('base64url')}`,
    tenantId,
    audience,
    name: requireText('name', input.name, 200),
    scopes: normaliseScopeList('scopes', input.scopes),
    isBuiltIn: false,
    createdAt: now,
    updatedAt: now,
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
        data: { api_id: api.id, audience: api.audience, name: api.name, scopes: api.scopes },
      },
    ])
  })
  return api
}

export function listApis(deps: Pick<ManagementDeps, 'storage'>, tenantId: string): Promise<Api[]> {
  return deps.storage.apis.list(tenantId)
}

/** By id or by audience. */
export async function getApi(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
  idOrAudience: string,
): Promise<Api> {
  const api =
    (await deps.storage.apis.get(tenantId, idOrAudience)) ??
    (await deps.storage.apis.getByAudience(tenantId, idOrAudience))
  if (api === undefined) throw new NotFoundError('API', idOrAudience)
  return api
}
