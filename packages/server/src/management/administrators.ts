import { randomBytes } from 'node:crypto'

import { validateUsername } from '../domain/accounts.js'
import { assertMayManageRole, type Authority } from '../domain/authority.js'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import {
  ADMINISTRATOR_ROLES,
  type AccountStatus,
  type Administrator,
  type AdministratorRole,
} from '../domain/model.js'
import type { Storage } from '../storage/contract.js'
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

function validateRole(role: string): AdministratorRole {
  if (!ADMINISTRATOR_ROLES.includes(role as AdministratorRole))
    throw new ValidationError('role', `role must be one of ${ADMINISTRATOR_ROLES.join(', ')}`)
  return role as AdministratorRole
}

/** 20 characters from 120 random bits: shown once, for the administrator to change or keep. */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url')
}

const administratorAccounts: AccountKind<Administrator> = {
  noun: 'administrator',
  idPrefix: 'adm',
  store: (storage) => storage.administrators,
  auditable: (a) => ({ username: a.username, role: a.role, status: a.status }),
  endSignIns: (storage, administrator) =>
    storage.consoleSessions.deleteForAdministrator(administrator.id),
  endedField: 'sessions_ended',
}

export interface CreatedAdministrator {
  administrator: Administrator
  /** Set when the server generated the password: shown this once. */
  generatedPassword?: string
}

/** Validates and hashes outside any transaction (Argon2id takes tens of milliseconds). */
export async function prepareAdministrator(
  deps: Pick<ManagementDeps, 'passwords' | 'now'>,
  tenantId: string,
  input: { username: string; role: string; password?: string | undefined },
): Promise<CreatedAdministrator> {
  const username = validateUsername(input.username)
  const role = validateRole(input.role)
  const generatedPassword = input.password === undefined ? generatePassword() : undefined
  const password = input.password ?? generatedPassword ?? ''
  const passwordHash = await hashNewPassword(deps, password, username)
  const administrator: Administrator = {
    ...newAccount(administratorAccounts, tenantId, username, passwordHash, deps.now()),
    role,
    lastSignInAt: null,
    signsInWith: 'password',
  }
  return generatedPassword === undefined ? { administrator } : { administrator, generatedPassword }
}

/** Inserts a prepared administrator with its audit record, inside the caller's transaction. */
export function insertAdministrator(
  storage: Storage,
  actor: string,
  administrator: Administrator,
): Promise<void> {
  return insertAccount(storage, administratorAccounts, actor, administrator)
}

export async function createAdministrator(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  input: { username: string; role: string; password?: string | undefined },
): Promise<CreatedAdministrator> {
  const tenant = await deps.storage.tenants.get(tenantId)
  if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
  assertMayManageRole(authority, validateRole(input.role), tenant.isRoot)
  const created = await prepareAdministrator(deps, tenantId, input)
  await deps.storage.transaction(async (storage) => {
    if ((await storage.tenants.get(tenantId)) === undefined)
      throw new NotFoundError('tenant', tenantId)
    await insertAdministrator(storage, authority.actor, created.administrator)
  })
  return created
}

export function listAdministrators(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
): Promise<Administrator[]> {
  return deps.storage.administrators.list(tenantId)
}

export function getAdministrator(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
  id: string,
): Promise<Administrator> {
  return loadAccount(deps.storage, administratorAccounts, tenantId, id)
}

async function ensureAnotherOwner(storage: Storage, before: Administrator, after?: Administrator) {
  const wasOwner = before.role === 'owner' && before.status === 'active'
  const staysOwner = after?.role === 'owner' && after.status === 'active'
  if (
    wasOwner &&
    !staysOwner &&
    (await storage.administrators.countActiveOwners(before.tenantId)) <= 1
  )
    throw new ConflictError(
      "this is the tenant's last active owner: make another administrator owner first",
    )
}

export interface AdministratorChange {
  role?: string | undefined
  status?: AccountStatus | undefined
  password?: string | undefined
}

/**
 * Changes role, status or password in one transaction. Any change ends the administrator's
 * console sessions, so a demotion or a new password takes effect at once everywhere.
 */
export async function updateAdministrator(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  id: string,
  change: AdministratorChange,
  expectedVersion?: number,
): Promise<Administrator> {
  const tenant = await deps.storage.tenants.get(tenantId)
  if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
  const existing = await loadAccount(deps.storage, administratorAccounts, tenantId, id)
  const passwordHash =
    change.password === undefined
      ? undefined
      : await hashNewPassword(deps, change.password, existing.username)
  const role = change.role === undefined ? undefined : validateRole(change.role)
  return deps.storage.transaction((storage) =>
    changeAccount(deps, storage, administratorAccounts, authority.actor, tenantId, existing.id, {
      type: passwordHash === undefined ? 'administrator.updated' : 'administrator.password_changed',
      endsSignIns: true,
      apply: async (current, now) => {
        assertMayManageRole(authority, current.role, tenant.isRoot)
        if (role !== undefined) assertMayManageRole(authority, role, tenant.isRoot)
        const next: Administrator = {
          ...current,
          role: role ?? current.role,
          status: change.status ?? current.status,
          ...(passwordHash !== undefined && { passwordHash, passwordChangedAt: now }),
        }
        await ensureAnotherOwner(storage, current, next)
        return next
      },
      expectedVersion,
    }),
  )
}

export async function deleteAdministrator(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  id: string,
): Promise<void> {
  await deps.storage.transaction(async (storage) => {
    const tenant = await storage.tenants.get(tenantId)
    if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
    await deleteAccount(
      deps,
      storage,
      administratorAccounts,
      authority.actor,
      tenantId,
      id,
      async (administrator) => {
        assertMayManageRole(authority, administrator.role, tenant.isRoot)
        await ensureAnotherOwner(storage, administrator)
      },
    )
  })
}
