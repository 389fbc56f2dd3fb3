import { sql, type Kysely, type Selectable } from 'kysely'

import type { PublicJwk } from '../../crypto/jws-signer.js'
import { ConflictError, ValidationError } from '../../domain/errors.js'
import type {
  Api,
  Application,
  ApplicationStatus,
  ClientSecret,
  GrantType,
  ScopeGrant,
  SigningAlgorithm,
  SigningKey,
  SigningKeyStatus,
  Tenant,
} from '../../domain/model.js'
import type {
  ApiStore,
  ApplicationStore,
  AuditEvent,
  AuditQuery,
  AuditStore,
  ClientRecord,
  Page,
  PageRequest,
  SigningKeyStore,
  Storage,
  StoredAuditEvent,
  TenantStore,
} from '../contract.js'
import { openDatabase, type SqlDialectName } from './dialect.js'
import { migrateToLatest } from './migrate.js'
import type {
  ApisTable,
  ApplicationsTable,
  ClientSecretsTable,
  Database,
  SigningKeysTable,
  TenantsTable,
} from './schema.js'

const ms = (date: Date): number => date.getTime()
const msOrNull = (date: Date | null): number | null => (date === null ? null : date.getTime())
const dateOrNull = (value: number | null): Date | null => (value === null ? null : new Date(value))

function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  )
}

async function translateConflicts<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(what, { cause: error })
    throw error
  }
}

function encodeCursor(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url')
}

function decodeCursor(cursor: string): [number, string] | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString())
    if (Array.isArray(parsed) && typeof parsed[0] === 'number' && typeof parsed[1] === 'string') {
      return [parsed[0], parsed[1]]
    }
  } catch {
    // fall through: an unreadable cursor is treated as the first page's
  }
  return undefined
}

