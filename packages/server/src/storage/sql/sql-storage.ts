import fs from 'node:fs'
import path from 'node:path'

import { sql, type Kysely } from 'kysely'
import type pg from 'pg'

import type { Api, SigningKey, SigningKeyStatus, Tenant } from '../../domain/model.js'
import { NotFoundError, PreconditionFailedError } from '../../domain/errors.js'
import type {
  AdministratorStore,
  ConsoleSessionStore,
  ApiStore,
  ApplicationStore,
  RefreshTokenStore,
  RevocationStore,
  SecretUsage,
  SigningKeyStore,
  Storage,
  TenantStore,
  UserStore,
} from '../contract.js'
import { SqlAdministratorStore, SqlConsoleSessionStore } from './administrator-store.js'
import { SqlApplicationStore } from './application-store.js'
import { SqlAuditChainStore } from './audit-chain-store.js'
import { SqlAuditSinkStore } from './audit-sink-store.js'
import { SqlPortalLinkStore } from './portal-link-store.js'
import { SqlWebhookStore } from './webhook-store.js'
import { SqlAuditStore } from './audit-store.js'
import { SqlLeakStore } from './leak-store.js'
import { SqlInsightStore } from './insight-store.js'
import type { Checkpointer } from './sqlite-checkpointer.js'
import { SqliteTokenAudit } from './sqlite-token-audit.js'
import { openDatabase, type SqlDialectName } from './dialect.js'
import { migrateToLatest } from './migrate.js'
import { SqlRevocationStore } from './revocation-store.js'
import { SqlSecretUsage } from './secret-usage.js'
import { SqlRefreshTokenStore, SqlUserStore } from './user-store.js'
import { apiFromRow, keyFromRow, ms, msOrNull, tenantFromRow, translateConflicts } from './rows.js'
import type { Database } from './schema.js'

/** Free space a SQLite disk must have again before storage counts as writable after it filled. */
const SQLITE_MIN_FREE_BYTES = 1024 * 1024

