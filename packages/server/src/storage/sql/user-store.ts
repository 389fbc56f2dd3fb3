import { sql, type Kysely, type Selectable } from 'kysely'

import { NotFoundError, PreconditionFailedError, ValidationError } from '../../domain/errors.js'
import type { RefreshToken, ScopeGrant, User, UserStatus } from '../../domain/model.js'
import type {
  Page,
  PageRequest,
  RefreshRotation,
  RefreshTokenStore,
  UserStore,
} from '../contract.js'
import type { SqlDialectName } from './dialect.js'
import { dateOrNull, decodeCursor, encodeCursor, ms, msOrNull, translateConflicts } from './rows.js'
import type { Database, RefreshTokensTable, UsersTable } from './schema.js'

function userFromRow(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    username: row.username,
    email: row.email,
    displayName: row.display_name,
    status: row.status as UserStatus,
    passwordHash: row.password_hash,
    grants: JSON.parse(row.grants) as ScopeGrant[],
    failedAttempts: row.failed_attempts,
    lockedUntil: dateOrNull(row.locked_until),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    lastLoginAt: dateOrNull(row.last_login_at),
    passwordChangedAt: new Date(row.password_changed_at),
    version: row.version,
  }
}

function userRow(user: User) {
  return {
    username: user.username,
    username_key: user.username.toLowerCase(),
    email: user.email,
    display_name: user.displayName,
    status: user.status,
    password_hash: user.passwordHash,
    grants: JSON.stringify(user.grants),
    failed_attempts: user.failedAttempts,
    locked_until: msOrNull(user.lockedUntil),
    updated_at: ms(user.updatedAt),
    last_login_at: msOrNull(user.lastLoginAt),
    password_changed_at: ms(user.passwordChangedAt),
  }
}

