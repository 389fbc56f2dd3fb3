// Tenant users and console administrators are both accounts. What they share lives here: load
// by id or username, the password policy, versioned changes that end the account's sign-ins,
// and the audit record of each. What differs is an AccountKind; each write runs inside the
// caller's transaction.
import { randomBytes } from 'node:crypto'

import { usernameKey } from '../domain/accounts.js'
import type { AuditEventType } from '../domain/audit-events.js'
import { ConflictError, NotFoundError } from '../domain/errors.js'
import type { Account } from '../domain/model.js'
import { validatePassword } from '../domain/passwords.js'
import type { AccountStore, AuditEvent, Storage } from '../storage/contract.js'
import type { ManagementDeps } from './deps.js'

/** What differs between users and administrators, for the flows below. */
export interface AccountKind<A extends Account> {
  /** Names the account in errors (`user "x" was not found`) and audit records (`user_id`). */
  noun: 'user' | 'administrator'
  idPrefix: 'usr' | 'adm'
  store: (storage: Storage) => AccountStore<A>
  /** What audit records show of an account (never its password hash). */
  auditable: (account: A) => Record<string, unknown>
  /** Ends the account's sign-ins (refresh tokens, console sessions); returns how many. */
  endSignIns: (storage: Storage, account: A, now: Date) => Promise<number>
  /** Where a change's audit record counts what `endSignIns` ended. */
  endedField: 'refresh_tokens_ended' | 'sessions_ended'
}

/** By id, or by username regardless of case; 404 otherwise. */
export async function loadAccount<A extends Account>(
  storage: Storage,
  kind: AccountKind<A>,
  tenantId: string,
  id: string,
): Promise<A> {
  const store = kind.store(storage)
  const account =
    (await store.get(tenantId, id)) ?? (await store.findByUsername(tenantId, usernameKey(id)))
  if (account === undefined) throw new NotFoundError(kind.noun, id)
  return account
}

/** Checks the password policy, then hashes: outside any transaction (Argon2id takes tens of ms). */
export async function hashNewPassword(
  deps: Pick<ManagementDeps, 'passwords'>,
  password: string,
  username: string,
): Promise<string> {
  validatePassword(password, username)
  return deps.passwords.hash(password)
}

/** A new account is active, at version 1, its password set now. */
export function newAccount<A extends Account>(
  kind: AccountKind<A>,
  tenantId: string,
  username: string,
  passwordHash: string,
  now: Date,
): Account {
  return {
    id: `${kind.idPrefix}_${randomBytes(12).toString('base64url')}`,
    tenantId,
    username,
    status: 'active',
    passwordHash,
    createdAt: now,
    updatedAt: now,
    passwordChangedAt: now,
    version: 1,
  }
}

export async function insertAccount<A extends Account>(
  storage: Storage,
  kind: AccountKind<A>,
  actor: string,
  account: A,
): Promise<void> {
  await kind.store(storage).insert(account)
  await storage.audit.append([
    auditEvent(kind, actor, `${kind.noun}.created`, account.createdAt, account, {
      after: kind.auditable(account),
    }),
  ])
}

export interface AccountChange<A extends Account> {
  type: AuditEventType
  /** Whether the change ends the account's sign-ins (a new password, a disabled account). */
  endsSignIns: boolean
  /** The changed account, from the current one; throws to refuse the change. */
  apply: (current: A, now: Date) => A | Promise<A>
  /** The version an If-Match named; the current one when absent (last write wins). */
  expectedVersion?: number | undefined
}

/** Applies one change, writes it if the version still matches, and records before and after. */
export async function changeAccount<A extends Account>(
  deps: Pick<ManagementDeps, 'now'>,
  storage: Storage,
  kind: AccountKind<A>,
  actor: string,
  tenantId: string,
  id: string,
  change: AccountChange<A>,
): Promise<A> {
  const current = await loadAccount(storage, kind, tenantId, id)
  const now = deps.now()
  const next = await change.apply(current, now)
  const updated = await kind
    .store(storage)
    .update({ ...next, updatedAt: now }, change.expectedVersion ?? current.version)
  const ended = change.endsSignIns ? await kind.endSignIns(storage, current, now) : 0
  await storage.audit.append([
    auditEvent(kind, actor, change.type, now, current, {
      before: kind.auditable(current),
      after: kind.auditable(updated),
      [kind.endedField]: ended,
    }),
  ])
  return updated
}

/** Ends the account's sign-ins, then deletes it; `check` may refuse first. */
export async function deleteAccount<A extends Account>(
  deps: Pick<ManagementDeps, 'now'>,
  storage: Storage,
  kind: AccountKind<A>,
  actor: string,
  tenantId: string,
  id: string,
  check?: (account: A) => Promise<void>,
): Promise<void> {
  const account = await loadAccount(storage, kind, tenantId, id)
  await check?.(account)
  const now = deps.now()
  await kind.endSignIns(storage, account, now)
  if (!(await kind.store(storage).delete(tenantId, account.id)))
    throw new ConflictError(`the ${kind.noun} was deleted meanwhile`)
  await storage.audit.append([
    auditEvent(kind, actor, `${kind.noun}.deleted`, now, account, {
      before: kind.auditable(account),
    }),
  ])
}

function auditEvent<A extends Account>(
  kind: AccountKind<A>,
  actor: string,
  type: AuditEventType,
  occurredAt: Date,
  account: A,
  data: Record<string, unknown>,
): AuditEvent {
  return {
    tenantId: account.tenantId,
    occurredAt,
    type,
    actor,
    clientId: null,
    data: { [`${kind.noun}_id`]: account.id, ...data },
  }
}
