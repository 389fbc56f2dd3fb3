import type { Kysely, Selectable } from 'kysely'

import { NotFoundError, PreconditionFailedError } from '../../domain/errors.js'
import type {
  Administrator,
  AdministratorRole,
  ConsoleSession,
  UserStatus,
} from '../../domain/model.js'
import type { AdministratorStore, ConsoleSessionStore } from '../contract.js'
import { dateOrNull, ms, msOrNull, translateConflicts } from './rows.js'
import type { AdministratorsTable, Database } from './schema.js'

function administratorFromRow(row: Selectable<AdministratorsTable>): Administrator {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    username: row.username,
    role: row.role as AdministratorRole,
    status: row.status as UserStatus,
    passwordHash: row.password_hash,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    lastSignInAt: dateOrNull(row.last_sign_in_at),
    passwordChangedAt: new Date(row.password_changed_at),
    version: row.version,
  }
}

function administratorRow(administrator: Administrator) {
  return {
    username: administrator.username,
    username_key: administrator.username.toLowerCase(),
    role: administrator.role,
    status: administrator.status,
    password_hash: administrator.passwordHash,
    updated_at: ms(administrator.updatedAt),
    last_sign_in_at: msOrNull(administrator.lastSignInAt),
    password_changed_at: ms(administrator.passwordChangedAt),
  }
}

export class SqlAdministratorStore implements AdministratorStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(administrator: Administrator): Promise<void> {
    await translateConflicts(
      `an administrator named "${administrator.username}" already exists (usernames ignore case)`,
      () =>
        this.db
          .insertInto('administrators')
          .values({
            id: administrator.id,
            tenant_id: administrator.tenantId,
            created_at: ms(administrator.createdAt),
            version: administrator.version,
            ...administratorRow(administrator),
          })
          .execute(),
    )
  }

  async get(tenantId: string, id: string): Promise<Administrator | undefined> {
    const row = await this.db
      .selectFrom('administrators')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    return row && administratorFromRow(row)
  }

  async findByUsername(tenantId: string, usernameKey: string): Promise<Administrator | undefined> {
    const row = await this.db
      .selectFrom('administrators')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('username_key', '=', usernameKey)
      .executeTakeFirst()
    return row && administratorFromRow(row)
  }

  async list(tenantId: string): Promise<Administrator[]> {
    const rows = await this.db
      .selectFrom('administrators')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('username_key')
      .execute()
    return rows.map(administratorFromRow)
  }

  async update(administrator: Administrator, expectedVersion: number): Promise<Administrator> {
    const result = await this.db
      .updateTable('administrators')
      .set({ ...administratorRow(administrator), version: expectedVersion + 1 })
      .where('tenant_id', '=', administrator.tenantId)
      .where('id', '=', administrator.id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst()
    if (Number(result.numUpdatedRows) === 0) {
      if ((await this.get(administrator.tenantId, administrator.id)) === undefined)
        throw new NotFoundError('administrator', administrator.id)
      throw new PreconditionFailedError(
        'the administrator was changed by someone else; reload and try again',
      )
    }
    return { ...administrator, version: expectedVersion + 1 }
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('administrators')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async countActiveOwners(tenantId: string): Promise<number> {
    const row = await this.db
      .selectFrom('administrators')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('role', '=', 'owner')
      .where('status', '=', 'active')
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }

  async recordSignIn(
    tenantId: string,
    id: string,
    at: Date,
    rehashedPassword?: string,
  ): Promise<void> {
    await this.db
      .updateTable('administrators')
      .set({
        last_sign_in_at: ms(at),
        ...(rehashedPassword !== undefined && { password_hash: rehashedPassword }),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute()
  }
}

export class SqlConsoleSessionStore implements ConsoleSessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(session: ConsoleSession): Promise<void> {
    await this.db
      .insertInto('console_sessions')
      .values({
        id_hash: session.idHash,
        tenant_id: session.tenantId,
        administrator_id: session.administratorId,
        created_at: ms(session.createdAt),
        last_seen_at: ms(session.lastSeenAt),
        expires_at: ms(session.expiresAt),
      })
      .execute()
  }

  async find(
    idHash: string,
  ): Promise<{ session: ConsoleSession; administrator: Administrator } | undefined> {
    const row = await this.db
      .selectFrom('console_sessions as s')
      .innerJoin('administrators as a', 'a.id', 's.administrator_id')
      .selectAll('a')
      .select([
        's.id_hash',
        's.tenant_id as session_tenant_id',
        's.created_at as session_created_at',
        's.last_seen_at',
        's.expires_at',
      ])
      .where('s.id_hash', '=', idHash)
      .executeTakeFirst()
    if (row === undefined) return undefined
    return {
      session: {
        idHash: row.id_hash,
        tenantId: row.session_tenant_id,
        administratorId: row.id,
        createdAt: new Date(row.session_created_at),
        lastSeenAt: new Date(row.last_seen_at),
        expiresAt: new Date(row.expires_at),
      },
      administrator: administratorFromRow(row),
    }
  }

  async touch(idHash: string, at: Date): Promise<void> {
    await this.db
      .updateTable('console_sessions')
      .set({ last_seen_at: ms(at) })
      .where('id_hash', '=', idHash)
      .execute()
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute()
  }

  async deleteForAdministrator(administratorId: string): Promise<number> {
    const result = await this.db
      .deleteFrom('console_sessions')
      .where('administrator_id', '=', administratorId)
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  async deleteExpired(idleBefore: Date, now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('console_sessions')
      .where((eb) =>
        eb.or([eb('last_seen_at', '<', ms(idleBefore)), eb('expires_at', '<=', ms(now))]),
      )
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}
