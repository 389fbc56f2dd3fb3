import { validateUsername } from '../domain/accounts.js'
import { isAdminAudience } from '../domain/authority.js'
import { accountAttemptKey, PASSWORD_GRANT_SIGN_IN } from '../domain/password-guessing.js'
import { NotFoundError, ValidationError } from '../domain/errors.js'
import type { AccountStatus, ScopeGrant, User } from '../domain/model.js'
import { normaliseScopeList } from '../domain/scopes.js'
import type { Page, PageRequest, Storage } from '../storage/contract.js'
import {
  changeAccount,
  deleteAccount,
  hashNewPassword,
  insertAccount,
  loadAccount,
  newAccount,
  type AccountKind,
} from './accounts.js'
import type { ManagementDeps } from './deps.js'
import { optionalText } from './validate.js'

export interface UserInput {
  username?: string | undefined
  email?: string | null | undefined
  displayName?: string | null | undefined
  grants?: readonly ScopeGrant[] | undefined
}

function validateEmail(email: string | null | undefined): string | null {
  if (email === undefined || email === null) return null
  if (email.trim() === '') return null
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

const userAccounts: AccountKind<User> = {
  noun: 'user',
  idPrefix: 'usr',
  store: (storage) => storage.users,
  auditable: (user) => ({
    username: user.username,
    email: user.email,
    display_name: user.displayName,
    status: user.status,
    grants: user.grants,
  }),
  // A user signs in with the password grant: ending that is ending its refresh tokens.
  endSignIns: (storage, user, now) =>
    storage.refreshTokens.revokeForUser(user.tenantId, user.id, now),
  endedField: 'refresh_tokens_ended',
}

export async function createUser(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  input: UserInput & { username: string; password: string },
): Promise<User> {
  const username = validateUsername(input.username)
  const passwordHash = await hashNewPassword(deps, input.password, username)
  const now = deps.now()
  return deps.storage.transaction(async (storage) => {
    if ((await storage.tenants.get(tenantId)) === undefined)
      throw new NotFoundError('tenant', tenantId)
    const user: User = {
      ...newAccount(userAccounts, tenantId, username, passwordHash, now),
      email: validateEmail(input.email),
      displayName: optionalText('display_name', input.displayName ?? undefined, 200) || null,
      grants: await validateUserGrants(storage, tenantId, input.grants ?? []),
      failedAttempts: 0,
      lockedUntil: null,
      lastLoginAt: null,
    }
    await insertAccount(storage, userAccounts, actor, user)
    return user
  })
}

type UserChange = 'updated' | 'password_changed' | 'disabled' | 'enabled' | 'unlocked'

/** One transaction per change; disabling or changing the password ends the user's refresh tokens. */
function changeUser(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  id: string,
  change: UserChange,
  apply: (user: User, storage: Storage, now: Date) => Promise<User> | User,
  expectedVersion?: number,
): Promise<User> {
  return deps.storage.transaction((storage) =>
    changeAccount(deps, storage, userAccounts, actor, tenantId, id, {
      type: `user.${change}`,
      endsSignIns: change === 'password_changed' || change === 'disabled',
      apply: (user, now) => apply(user, storage, now),
      expectedVersion,
    }),
  )
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
  const existing = await loadAccount(deps.storage, userAccounts, tenantId, id)
  const passwordHash = await hashNewPassword(deps, password, existing.username)
  return changeUser(deps, actor, tenantId, id, 'password_changed', (user, _storage, now) => ({
    ...user,
    passwordHash,
    passwordChangedAt: now,
    failedAttempts: 0,
    lockedUntil: null,
  }))
}

export function setUserStatus(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  id: string,
  status: AccountStatus,
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
  await deps.limiter.reset(accountAttemptKey(PASSWORD_GRANT_SIGN_IN, tenantId, unlocked.username))
  return unlocked
}

export async function deleteUser(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  id: string,
): Promise<void> {
  await deps.storage.transaction((storage) =>
    deleteAccount(deps, storage, userAccounts, actor, tenantId, id),
  )
}

export function getUser(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
  id: string,
): Promise<User> {
  return loadAccount(deps.storage, userAccounts, tenantId, id)
}

export function listUsers(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
  page: PageRequest,
): Promise<Page<User>> {
  return deps.storage.users.list(tenantId, page)
}
