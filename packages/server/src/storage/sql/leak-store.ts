import type { Kysely, Selectable } from 'kysely'

import type { LeakResponse } from '../../domain/model.js'
import type { LeakedSecret, LeakStore } from '../contract.js'
import { ms } from './rows.js'
import type { Database, LeakedSecretsTable } from './schema.js'

/** Audit records read at most when looking for a leaked secret's tokens. */
const MAX_RECORDS_SCANNED = 200_000

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
  constructor(private readonly db: Kysely<Database>) {}

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
    const rows = await this.db
      .selectFrom('audit_events')
      .select('data')
      .where('tenant_id', '=', tenantId)
      .where('client_id', '=', clientId)
      .where('type', '=', 'token.issued')
      .where('occurred_at', '>=', ms(since))
      .orderBy('id', 'desc')
      .limit(MAX_RECORDS_SCANNED)
      .execute()
    const nowSeconds = now.getTime() / 1000
    const tokens: { jti: string; exp: number }[] = []
    for (const row of rows) {
      const data = JSON.parse(row.data) as { secret_id?: unknown; jti?: unknown; exp?: unknown }
      if (data.secret_id !== secretId || typeof data.jti !== 'string') continue
      if (typeof data.exp !== 'number' || data.exp <= nowSeconds) continue
      tokens.push({ jti: data.jti, exp: data.exp })
      if (tokens.length >= limit) break
    }
    return tokens
  }
}
