import { randomBytes } from 'node:crypto'

import { isAdminAudience } from '../domain/authority.js'
import { passwordAttemptKey } from '../domain/sign-in-attempts.js'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import type { ScopeGrant, User } from '../domain/model.js'
import { validatePassword } from '../domain/passwords.js'
import { normaliseScopeList } from '../domain/scopes.js'
import type { Page, PageRequest, Storage } from '../storage/contract.js'
import type { ManagementDeps } from './deps.js'
import { optionalText, validateUsername } from './validate.js'

export interface UserInput {
  username?: string | undefined
  email?: string | null | undefined
  displayName?: string | null | undefined
  grants?: readonly ScopeGrant[] | undefined
}

function validateEmail(email: string | null | undefined): string | null {
  if (email === undefined || email === null || email.trim() === '') return null
  const value = email.trim()
  if (!/^[^\s@]+@[^\s@]+$/.test(value) || value.length > 254)
    throw new ValidationError('email', 'email is not an address')
  return value
}

async function validateUserGrants(
  storage: Storage,
  tenantId: string,
  grants: readonly ScopeGrant[],
): Promise<ScopeGrant[]> {
  const result: ScopeGrant[] = []
  for (const [index, grant] of grants.entries()) {
    if (isAdminAudience(grant.audience))
      throw new ValidationError(
        `grants[${index}].audience`,
        'users sign in with the password grant and can never hold scopes of the admin API; console administrators are managed under /administrators',
      )
    const api = await storage.apis.getByAudience(tenantId, grant.audience)
    if (api === undefined)
      throw new ValidationError(
        `grants[${index}].audience`,
        `no API with audience "${grant.audience}"`,
      )
    const scopes = normaliseScopeList(`grants[${index}].scopes`, grant.scopes)
    const unknown = scopes.filter((s) => !api.scopes.includes(s))
    if (unknown.length > 0)
      throw new ValidationError(
        `grants[${index}].scopes`,
        `not defined by API "${api.audience}": ${unknown.join(' ')}`,
      )
    result.push({ audience: api.audience, scopes })
  }
  return result
}

async function load(storage: Storage, tenantId: string, id: string): Promise<User> {
  const user =
    (await storage.users.get(tenantId, id)) ??
    (await storage.users.findByUsername(tenantId, id.toLowerCase()))
  if (user === undefined) throw new NotFoundError('user', id)
  return user
}

function auditable(user: User) {
  return {
    username: user.username,
    email: user.email,
    display_name: user.displayName,
    status: user.status,
    grants: user.grants,
  }
}

export async function createUser(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  input: UserInput & { username: string; password: string },
): Promise<User> {
  const username = validateUsername(input.username)
  validatePassword(input.password, username)
  const passwordHash = await deps.passwords.hash(input.password)
  const now = deps.now()
  return deps.storage.transaction(async (storage) => {
    if ((await storage.tenants.get(tenantId)) === undefined)
      throw new NotFoundError('tenant', tenantId)
    const user: User = {
      id: `usr_${randomBytes(12).toString('base64url')}`,
      tenantId,
      username,
      email: validateEmail(input.email),
      displayName: optionalText('display_name', input.displayName ?? undefined, 200) || null,
      status: 'active',
      passwordHash,
      grants: await validateUserGrants(storage, tenantId, input.grants ?? []),
      failedAttempts: 0,
      lockedUntil: null,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
      passwordChangedAt: now,
      version: 1,
    }
    await storage.users.insert(user)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'user.created',
        actor,
        clientId: null,
        data: { user_id: user.id, after: auditable(user) },
      },
    ])
    return user
  })
}

type UserChange = 'updated' | 'password_changed' | 'disabled' | 'enabled' | 'unlocked'

/** One transaction per change; disabling or changing the password ends the user's refresh tokens. */
async function changeUser(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  id: string,
  change: UserChange,
  apply: (user: User, storage: Storage) => Promise<User> | User,
  expectedVersion?: number,
): Promise<User> {
  return deps.storage.transaction(async (storage) => {
    const current = await load(storage, tenantId, id)
    const now = deps.now()
    const next = await apply({ ...current, updatedAt: now }, storage)
    const updated = await storage.users.update(next, expectedVersion ?? current.version)
    let endedFamilies = 0
    if (change === 'password_changed' || change === 'disabled') {
      endedFamilies = await storage.refreshTokens.revokeForUser(tenantId, current.id, now)
    }
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: `user.${change}`,
        actor,
        clientId: null,
        data: {
          user_id: current.id,
          before: auditable(current),
          after: auditable(updated),
          refresh_tokens_ended: endedFamilies,
        },
      },
    ])
    return updated
  })
}

export function updateUser(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  id: string,
  input: UserInput,
  expectedVersion?: number,
) {
  return changeUser(
    deps,
    actor,
    tenantId,
    id,
    'updated',
    async (user, storage) => ({
      ...user,
      username: input.username === undefined ? user.username : validateUsername(input.username),
      email: input.email === undefined ? user.email : validateEmail(input.email),
      displayName:
        input.displayName === undefined
          ? user.displayName
          : optionalText('display_name', input.displayName ?? undefined, 200) || null,
      grants:
        input.grants === undefined
          ? user.grants
          : await validateUserGrants(storage, tenantId, input.grants),
    }),
    expectedVersion,
  )
}

export async function setPassword(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  id: string,
  password: string,
) {
  const existing = await load(deps.storage, tenantId, id)
  validatePassword(password, existing.username)
  const passwordHash = await deps.passwords.hash(password)
  return changeUser(deps, actor, tenantId, id, 'password_changed', (user) => ({
    ...user,
    passwordHash,
    passwordChangedAt: deps.now(),
    failedAttempts: 0,
    lockedUntil: null,
  }))
}

export function setUserStatus(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  id: string,
  status: 'active' | 'disabled',
) {
  return changeUser(
    deps,
    actor,
    tenantId,
    id,
    status === 'disabled' ? 'disabled' : 'enabled',
    (user) => ({ ...user, status }),
  )
}

export async function unlockUser(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  id: string,
): Promise<User> {
  const unlocked = await changeUser(deps, actor, tenantId, id, 'unlocked', (user) => ({
    ...user,
    failedAttempts: 0,
    lockedUntil: null,
  }))
  await deps.limiter.reset(passwordAttemptKey(tenantId, unlocked.username))
  return unlocked
}

export async function deleteUser(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  id: string,
): Promise<void> {
  await deps.storage.transaction(async (storage) => {
    const user = await load(storage, tenantId, id)
    const now = deps.now()
    await storage.refreshTokens.revokeForUser(tenantId, user.id, now)
    if (!(await storage.users.delete(tenantId, user.id)))
      throw new ConflictError('the user was deleted meanwhile')
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'user.deleted',
        actor,
        clientId: null,
        data: { user_id: user.id, before: auditable(user) },
      },
    ])
  })
}

export function getUser(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
  id: string,
): Promise<User> {
  return load(deps.storage, tenantId, id)
}

export function listUsers(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
  page: PageRequest,
): Promise<Page<User>> {
  return deps.storage.users.list(tenantId, page)
}