class SqlTenantStore implements TenantStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialectName,
  ) {}

  async updateSettings(tenant: Tenant): Promise<void> {
    await translateConflicts(`another tenant has external_id "${tenant.externalId}"`, () =>
      this.db
        .updateTable('tenants')
        .set({
          external_id: tenant.externalId,
          metadata: JSON.stringify(tenant.metadata),
          status: tenant.status,
          display_name: tenant.displayName,
          default_token_lifetime_seconds: tenant.defaultTokenLifetimeSeconds,
          max_token_lifetime_seconds: tenant.maxTokenLifetimeSeconds,
          leak_response: tenant.leakResponse,
          updated_at: ms(tenant.updatedAt),
        })
        .where('id', '=', tenant.id)
        .execute(),
    )
  }

  async getByExternalId(externalId: string): Promise<Tenant | undefined> {
    const row = await this.db
      .selectFrom('tenants')
      .selectAll()
      .where('external_id', '=', externalId)
      .where('status', '!=', 'deleted')
      .executeTakeFirst()
    return row && tenantFromRow(row)
  }

  async lockForChange(tenantId: string): Promise<void> {
    // SQLite transactions begin IMMEDIATE and so are serialised already; PostgreSQL needs a
    // transaction-scoped advisory lock, since what is read (every API and application of the
    // tenant) is more than any row lock would cover.
    if (this.dialect === 'postgres') {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`tenant-change:${tenantId}`}, 0))`.execute(
        this.db,
      )
    }
  }

  async insert(tenant: Tenant): Promise<void> {
    await translateConflicts(
      tenant.externalId === null
        ? `tenant "${tenant.id}" already exists`
        : `tenant "${tenant.id}", or a tenant with external_id "${tenant.externalId}", already exists`,
      () =>
        this.db
          .insertInto('tenants')
          .values({
            id: tenant.id,
            display_name: tenant.displayName,
            is_root: tenant.isRoot ? 1 : 0,
            signing_algorithm: tenant.signingAlgorithm,
            default_token_lifetime_seconds: tenant.defaultTokenLifetimeSeconds,
            max_token_lifetime_seconds: tenant.maxTokenLifetimeSeconds,
            leak_response: tenant.leakResponse,
            external_id: tenant.externalId,
            metadata: JSON.stringify(tenant.metadata),
            status: tenant.status,
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
      .where('status', '!=', 'deleted')
      .executeTakeFirst()
    return row && tenantFromRow(row)
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.db
      .selectFrom('tenants')
      .selectAll()
      .where('status', '!=', 'deleted')
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

  async deleteData(tenantId: string, at: Date): Promise<void> {
    const db = this.db
    const clients = db
      .selectFrom('applications')
      .select('client_id')
      .where('tenant_id', '=', tenantId)
    // Children before parents: the foreign keys hold whether or not SQLite enforces them.
    await db.deleteFrom('client_secrets').where('client_id', 'in', clients).execute()
    await db.deleteFrom('used_client_assertions').where('client_id', 'in', clients).execute()
    await db.deleteFrom('console_sessions').where('tenant_id', '=', tenantId).execute()
    await db.deleteFrom('refresh_tokens').where('tenant_id', '=', tenantId).execute()
    await db.deleteFrom('webhook_deliveries').where('tenant_id', '=', tenantId).execute()
    for (const table of [
      'applications',
      'apis',
      'signing_keys',
      'users',
      'administrators',
      'leaked_secrets',
      'scope_usage_daily',
      'token_streams',
      'scope_requirements',
      'insight_notices',
      'webhook_endpoints',
      'audit_sinks',
      'portal_links',
    ] as const) {
      await db.deleteFrom(table).where('tenant_id', '=', tenantId).execute()
    }
    await db
      .updateTable('tenants')
      .set({ status: 'deleted', external_id: null, metadata: '{}', updated_at: ms(at) })
      .where('id', '=', tenantId)
      .execute()
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

function sharingColumns(api: Api): { sharing: string | null; tenant_claims: string | null } {
  return {
    sharing: api.sharing === null ? null : JSON.stringify(api.sharing.tenants),
    tenant_claims:
      Object.keys(api.tenantClaims).length === 0 ? null : JSON.stringify(api.tenantClaims),
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
            catalog: api.catalog === null ? null : JSON.stringify(api.catalog),
            is_built_in: api.isBuiltIn ? 1 : 0,
            ...sharingColumns(api),
            created_at: ms(api.createdAt),
            updated_at: ms(api.updatedAt),
          })
          .execute(),
    )
  }

  async update(api: Api, expectedVersion: number): Promise<Api> {
    const result = await this.db
      .updateTable('apis')
      .set({
        name: api.name,
        scopes: JSON.stringify(api.scopes),
        catalog: api.catalog === null ? null : JSON.stringify(api.catalog),
        ...sharingColumns(api),
        updated_at: ms(api.updatedAt),
        version: expectedVersion + 1,
      })
      .where('tenant_id', '=', api.tenantId)
      .where('id', '=', api.id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst()
    if (Number(result.numUpdatedRows) === 0) {
      if ((await this.get(api.tenantId, api.id)) === undefined)
        throw new NotFoundError('API', api.id)
      throw new PreconditionFailedError(
        'the API was changed by someone else; reload it and try again',
      )
    }
    return { ...api, version: expectedVersion + 1 }
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

  async listShared(): Promise<Api[]> {
    const rows = await this.db
      .selectFrom('apis')
      .selectAll()
      .where('sharing', 'is not', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    return rows.map(apiFromRow)
  }

  async listByAudience(audience: string): Promise<Api[]> {
    const rows = await this.db
      .selectFrom('apis')
      .selectAll()
      .where('audience', '=', audience)
      .orderBy('id')
      .execute()
    return rows.map(apiFromRow)
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.db
      .deleteFrom('apis')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute()
  }
}

/** Storage over Kysely: the same queries for SQLite and PostgreSQL. */
export class SqlStorage implements Storage {
  readonly tenants: TenantStore
  readonly signingKeys: SigningKeyStore
  readonly apis: ApiStore
  readonly applications: ApplicationStore
  readonly audit: SqlAuditStore
  readonly auditChain: SqlAuditChainStore
  readonly auditSinks: SqlAuditSinkStore
  readonly webhooks: SqlWebhookStore
  readonly portalLinks: SqlPortalLinkStore
  readonly leaks: SqlLeakStore
  readonly insights: SqlInsightStore
  readonly secretUsage: SecretUsage
  readonly revocations: RevocationStore
  readonly users: UserStore
  readonly refreshTokens: RefreshTokenStore
  readonly administrators: AdministratorStore
  readonly consoleSessions: ConsoleSessionStore

  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: SqlDialectName,
    private readonly isTransaction = false,
    /** SQLite, top level only: the token-audit commit with prepared statements. */
    sqliteFastPath?: SqliteTokenAudit,
    private readonly pool?: pg.Pool,
    private readonly checkpointer?: Checkpointer,
    /** SQLite on a file: its path, for the free space `probeWrite` asks for. */
    private readonly sqliteFile?: string,
    /** TOKENMINT_AUDIT_CHAIN: off only in benchmarks. */
    private readonly chainAudit = true,
  ) {
    this.tenants = new SqlTenantStore(db, dialect)
    this.signingKeys = new SqlSigningKeyStore(db)
    this.apis = new SqlApiStore(db)
    this.applications = new SqlApplicationStore(db, dialect)
    this.secretUsage = new SqlSecretUsage(db)
    this.audit = new SqlAuditStore(db, dialect, this.secretUsage, {
      inTransaction: isTransaction,
      chain: chainAudit,
      sqliteFastPath,
    })
    this.auditChain = new SqlAuditChainStore(db)
    this.auditSinks = new SqlAuditSinkStore(db)
    this.webhooks = new SqlWebhookStore(db)
    this.portalLinks = new SqlPortalLinkStore(db)
    this.leaks = new SqlLeakStore(db, dialect)
    this.insights = new SqlInsightStore(db, dialect)
    this.revocations = new SqlRevocationStore(db, dialect)
    this.users = new SqlUserStore(db)
    this.refreshTokens = new SqlRefreshTokenStore(db, dialect, isTransaction)
    this.administrators = new SqlAdministratorStore(db)
    this.consoleSessions = new SqlConsoleSessionStore(db)
  }

  transaction<T>(work: (storage: Storage) => Promise<T>): Promise<T> {
    if (this.isTransaction) return work(this)
    return this.db.transaction().execute(async (trx) => {
      const storage = new SqlStorage(
        trx,
        this.dialect,
        true,
        undefined,
        undefined,
        undefined,
        undefined,
        this.chainAudit,
      )
      const result = await work(storage)
      await storage.audit.flushDeferred()
      return result
    })
  }

  connectionStats(): { total: number; idle: number; waiting: number } {
    return {
      total: this.pool?.totalCount ?? 0,
      idle: this.pool?.idleCount ?? 0,
      waiting: this.pool?.waitingCount ?? 0,
    }
  }

  async deploymentId(): Promise<string> {
    const row = await this.db.selectFrom('deployment').select('id').executeTakeFirstOrThrow()
    return row.id
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db)
  }

  async probeWrite(): Promise<void> {
    if (this.sqliteFile !== undefined) {
      // On a full disk one small write may still commit, into WAL space that a failed larger
      // one had already claimed: ask the file system too, or readiness would come back while
      // every real write still fails.
      const disk = await fs.promises.statfs(path.dirname(this.sqliteFile))
      const freeBytes = (process.getuid?.() === 0 ? disk.bfree : disk.bavail) * disk.bsize
      if (freeBytes < SQLITE_MIN_FREE_BYTES) {
        throw new Error(`${String(freeBytes)} bytes free beside ${this.sqliteFile}`)
      }
    }
    // A new value each time: SQLite skips rewriting a row with the same bytes, which would
    // commit without writing anything.
    const row = { id: 1, written_at: Date.now() }
    await this.db
      .insertInto('storage_probe')
      .values(row)
      .onConflict((conflict) => conflict.column('id').doUpdateSet({ written_at: row.written_at }))
      .execute()
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop()
    await this.db.destroy()
  }
}

/** Opens the database named by the URL and migrates it to the latest schema. */
export async function openSqlStorage(
  databaseUrl: string,
  options: { sqliteSynchronous?: 'normal' | 'full'; auditChain?: boolean } = {},
): Promise<SqlStorage> {
  const auditChain = options.auditChain ?? true
  const { db, dialect, schema, sqlite, pool, checkpointer } = openDatabase(databaseUrl, options)
  try {
    await migrateToLatest(db, dialect, schema)
  } catch (error) {
    await checkpointer?.stop()
    await db.destroy()
    throw error
  }
  return new SqlStorage(
    db,
    dialect,
    false,
    sqlite === undefined ? undefined : new SqliteTokenAudit(sqlite, auditChain),
    pool,
    checkpointer,
    sqlite?.memory === false ? sqlite.name : undefined,
    auditChain,
  )
}
