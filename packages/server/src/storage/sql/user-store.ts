import { sql, type Kysely, type Selectable } from 'kysely'

import { ValidationError } from '../../domain/errors.js'
import type { RefreshToken, ScopeGrant, User } from '../../domain/model.js'
import type {
  Page,
  PageRequest,
  RefreshRotation,
  RefreshTokenStore,
  UserStore,
} from '../contract.js'
import { accountFromRow, accountRow, SqlAccountStore, type AccountTable } from './account-store.js'
import type { SqlDialectName } from './dialect.js'
import { dateOrNull, decodeCursor, encodeCursor, ms, msOrNull } from './rows.js'
import type { Database, RefreshTokensTable } from './schema.js'

const users: AccountTable<'users', User> = {
  name: 'users',
  noun: 'user',
  taken: (username) => `a user named "${username}" already exists (usernames ignore case)`,
  changedMeanwhile: 'the user was changed by someone else; reload it and try again',
  fromRow: (row) => ({
    ...accountFromRow(row),
    email: row.email,
    displayName: row.display_name,
    grants: JSON.parse(row.grants) as ScopeGrant[],
    failedAttempts: row.failed_attempts,
    lockedUntil: dateOrNull(row.locked_until),
    lastLoginAt: dateOrNull(row.last_login_at),
  }),
  toRow: (user) => ({
    ...accountRow(user),
    email: user.email,
    display_name: user.displayName,
    grants: JSON.stringify(user.grants),
    failed_attempts: user.failedAttempts,
    locked_until: msOrNull(user.lockedUntil),
    last_login_at: msOrNull(user.lastLoginAt),
  }),
}

/** Accounts of the password grant: paged, and locked after repeated failures. */
export class SqlUserStore extends SqlAccountStore<'users', User> implements UserStore {
  constructor(db: Kysely<Database>) {
    super(db, users)
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
    const items = rows.slice(0, page.limit).map(users.fromRow)
    const last = items.at(-1)
    return {
      items,
      nextCursor:
        rows.length > page.limit && last !== undefined
          ? encodeCursor([ms(last.createdAt), last.id])
          : null,
    }
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