export class SqlUserStore implements UserStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(user: User): Promise<void> {
    await translateConflicts(
      `a user named "${user.username}" already exists (usernames ignore case)`,
      () =>
        this.db
          .insertInto('users')
          .values({
            id: user.id,
            tenant_id: user.tenantId,
            created_at: ms(user.createdAt),
            version: user.version,
            ...userRow(user),
          })
          .execute(),
    )
  }

  async get(tenantId: string, id: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    return row && userFromRow(row)
  }

  async findByUsername(tenantId: string, usernameKey: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('username_key', '=', usernameKey)
      .executeTakeFirst()
    return row && userFromRow(row)
  }

  async list(tenantId: string, page: PageRequest): Promise<Page<User>> {
    let query = this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit + 1)
    if (page.cursor !== undefined) {
      const position = decodeCursor(page.cursor)
      if (position === undefined)
        throw new ValidationError('cursor', 'the cursor is not one this server issued')
      const [createdAt, id] = position
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', createdAt),
          eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
        ]),
      )
    }
    const rows = await query.execute()
    const items = rows.slice(0, page.limit).map(userFromRow)
    const last = items.at(-1)
    return {
      items,
      nextCursor:
        rows.length > page.limit && last !== undefined
          ? encodeCursor([ms(last.createdAt), last.id])
          : null,
    }
  }

  async update(user: User, expectedVersion: number): Promise<User> {
    const result = await translateConflicts(
      `a user named "${user.username}" already exists (usernames ignore case)`,
      () =>
        this.db
          .updateTable('users')
          .set({ ...userRow(user), version: expectedVersion + 1 })
          .where('tenant_id', '=', user.tenantId)
          .where('id', '=', user.id)
          .where('version', '=', expectedVersion)
          .executeTakeFirst(),
    )
    if (Number(result.numUpdatedRows) === 0) {
      if ((await this.get(user.tenantId, user.id)) === undefined)
        throw new NotFoundError('user', user.id)
      throw new PreconditionFailedError(
        'the user was changed by someone else; reload it and try again',
      )
    }
    return { ...user, version: expectedVersion + 1 }
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('users')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async recordLoginFailure(tenantId: string, id: string): Promise<number> {
    await this.db
      .updateTable('users')
      .set({ failed_attempts: sql<number>`failed_attempts + 1` })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute()
    const row = await this.db
      .selectFrom('users')
      .select('failed_attempts')
      .where('id', '=', id)
      .executeTakeFirst()
    return row?.failed_attempts ?? 0
  }

  async setLockedUntil(tenantId: string, id: string, lockedUntil: Date | null): Promise<void> {
    await this.db
      .updateTable('users')
      .set({
        locked_until: msOrNull(lockedUntil),
        ...(lockedUntil === null && { failed_attempts: 0 }),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute()
  }

  async recordLoginSuccess(
    tenantId: string,
    id: string,
    at: Date,
    rehashedPassword?: string,
  ): Promise<void> {
    await this.db
      .updateTable('users')
      .set({
        failed_attempts: 0,
        locked_until: null,
        last_login_at: ms(at),
        ...(rehashedPassword !== undefined && { password_hash: rehashedPassword }),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute()
  }
}

function refreshFromRow(row: Selectable<RefreshTokensTable>): RefreshToken {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    familyId: row.family_id,
    clientId: row.client_id,
    userId: row.user_id,
    tokenHash: row.token_hash,
    audience: row.audience,
    scopes: JSON.parse(row.scopes) as string[],
    createdAt: new Date(row.created_at),
    idleExpiresAt: new Date(row.idle_expires_at),
    familyExpiresAt: new Date(row.family_expires_at),
    usedAt: dateOrNull(row.used_at),
    revokedAt: dateOrNull(row.revoked_at),
  }
}

export class SqlRefreshTokenStore implements RefreshTokenStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialectName,
    private readonly isTransaction: boolean,
  ) {}

  async insert(token: RefreshToken): Promise<void> {
    await insertRefreshToken(this.db, token)
  }

  async findByHash(tokenHash: string): Promise<RefreshToken | undefined> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst()
    return row && refreshFromRow(row)
  }

  rotate(presentedId: string, next: RefreshToken, at: Date): Promise<RefreshRotation> {
    return this.#inFamily(next.familyId, async (db) => {
      const presented = await db
        .selectFrom('refresh_tokens')
        .select(['used_at', 'revoked_at'])
        .where('id', '=', presentedId)
        .executeTakeFirst()
      if (presented === undefined || presented.revoked_at !== null) return { outcome: 'revoked' }
      if (presented.used_at !== null)
        return { outcome: 'reused', revoked: await revokeFamilyRows(db, next.familyId, at) }
      await db
        .updateTable('refresh_tokens')
        .set({ used_at: ms(at) })
        .where('id', '=', presentedId)
        .execute()
      await insertRefreshToken(db, next)
      return { outcome: 'rotated' }
    })
  }

  revokeFamily(familyId: string, at: Date): Promise<number> {
    return this.#inFamily(familyId, (db) => revokeFamilyRows(db, familyId, at))
  }

  async revokeForUser(tenantId: string, userId: string, at: Date): Promise<number> {
    const result = await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: ms(at) })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    return Number(result.numUpdatedRows)
  }

  async revokeForClient(clientId: string, at: Date): Promise<number> {
    const result = await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: ms(at) })
      .where('client_id', '=', clientId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    return Number(result.numUpdatedRows)
  }

  /**
   * Runs `work` holding the family's lock until its transaction ends. On PostgreSQL a
   * transaction-scoped advisory lock on the family id: rotations and revocations of one family
   * take turns, and each statement after the lock sees what the previous holder committed (read
   * committed). Row locks alone would not do: a revocation's UPDATE does not see, and so misses,
   * the token a concurrent rotation is inserting. SQLite transactions hold the database's write
   * lock from BEGIN IMMEDIATE, which serialises them already.
   */
  #inFamily<T>(familyId: string, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    const locked = async (db: Kysely<Database>) => {
      if (this.dialect === 'postgres')
        await sql`select pg_advisory_xact_lock(hashtextextended(${familyId}, 0))`.execute(db)
      return work(db)
    }
    if (this.isTransaction) return locked(this.db)
    return this.db.transaction().execute(locked)
  }
}

async function insertRefreshToken(db: Kysely<Database>, token: RefreshToken): Promise<void> {
  await db
    .insertInto('refresh_tokens')
    .values({
      id: token.id,
      tenant_id: token.tenantId,
      family_id: token.familyId,
      client_id: token.clientId,
      user_id: token.userId,
      token_hash: token.tokenHash,
      audience: token.audience,
      scopes: JSON.stringify(token.scopes),
      created_at: ms(token.createdAt),
      idle_expires_at: ms(token.idleExpiresAt),
      family_expires_at: ms(token.familyExpiresAt),
      used_at: msOrNull(token.usedAt),
      revoked_at: msOrNull(token.revokedAt),
    })
    .execute()
}

async function revokeFamilyRows(db: Kysely<Database>, familyId: string, at: Date): Promise<number> {
  const result = await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: ms(at) })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
