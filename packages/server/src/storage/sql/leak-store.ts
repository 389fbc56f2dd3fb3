import { sql, type Kysely, type Selectable } from 'kysely'

import type { LeakResponse } from '../../domain/model.js'
import type { LeakedSecret, LeakStore } from '../contract.js'
import { ms } from './rows.js'
import type { SqlDialectName } from './dialect.js'
import type { Database, LeakedSecretsTable } from './schema.js'

function leakFromRow(row: Selectable<LeakedSecretsTable>): LeakedSecret {
  return {
    hash: row.hash,
    tenantId: row.tenant_id,
    clientId: row.client_id,
    secretId: row.secret_id,
    hint: row.hint,
    url: row.url,
    source: row.source,
    reporter: row.reporter,
    action: row.action as LeakResponse,
    tokensRevoked: row.tokens_revoked,
    reports: row.reports,
    firstReportedAt: new Date(row.first_reported_at),
    lastReportedAt: new Date(row.last_reported_at),
  }
}

export class SqlLeakStore implements LeakStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialectName,
  ) {}

  async get(hash: string): Promise<LeakedSecret | undefined> {
    const row = await this.db
      .selectFrom('leaked_secrets')
      .selectAll()
      .where('hash', '=', hash)
      .executeTakeFirst()
    return row && leakFromRow(row)
  }

  async insert(leak: LeakedSecret): Promise<void> {
    await this.db
      .insertInto('leaked_secrets')
      .values({
        hash: leak.hash,
        tenant_id: leak.tenantId,
        client_id: leak.clientId,
        secret_id: leak.secretId,
        hint: leak.hint,
        url: leak.url,
        source: leak.source,
        reporter: leak.reporter,
        action: leak.action,
        tokens_revoked: leak.tokensRevoked,
        reports: leak.reports,
        first_reported_at: ms(leak.firstReportedAt),
        last_reported_at: ms(leak.lastReportedAt),
      })
      .execute()
  }

  async reportedAgain(hash: string, at: Date): Promise<void> {
    await this.db
      .updateTable('leaked_secrets')
      .set((eb) => ({ reports: eb('reports', '+', 1), last_reported_at: ms(at) }))
      .where('hash', '=', hash)
      .execute()
  }

  async list(
    tenantId: string,
    clientId: string | undefined,
    limit: number,
  ): Promise<LeakedSecret[]> {
    let query = this.db.selectFrom('leaked_secrets').selectAll().where('tenant_id', '=', tenantId)
    if (clientId !== undefined) query = query.where('client_id', '=', clientId)
    const rows = await query.orderBy('first_reported_at', 'desc').limit(limit).execute()
    return rows.map(leakFromRow)
  }

  async tokensOfSecret(
    tenantId: string,
    clientId: string,
    secretId: string,
    since: Date,
    now: Date,
    limit: number,
  ): Promise<{ jti: string; exp: number }[]> {
    // The records are filtered in SQL (the data column is JSON text in both dialects), so no
    // number of the application's other tokens can push the leaked secret's out of reach.
    const field = (name: string) =>
      this.dialect === 'postgres'
        ? sql<string>`(data::json ->> ${name})`
        : sql<string>`json_extract(data, ${`$.${name}`})`
    const exp =
      this.dialect === 'postgres'
        ? sql<number>`(data::json ->> 'exp')::bigint`
        : sql<number>`json_extract(data, '$.exp')`
    const rows = await this.db
      .selectFrom('audit_events')
      .select([field('jti').as('jti'), exp.as('exp')])
      .where('tenant_id', '=', tenantId)
      .where('client_id', '=', clientId)
      .where('type', '=', 'token.issued')
      .where('occurred_at', '>=', ms(since))
      .where(sql<boolean>`${field('secret_id')} = ${secretId}`)
      .where(sql<boolean>`${exp} > ${Math.floor(now.getTime() / 1000)}`)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute()
    return rows.filter((r) => typeof r.jti === 'string').map((r) => ({ jti: r.jti, exp: r.exp }))
  }
}
