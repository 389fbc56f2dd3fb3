import { assertMayManageRole, type Authority } from '../domain/authority.js'
import { randomBytes } from 'node:crypto'

import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import {
  ADMINISTRATOR_ROLES,
  type Administrator,
  type AdministratorRole,
  type UserStatus,
} from '../domain/model.js'
import { validatePassword } from '../domain/passwords.js'
import type { Storage } from '../storage/contract.js'
import type { ManagementDeps } from './deps.js'
import { validateUsername } from './validate.js'

function validateRole(role: string): AdministratorRole {
  if (!ADMINISTRATOR_ROLES.includes(role as AdministratorRole))
    throw new ValidationError('role', `role must be one of ${ADMINISTRATOR_ROLES.join(', ')}`)
  return role as AdministratorRole
}

/** 20 characters from 120 random bits: shown once, for the administrator to change or keep. */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url')
}

async function load(storage: Storage, tenantId: string, id: string): Promise<Administrator> {
  const administrator =
    (await storage.administrators.get(tenantId, id)) ??
    (await storage.administrators.findByUsername(tenantId, id.toLowerCase()))
  if (administrator === undefined) throw new NotFoundError('administrator', id)
  return administrator
}

const auditable = (a: Administrator) => ({ username: a.username, role: a.role, status: a.status })

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
  validatePassword(password, username)
  const passwordHash = await deps.passwords.hash(password)
  const now = deps.now()
  const administrator: Administrator = {
    id: `adm_${randomBytes(12).toString('base64url')}`,
    tenantId,
    username,
    role,
    status: 'active',
    passwordHash,
    createdAt: now,
    updatedAt: now,
    lastSignInAt: null,
    passwordChangedAt: now,
    version: 1,
  }
  return generatedPassword === undefined ? { administrator } : { administrator, generatedPassword }
}

/** Inserts a prepared administrator with its audit record, inside the caller's transaction. */
export async function insertAdministrator(
  storage: Storage,
  actor: string,
  administrator: Administrator,
): Promise<void> {
  await storage.administrators.insert(administrator)
  await storage.audit.append([
    {
      tenantId: administrator.tenantId,
      occurredAt: administrator.createdAt,
      type: 'administrator.created',
      actor,
      clientId: null,
      data: { administrator_id: administrator.id, after: auditable(administrator) },
    },
  ])
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
  return load(deps.storage, tenantId, id)
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
  status?: UserStatus | undefined
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
  const existing = await load(deps.storage, tenantId, id)
  let passwordHash: string | undefined
  if (change.password !== undefined) {
    validatePassword(change.password, existing.username)
    passwordHash = await deps.passwords.hash(change.password)
  }
  const role = change.role === undefined ? undefined : validateRole(change.role)
  return deps.storage.transaction(async (storage) => {
    const current = await load(storage, tenantId, existing.id)
    assertMayManageRole(authority, current.role, tenant.isRoot)
    if (role !== undefined) assertMayManageRole(authority, role, tenant.isRoot)
    const now = deps.now()
    const next: Administrator = {
      ...current,
      role: role ?? current.role,
      status: change.status ?? current.status,
      updatedAt: now,
      ...(passwordHash !== undefined && { passwordHash, passwordChangedAt: now }),
    }
    await ensureAnotherOwner(storage, current, next)
    const updated = await storage.administrators.update(next, expectedVersion ?? current.version)
    const sessionsEnded = await storage.consoleSessions.deleteForAdministrator(current.id)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type:
          passwordHash === undefined ? 'administrator.updated' : 'administrator.password_changed',
        actor: authority.actor,
        clientId: null,
        data: {
          administrator_id: current.id,
          before: auditable(current),
          after: auditable(updated),
          sessions_ended: sessionsEnded,
        },
      },
    ])
    return updated
  })
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
    const administrator = await load(storage, tenantId, id)
    assertMayManageRole(authority, administrator.role, tenant.isRoot)
    await ensureAnotherOwner(storage, administrator)
    await storage.consoleSessions.deleteForAdministrator(administrator.id)
    if (!(await storage.administrators.delete(tenantId, administrator.id)))
      throw new ConflictError('the administrator was deleted meanwhile')
    await storage.audit.append([
      {
        tenantId,
        occurredAt: deps.now(),
        type: 'administrator.deleted',
        actor: authority.actor,
        clientId: null,
        data: { administrator_id: administrator.id, before: auditable(administrator) },
      },
    ])
  })
}
