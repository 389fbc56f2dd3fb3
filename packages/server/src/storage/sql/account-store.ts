import type { Kysely, Selectable } from 'kysely'

import { usernameKey } from '../../domain/accounts.js'
import { NotFoundError, PreconditionFailedError } from '../../domain/errors.js'
import type { Account, AccountStatus } from '../../domain/model.js'
import type { AccountStore } from '../contract.js'
import { ms, translateConflicts } from './rows.js'
import type { AccountColumns, Database } from './schema.js'

type AccountTableName = 'users' | 'administrators'

/** What one account table adds to the shared columns, and how it names itself in errors. */
export interface AccountTable<N extends AccountTableName, A extends Account> {
  name: N
  /** For NotFoundError: `user`, `administrator`. */
  noun: string
  /** The 409 when the username is taken. */
  taken: (username: string) => string
  /** The 412 when someone else changed the account first. */
  changedMeanwhile: string
  fromRow: (row: Selectable<Database[N]>) => A
  /** Every column an update writes: all but the id, tenant, creation time and version. */
  toRow: (account: A) => Omit<Database[N], 'id' | 'tenant_id' | 'created_at' | 'version'>
}

export function accountFromRow(row: AccountColumns): Account {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    username: row.username,
    status: row.status as AccountStatus,
    passwordHash: row.password_hash,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    passwordChangedAt: new Date(row.password_changed_at),
    version: row.version,
  }
}

export function accountRow(account: Account) {
  return {
    username: account.username,
    username_key: usernameKey(account.username),
    status: account.status,
    password_hash: account.passwordHash,
    updated_at: ms(account.updatedAt),
    password_changed_at: ms(account.passwordChangedAt),
  }
}

/** Users and administrators: one tenant's rows, unique usernames, updates that check a version. */
export class SqlAccountStore<
  N extends AccountTableName,
  A extends Account,
> implements AccountStore<A> {
  // Kysely cannot type a query over a table chosen by a type parameter, so queries name the
  // table by the union and `$castTo` gives their rows back the type of table N.
  readonly #name: AccountTableName

  constructor(
    protected readonly db: Kysely<Database>,
    private readonly table: AccountTable<N, A>,
  ) {
    this.#name = table.name
  }

  async insert(account: A): Promise<void> {
    await translateConflicts(this.table.taken(account.username), () =>
      this.db
        .insertInto(this.#name)
        .values({
          id: account.id,
          tenant_id: account.tenantId,
          created_at: ms(account.createdAt),
          version: account.version,
          ...this.table.toRow(account),
        })
        .execute(),
    )
  }

  async get(tenantId: string, id: string): Promise<A | undefined> {
    const row = await this.db
      .selectFrom(this.#name)
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .$castTo<Selectable<Database[N]>>()
      .executeTakeFirst()
    return row && this.table.fromRow(row)
  }

  async findByUsername(tenantId: string, key: string): Promise<A | undefined> {
    const row = await this.db
      .selectFrom(this.#name)
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('username_key', '=', key)
      .$castTo<Selectable<Database[N]>>()
      .executeTakeFirst()
    return row && this.table.fromRow(row)
  }

  async update(account: A, expectedVersion: number): Promise<A> {
    const result = await translateConflicts(this.table.taken(account.username), () =>
      this.db
        .updateTable(this.#name)
        .set({ ...this.table.toRow(account), version: expectedVersion + 1 })
        .where('tenant_id', '=', account.tenantId)
        .where('id', '=', account.id)
        .where('version', '=', expectedVersion)
        .executeTakeFirst(),
    )
    if (Number(result.numUpdatedRows) === 0) {
      if ((await this.get(account.tenantId, account.id)) === undefined)
        throw new NotFoundError(this.table.noun, account.id)
      throw new PreconditionFailedError(this.table.changedMeanwhile)
    }
    return { ...account, version: expectedVersion + 1 }
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom(this.#name)
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }
}