function tenantFromRow(row: Selectable<TenantsTable>): Tenant {
  return {
    id: row.id,
    displayName: row.display_name,
    isRoot: row.is_root === 1,
    signingAlgorithm: row.signing_algorithm as SigningAlgorithm,
    defaultTokenLifetimeSeconds: row.default_token_lifetime_seconds,
    maxTokenLifetimeSeconds: row.max_token_lifetime_seconds,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

function keyFromRow(row: Selectable<SigningKeysTable>): SigningKey {
  return {
    kid: row.kid,
    tenantId: row.tenant_id,
    algorithm: row.algorithm as SigningAlgorithm,
    status: row.status as SigningKeyStatus,
    publicJwk: JSON.parse(row.public_jwk) as PublicJwk,
    sealedPrivateKey: row.sealed_private_key,
    createdAt: new Date(row.created_at),
    activatedAt: dateOrNull(row.activated_at),
    retiredAt: dateOrNull(row.retired_at),
    publishUntil: dateOrNull(row.publish_until),
  }
}

function apiFromRow(row: Selectable<ApisTable>): Api {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    audience: row.audience,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
    isBuiltIn: row.is_built_in === 1,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

function applicationFromRow(row: Selectable<ApplicationsTable>): Application {
  return {
    clientId: row.client_id,
    tenantId: row.tenant_id,
    name: row.name,
    description: row.description,
    environment: row.environment,
    status: row.status as ApplicationStatus,
    grantTypes: JSON.parse(row.grant_types) as GrantType[],
    grants: JSON.parse(row.grants) as ScopeGrant[],
    tokenLifetimeSeconds: row.token_lifetime_seconds,
    expiresAt: dateOrNull(row.expires_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    lastUsedAt: dateOrNull(row.last_used_at),
  }
}

function secretFromRow(row: Selectable<ClientSecretsTable>): ClientSecret {
  return {
    id: row.id,
    clientId: row.client_id,
    hash: Buffer.from(row.hash, 'base64url'),
    hint: row.hint,
    createdAt: new Date(row.created_at),
    expiresAt: dateOrNull(row.expires_at),
    lastUsedAt: dateOrNull(row.last_used_at),
    lastUsedIp: row.last_used_ip,
  }
}

class SqlTenantStore implements TenantStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(tenant: Tenant): Promise<void> {
    await translateConflicts(`tenant "${tenant.id}" already exists`, () =>
      this.db
        .insertInto('tenants')
        .values({
          id: tenant.id,
          display_name: tenant.displayName,
          is_root: tenant.isRoot ? 1 : 0,
          signing_algorithm: tenant.signingAlgorithm,
          default_token_lifetime_seconds: tenant.defaultTokenLifetimeSeconds,
          max_token_lifetime_seconds: tenant.maxTokenLifetimeSeconds,
          created_at: ms(tenant.createdAt),
          updated_at: ms(tenant.updatedAt),
        })
        .execute(),
    )
  }

  async get(id: string): Promise<Tenant | undefined> {
    const row = await this.db
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    return row && tenantFromRow(row)
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.db
      .selectFrom('tenants')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    return rows.map(tenantFromRow)
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('tenants')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }
}

class SqlSigningKeyStore implements SigningKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(key: SigningKey): Promise<void> {
    await this.db
      .insertInto('signing_keys')
      .values({
        kid: key.kid,
        tenant_id: key.tenantId,
        algorithm: key.algorithm,
        status: key.status,
        public_jwk: JSON.stringify(key.publicJwk),
        sealed_private_key: key.sealedPrivateKey,
        created_at: ms(key.createdAt),
        activated_at: msOrNull(key.activatedAt),
        retired_at: msOrNull(key.retiredAt),
        publish_until: msOrNull(key.publishUntil),
      })
      .execute()
  }

  async listForTenant(tenantId: string): Promise<SigningKey[]> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .orderBy('kid')
      .execute()
    return rows.map(keyFromRow)
  }

  async setStatus(
    kid: string,
    change: {
      status: SigningKeyStatus
      activatedAt?: Date | null
      retiredAt?: Date | null
      publishUntil?: Date | null
    },
  ): Promise<void> {
    await this.db
      .updateTable('signing_keys')
      .set({
        status: change.status,
        ...(change.activatedAt !== undefined && { activated_at: msOrNull(change.activatedAt) }),
        ...(change.retiredAt !== undefined && { retired_at: msOrNull(change.retiredAt) }),
        ...(change.publishUntil !== undefined && { publish_until: msOrNull(change.publishUntil) }),
      })
      .where('kid', '=', kid)
      .execute()
  }

  async deleteUnpublished(tenantId: string, now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('signing_keys')
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'retired')
      .where('publish_until', '<=', ms(now))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}

class SqlApiStore implements ApiStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(api: Api): Promise<void> {
    await translateConflicts(
      `an API with audience "${api.audience}" already exists in this tenant`,
      () =>
        this.db
          .insertInto('apis')
          .values({
            id: api.id,
            tenant_id: api.tenantId,
            audience: api.audience,
            name: api.name,
            scopes: JSON.stringify(api.scopes),
            is_built_in: api.isBuiltIn ? 1 : 0,
            created_at: ms(api.createdAt),
            updated_at: ms(api.updatedAt),
          })
          .execute(),
    )
  }

  async get(tenantId: string, id: string): Promise<Api | undefined> {
    const row = await this.db
      .selectFrom('apis')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    return row && apiFromRow(row)
  }

  async getByAudience(tenantId: string, audience: string): Promise<Api | undefined> {
    const row = await this.db
      .selectFrom('apis')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('audience', '=', audience)
      .executeTakeFirst()
    return row && apiFromRow(row)
  }

  async list(tenantId: string): Promise<Api[]> {
    const rows = await this.db
      .selectFrom('apis')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    return rows.map(apiFromRow)
  }
}

