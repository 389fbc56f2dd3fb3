import { createHash } from 'node:crypto'

import { sql, type Kysely } from 'kysely'

import { NotFoundError, PreconditionFailedError, ValidationError } from '../../domain/errors.js'
import type {
  Application,
  ClientJwksUri,
  ClientKey,
  ClientSecret,
  TrustPolicy,
} from '../../domain/model.js'
import type {
  ApplicationFilter,
  ApplicationStore,
  ClientCredentials,
  ClientRecord,
  DueExpiry,
  Page,
  PageRequest,
} from '../contract.js'
import type { SqlDialectName } from './dialect.js'
import {
  applicationFromRow,
  decodeCursor,
  encodeCursor,
  ms,
  clientKeyFromRow,
  jwksUriFromRow,
  msOrNull,
  secretFromRow,
  trustPolicyFromRow,
  translateConflicts,
} from './rows.js'
import type { Database } from './schema.js'

/** No custom claims is stored as null, as rows from before custom claims are. */
function claimsColumn(application: Application): string | null {
  return Object.keys(application.claims).length === 0 ? null : JSON.stringify(application.claims)
}

export class SqlApplicationStore implements ApplicationStore {
  #lastPrunedMs = 0

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialectName,
  ) {}

  async insert(application: Application, secret: ClientSecret | undefined): Promise<void> {
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
            can_introspect: application.canIntrospect ? 1 : 0,
            token_rate_limit_per_minute: application.tokenRateLimitPerMinute,
            is_built_in: application.isBuiltIn ? 1 : 0,
            token_endpoint_auth_method: application.tokenEndpointAuthMethod,
            dpop_bound_access_tokens: application.dpopBoundAccessTokens ? 1 : 0,
            claims: claimsColumn(application),
            expiry_pending: application.expiresAt === null ? 0 : 1,
            version: application.version,
          })
          .execute()
        if (secret !== undefined) await this.insertSecret(secret)
      },
    )
  }

  async update(application: Application, expectedVersion: number): Promise<Application> {
    const newExpiry = msOrNull(application.expiresAt)
    const result = await translateConflicts(
      `an application named "${application.name}" already exists in environment "${application.environment}"`,
      () =>
        this.db
          .updateTable('applications')
          .set({
            name: application.name,
            description: application.description,
            environment: application.environment,
            status: application.status,
            grant_types: JSON.stringify(application.grantTypes),
            grants: JSON.stringify(application.grants),
            token_lifetime_seconds: application.tokenLifetimeSeconds,
            expires_at: msOrNull(application.expiresAt),
            can_introspect: application.canIntrospect ? 1 : 0,
            token_rate_limit_per_minute: application.tokenRateLimitPerMinute,
            dpop_bound_access_tokens: application.dpopBoundAccessTokens ? 1 : 0,
            claims: claimsColumn(application),
            // A set or moved expiry is pending until published; an unchanged one keeps its state.
            expiry_pending: sql<number>`case
              when cast(${newExpiry} as bigint) is null then 0
              when expires_at = cast(${newExpiry} as bigint) then expiry_pending
              else 1 end`,
            updated_at: ms(application.updatedAt),
            version: expectedVersion + 1,
          })
          .where('tenant_id', '=', application.tenantId)
          .where('client_id', '=', application.clientId)
          .where('version', '=', expectedVersion)
          .executeTakeFirst(),
    )
    if (Number(result.numUpdatedRows) === 0) {
      if ((await this.get(application.tenantId, application.clientId)) === undefined) {
        throw new NotFoundError('application', application.clientId)
      }
      throw new PreconditionFailedError(
        'the application was changed by someone else; reload it and try again',
      )
    }
    return { ...application, version: expectedVersion + 1 }
  }

  async listDueExpiries(now: Date, limit: number): Promise<DueExpiry[]> {
    const rows = await this.db
      .selectFrom('applications')
      .select(['tenant_id', 'client_id', 'expires_at'])
      .where('expiry_pending', '=', 1)
      .where('expires_at', '<=', ms(now))
      .where('status', '=', 'active')
      .orderBy('expires_at')
      .orderBy('client_id')
      .limit(limit)
      .execute()
    return rows.flatMap((row) =>
      row.expires_at === null
        ? []
        : [
            {
              tenantId: row.tenant_id,
              clientId: row.client_id,
              expiresAt: new Date(row.expires_at),
            },
          ],
    )
  }

  async markExpiryPublished(due: DueExpiry): Promise<boolean> {
    const result = await this.db
      .updateTable('applications')
      .set({ expiry_pending: 0 })
      .where('tenant_id', '=', due.tenantId)
      .where('client_id', '=', due.clientId)
      .where('expiry_pending', '=', 1)
      .where('expires_at', '=', ms(due.expiresAt))
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  async nextPendingExpiry(): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom('applications')
      .select((eb) => eb.fn.min('expires_at').as('next'))
      .where('expiry_pending', '=', 1)
      .where('status', '=', 'active')
      .executeTakeFirst()
    return row?.next === null || row?.next === undefined ? undefined : new Date(row.next)
  }

  async delete(tenantId: string, clientId: string): Promise<boolean> {
    await this.db.deleteFrom('client_secrets').where('client_id', '=', clientId).execute()
    const result = await this.db
      .deleteFrom('applications')
      .where('tenant_id', '=', tenantId)
      .where('client_id', '=', clientId)
      .executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async insertSecret(secret: ClientSecret): Promise<void> {
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
  }

  async setSecretExpiry(clientId: string, secretId: string, expiresAt: Date | null): Promise<void> {
    await this.db
      .updateTable('client_secrets')
      .set({ expires_at: msOrNull(expiresAt) })
      .where('client_id', '=', clientId)
      .where('id', '=', secretId)
      .execute()
  }

  async deleteSecret(clientId: string, secretId: string): Promise<void> {
    await this.db
      .deleteFrom('client_secrets')
      .where('client_id', '=', clientId)
      .where('id', '=', secretId)
      .execute()
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
    return { application: applicationFromRow(row), ...(await this.listCredentials(clientId)) }
  }

  async listCredentials(clientId: string): Promise<ClientCredentials> {
    const rows = await this.#credentials(clientId)
    return {
      secrets: rows.filter((r) => r.kind === 'secret').map(secretFromRow),
      keys: rows.filter((r) => r.kind === 'public_key').map(clientKeyFromRow),
      jwksUri: rows.filter((r) => r.kind === 'jwks_uri').map(jwksUriFromRow)[0],
      trustPolicies: rows.filter((r) => r.kind === 'trust_policy').map(trustPolicyFromRow),
    }
  }

  async list(
    tenantId: string,
    page: PageRequest,
    filter?: ApplicationFilter,
  ): Promise<Page<Application>> {
    let query = this.db
      .selectFrom('applications')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .orderBy('client_id', 'desc')
      .limit(page.limit + 1)
    if (filter?.environment !== undefined)
      query = query.where('environment', '=', filter.environment)
    if (filter?.status !== undefined) {
      const nowMs = ms(filter.now)
      if (filter.status === 'revoked') query = query.where('status', '=', 'revoked')
      else if (filter.status === 'expired')
        query = query.where('status', '=', 'active').where('expires_at', '<=', nowMs)
      else
        query = query
          .where('status', '=', 'active')
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowMs)]))
    }
    if (filter?.search !== undefined && filter.search !== '') {
      // LIKE with its wildcards escaped: the search is a plain substring.
      const pattern = `%${filter.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      query = query.where((eb) =>
        eb.or(
          (['name', 'client_id', 'description'] as const).map(
            (column) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`,
          ),
        ),
      )
    }
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

  async listAll(tenantId: string): Promise<Application[]> {
    const rows = await this.db
      .selectFrom('applications')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .execute()
    return rows.map(applicationFromRow)
  }

  #credentials(clientId: string) {
    return this.db
      .selectFrom('client_secrets')
      .selectAll()
      .where('client_id', '=', clientId)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
  }

  async findSecretByHash(
    hash: Buffer,
  ): Promise<{ tenantId: string; secret: ClientSecret } | undefined> {
    const row = await this.db
      .selectFrom('client_secrets')
      .innerJoin('applications', 'applications.client_id', 'client_secrets.client_id')
      .selectAll('client_secrets')
      .select('applications.tenant_id')
      .where('client_secrets.hash', '=', hash.toString('base64url'))
      .where('client_secrets.kind', '=', 'secret')
      .executeTakeFirst()
    return row && { tenantId: row.tenant_id, secret: secretFromRow(row) }
  }

  async listSecrets(clientId: string): Promise<ClientSecret[]> {
    return (await this.#credentials(clientId)).filter((r) => r.kind === 'secret').map(secretFromRow)
  }

  async listKeys(clientId: string): Promise<ClientKey[]> {
    return (await this.#credentials(clientId))
      .filter((r) => r.kind === 'public_key')
      .map(clientKeyFromRow)
  }

  async insertKey(key: ClientKey): Promise<void> {
    await this.db
      .insertInto('client_secrets')
      .values({
        id: key.id,
        client_id: key.clientId,
        kind: 'public_key',
        hash: key.thumbprint,
        hint: key.kid,
        public_jwk: JSON.stringify(key.jwk),
        created_at: ms(key.createdAt),
        expires_at: null,
        last_used_at: null,
        last_used_ip: null,
      })
      .execute()
  }

  async getJwksUri(clientId: string): Promise<ClientJwksUri | undefined> {
    return (await this.#credentials(clientId))
      .filter((r) => r.kind === 'jwks_uri')
      .map(jwksUriFromRow)[0]
  }

  async replaceJwksUri(registration: ClientJwksUri): Promise<void> {
    await this.db
      .deleteFrom('client_secrets')
      .where('client_id', '=', registration.clientId)
      .where('kind', '=', 'jwks_uri')
      .execute()
    await this.db
      .insertInto('client_secrets')
      .values({
        id: registration.id,
        client_id: registration.clientId,
        kind: 'jwks_uri',
        hash: createHash('sha256').update(registration.uri).digest('base64url'),
        hint: registration.uri,
        public_jwk: null,
        created_at: ms(registration.createdAt),
        expires_at: null,
        last_used_at: null,
        last_used_ip: null,
      })
      .execute()
  }

  async deleteKey(clientId: string, keyId: string): Promise<void> {
    await this.db
      .deleteFrom('client_secrets')
      .where('client_id', '=', clientId)
      .where('id', '=', keyId)
      .where('kind', '=', 'public_key')
      .execute()
  }

  async insertTrustPolicy(policy: TrustPolicy): Promise<void> {
    const stored = {
      issuer: policy.issuer,
      audience: policy.audience,
      subject: policy.subject,
      conditions: policy.conditions,
    }
    const json = JSON.stringify(stored)
    await this.db
      .insertInto('client_secrets')
      .values({
        id: policy.id,
        client_id: policy.clientId,
        kind: 'trust_policy',
        hash: createHash('sha256').update(json).digest('base64url'),
        hint: policy.issuer,
        public_jwk: null,
        trust_policy: json,
        created_at: ms(policy.createdAt),
        expires_at: null,
        last_used_at: null,
        last_used_ip: null,
      })
      .execute()
  }

  async deleteTrustPolicy(clientId: string, policyId: string): Promise<void> {
    await this.db
      .deleteFrom('client_secrets')
      .where('client_id', '=', clientId)
      .where('id', '=', policyId)
      .where('kind', '=', 'trust_policy')
      .execute()
  }

  async claimAssertion(
    clientId: string,
    jti: string,
    expiresAt: Date,
    now: Date,
  ): Promise<boolean> {
    // Expired entries are deleted at most once a second per process, so the table holds only
    // live assertions without a second write on every claim.
    if (ms(now) - this.#lastPrunedMs >= 1000) {
      this.#lastPrunedMs = ms(now)
      await this.db.deleteFrom('used_client_assertions').where('expires_at', '<', ms(now)).execute()
    }
    const inserted = await this.db
      .insertInto('used_client_assertions')
      .values({ client_id: clientId, jti, expires_at: ms(expiresAt) })
      .onConflict((oc) => oc.columns(['client_id', 'jti']).doNothing())
      .executeTakeFirst()
    return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1
  }

  async tokensPerDay(
    tenantId: string,
    clientId: string,
    since: Date,
  ): Promise<{ day: string; tokens: number }[]> {
    const day =
      this.dialect === 'postgres'
        ? sql<string>`to_char(to_timestamp(occurred_at / 1000.0) at time zone 'UTC', 'YYYY-MM-DD')`
        : sql<string>`strftime('%Y-%m-%d', occurred_at / 1000, 'unixepoch')`
    const rows = await this.db
      .selectFrom('audit_events')
      .select([day.as('day'), (eb) => eb.fn.countAll<number | string>().as('tokens')])
      .where('tenant_id', '=', tenantId)
      .where('client_id', '=', clientId)
      .where('type', '=', 'token.issued')
      .where('occurred_at', '>=', ms(since))
      .groupBy(day)
      .orderBy(day)
      .execute()
    return rows.map((r) => ({ day: r.day, tokens: Number(r.tokens) }))
  }
}