class SqlApplicationStore implements ApplicationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(application: Application, secret: ClientSecret): Promise<void> {
    await translateConflicts(
      `an application named "${application.name}" already exists in environment "${application.environment}"`,
      async () => {
        await this.db
          .insertInto('applications')
          .values({
            client_id: application.clientId,
            tenant_id: application.tenantId,
            name: application.name,
            description: application.description,
            environment: application.environment,
            status: application.status,
            grant_types: JSON.stringify(application.grantTypes),
            grants: JSON.stringify(application.grants),
            token_lifetime_seconds: application.tokenLifetimeSeconds,
            expires_at: msOrNull(application.expiresAt),
            created_at: ms(application.createdAt),
            updated_at: ms(application.updatedAt),
            last_used_at: msOrNull(application.lastUsedAt),
          })
          .execute()
        await this.db
          .insertInto('client_secrets')
          .values({
            id: secret.id,
            client_id: secret.clientId,
            hash: secret.hash.toString('base64url'),
            hint: secret.hint,
            created_at: ms(secret.createdAt),
            expires_at: msOrNull(secret.expiresAt),
            last_used_at: msOrNull(secret.lastUsedAt),
            last_used_ip: secret.lastUsedIp,
          })
          .execute()
      },
    )
  }

  async get(tenantId: string, clientId: string): Promise<Application | undefined> {
    const row = await this.db
      .selectFrom('applications')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('client_id', '=', clientId)
      .executeTakeFirst()
    return row && applicationFromRow(row)
  }

  async findClient(clientId: string): Promise<ClientRecord | undefined> {
    const row = await this.db
      .selectFrom('applications')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirst()
    if (row === undefined) return undefined
    return { application: applicationFromRow(row), secrets: await this.listSecrets(clientId) }
  }

  async list(tenantId: string, page: PageRequest): Promise<Page<Application>> {
    let query = this.db
      .selectFrom('applications')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .orderBy('client_id', 'desc')
      .limit(page.limit + 1)
    if (page.cursor !== undefined) {
      const position = decodeCursor(page.cursor)
      if (position === undefined)
        throw new ValidationError('cursor', 'the cursor is not one this server issued')
      const [createdAt, clientId] = position
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', createdAt),
          eb.and([eb('created_at', '=', createdAt), eb('client_id', '<', clientId)]),
        ]),
      )
    }
    const rows = await query.execute()
    const items = rows.slice(0, page.limit).map(applicationFromRow)
    const last = items.at(-1)
    return {
      items,
      nextCursor:
        rows.length > page.limit && last !== undefined
          ? encodeCursor([ms(last.createdAt), last.clientId])
          : null,
    }
  }

  async listSecrets(clientId: string): Promise<ClientSecret[]> {
    const rows = await this.db
      .selectFrom('client_secrets')
      .selectAll()
      .where('client_id', '=', clientId)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    return rows.map(secretFromRow)
  }
}

class SqlAuditStore implements AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return
    await this.db
      .insertInto('audit_events')
      .values(
        events.map((event) => ({
          tenant_id: event.tenantId,
          occurred_at: ms(event.occurredAt),
          type: event.type,
          actor: event.actor,
          client_id: event.clientId,
          data: JSON.stringify(event.data),
        })),
      )
      .execute()
  }

  async list(query: AuditQuery): Promise<Page<StoredAuditEvent>> {
    let select = this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('tenant_id', '=', query.tenantId)
      .orderBy('id', 'desc')
      .limit(query.limit + 1)
    if (query.clientId !== undefined) select = select.where('client_id', '=', query.clientId)
    if (query.type !== undefined) select = select.where('type', '=', query.type)
    if (query.since !== undefined) select = select.where('occurred_at', '>=', ms(query.since))
    if (query.until !== undefined) select = select.where('occurred_at', '<', ms(query.until))
    if (query.cursor !== undefined) {
      const before = Number(query.cursor)
      if (!Number.isSafeInteger(before))
        throw new ValidationError('cursor', 'the cursor is not one this server issued')
      select = select.where('id', '<', before)
    }
    const rows = await select.execute()
    const items = rows.slice(0, query.limit).map((row): StoredAuditEvent => ({
      id: String(row.id),
      tenantId: row.tenant_id,
      occurredAt: new Date(row.occurred_at),
      type: row.type,
      actor: row.actor,
      clientId: row.client_id,
      data: JSON.parse(row.data) as Record<string, unknown>,
    }))
    const last = items.at(-1)
    return { items, nextCursor: rows.length > query.limit && last !== undefined ? last.id : null }
  }
}

/** Storage over Kysely: the same queries for SQLite and PostgreSQL. */
export class SqlStorage implements Storage {
  readonly tenants: TenantStore
  readonly signingKeys: SigningKeyStore
  readonly apis: ApiStore
  readonly applications: ApplicationStore
  readonly audit: AuditStore

  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: SqlDialectName,
    private readonly isTransaction = false,
  ) {
    this.tenants = new SqlTenantStore(db)
    this.signingKeys = new SqlSigningKeyStore(db)
    this.apis = new SqlApiStore(db)
    this.applications = new SqlApplicationStore(db)
    this.audit = new SqlAuditStore(db)
  }

  transaction<T>(work: (storage: Storage) => Promise<T>): Promise<T> {
    if (this.isTransaction) return work(this)
    return this.db.transaction().execute((trx) => work(new SqlStorage(trx, this.dialect, true)))
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db)
  }

  async close(): Promise<void> {
    await this.db.destroy()
  }
}

/** Opens the database named by the URL and migrates it to the latest schema. */
export async function openSqlStorage(databaseUrl: string): Promise<SqlStorage> {
  const { db, dialect } = openDatabase(databaseUrl)
  try {
    await migrateToLatest(db, dialect)
  } catch (error) {
    await db.destroy()
    throw error
  }
  return new SqlStorage(db, dialect)
}
