import { sql, type Kysely } from 'kysely'

import type {
  InsightStore,
  ScopeRequirement,
  ScopeUsage,
  TokenRecord,
  TokenStream,
} from '../contract.js'
import type { SqlDialectName } from './dialect.js'
import type { Database } from './schema.js'

const ROLLUP = 'token-usage'

/** Rows written per statement: well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 200

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK))
  return out
}

export class SqlInsightStore implements InsightStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialectName,
  ) {}

  async rollupPosition(): Promise<number> {
    const row = await this.db
      .selectFrom('usage_rollup')
      .select('through_id')
      .where('name', '=', ROLLUP)
      .executeTakeFirst()
    return row === undefined ? 0 : row.through_id
  }

  async setRollupPosition(throughId: number): Promise<void> {
    await this.db
      .insertInto('usage_rollup')
      .values({ name: ROLLUP, through_id: throughId })
      .onConflict((oc) => oc.column('name').doUpdateSet({ through_id: throughId }))
      .execute()
  }

  async tokenRecordsAfter(afterId: number, before: Date, limit: number): Promise<TokenRecord[]> {
    // Only three fields of each record's JSON are needed: the database extracts them, which
    // costs a fraction of fetching the whole text and parsing it here.
    const field = (name: string) =>
      this.dialect === 'postgres'
        ? sql<string | null>`(data::json ->> ${name})`
        : sql<string | null>`json_extract(data, ${`$.${name}`})`
    const rows = await this.db
      .selectFrom('audit_events')
      .select([
        'id',
        'tenant_id',
        'client_id',
        'occurred_at',
        field('aud').as('aud'),
        field('scope').as('scope'),
        field('exp').as('exp'),
      ])
      .where('id', '>', afterId)
      .where('type', '=', 'token.issued')
      .where('occurred_at', '<', before.getTime())
      .orderBy('id')
      .limit(limit)
      .execute()
    return rows.map((row) => ({
      id: row.id,
      tenantId: row.tenant_id,
      clientId: row.client_id ?? '',
      issuedAt: row.occurred_at,
      audience: row.aud ?? '',
      scope: row.scope ?? '',
      expiresAt: row.exp === null ? row.occurred_at : Number(row.exp) * 1000,
    }))
  }

  async addUsage(usage: readonly ScopeUsage[]): Promise<void> {
    for (const part of chunks(usage)) {
      await this.db
        .insertInto('scope_usage_daily')
        .values(
          part.map((u) => ({
            tenant_id: u.tenantId,
            client_id: u.clientId,
            audience: u.audience,
            scope: u.scope,
            day: u.day,
            tokens: u.tokens,
            last_at: u.lastAt,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'client_id', 'audience', 'scope', 'day']).doUpdateSet({
            tokens: sql`scope_usage_daily.tokens + excluded.tokens`,
            last_at: sql`case when excluded.last_at > scope_usage_daily.last_at then excluded.last_at else scope_usage_daily.last_at end`,
          }),
        )
        .execute()
    }
  }

  async usage(tenantId: string, sinceDay: number, clientId?: string): Promise<ScopeUsage[]> {
    let query = this.db
      .selectFrom('scope_usage_daily')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('day', '>=', sinceDay)
    if (clientId !== undefined) query = query.where('client_id', '=', clientId)
    const rows = await query.execute()
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      clientId: r.client_id,
      audience: r.audience,
      scope: r.scope,
      day: r.day,
      tokens: r.tokens,
      lastAt: r.last_at,
    }))
  }

  async streams(
    keys: readonly Pick<TokenStream, 'tenantId' | 'clientId' | 'audience' | 'scopes'>[],
  ): Promise<TokenStream[]> {
    const found: TokenStream[] = []
    const byClient = new Map<string, Set<string>>()
    for (const k of keys) {
      const set = byClient.get(k.clientId) ?? new Set<string>()
      set.add(`${k.audience}\n${k.scopes}`)
      byClient.set(k.clientId, set)
    }
    for (const part of chunks([...byClient.keys()])) {
      const rows = await this.db
        .selectFrom('token_streams')
        .selectAll()
        .where('client_id', 'in', part)
        .execute()
      for (const r of rows) {
        if (!byClient.get(r.client_id)?.has(`${r.audience}\n${r.scopes}`)) continue
        found.push(streamFromRow(r))
      }
    }
    return found
  }

  async tenantStreams(tenantId: string, clientId?: string): Promise<TokenStream[]> {
    let query = this.db.selectFrom('token_streams').selectAll().where('tenant_id', '=', tenantId)
    if (clientId !== undefined) query = query.where('client_id', '=', clientId)
    return (await query.execute()).map(streamFromRow)
  }

  async churnSince(since: Date): Promise<TokenStream[]> {
    const rows = await this.db
      .selectFrom('token_streams')
      .selectAll()
      .where('churn_detected_at', '>=', since.getTime())
      .limit(1000)
      .execute()
    return rows.map(streamFromRow)
  }

  async saveStreams(streams: readonly TokenStream[]): Promise<void> {
    for (const part of chunks(streams)) {
      await this.db
        .insertInto('token_streams')
        .values(part.map(streamToRow))
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'client_id', 'audience', 'scopes']).doUpdateSet({
            last_issued_at: sql`excluded.last_issued_at`,
            last_expires_at: sql`excluded.last_expires_at`,
            run_started_at: sql`excluded.run_started_at`,
            run_tokens: sql`excluded.run_tokens`,
            run_remaining_ms: sql`excluded.run_remaining_ms`,
            churn_detected_at: sql`excluded.churn_detected_at`,
            churn_tokens_per_hour: sql`excluded.churn_tokens_per_hour`,
            churn_avg_remaining_seconds: sql`excluded.churn_avg_remaining_seconds`,
            churn_lifetime_seconds: sql`excluded.churn_lifetime_seconds`,
          }),
        )
        .execute()
    }
  }

  async recordRequirements(requirements: readonly ScopeRequirement[]): Promise<void> {
    for (const part of chunks(requirements)) {
      await this.db
        .insertInto('scope_requirements')
        .values(
          part.map((r) => ({
            tenant_id: r.tenantId,
            client_id: r.clientId,
            audience: r.audience,
            scope: r.scope,
            checks: r.checks,
            last_required_at: r.lastRequiredAt,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'client_id', 'audience', 'scope']).doUpdateSet({
            // Saturates well inside a bigint, however many reports arrive.
            checks: sql`case when scope_requirements.checks + excluded.checks > 1000000000000 then 1000000000000 else scope_requirements.checks + excluded.checks end`,
            last_required_at: sql`case when excluded.last_required_at > scope_requirements.last_required_at then excluded.last_required_at else scope_requirements.last_required_at end`,
          }),
        )
        .execute()
    }
  }

  async requirements(tenantId: string, clientId?: string): Promise<ScopeRequirement[]> {
    let query = this.db
      .selectFrom('scope_requirements')
      .selectAll()
      .where('tenant_id', '=', tenantId)
    if (clientId !== undefined) query = query.where('client_id', '=', clientId)
    const rows = await query.execute()
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      clientId: r.client_id,
      audience: r.audience,
      scope: r.scope,
      checks: r.checks,
      lastRequiredAt: r.last_required_at,
    }))
  }

  async expiringApplications(
    now: Date,
    before: Date,
  ): Promise<{ tenantId: string; clientId: string; name: string; expiresAt: number }[]> {
    const rows = await this.db
      .selectFrom('applications')
      .select(['tenant_id', 'client_id', 'name', 'expires_at'])
      .where('status', '=', 'active')
      .where('expires_at', '>', now.getTime())
      .where('expires_at', '<=', before.getTime())
      .limit(1000)
      .execute()
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      clientId: r.client_id,
      name: r.name,
      // Not null: the query asks for a time after now.
      expiresAt: r.expires_at ?? 0,
    }))
  }

  async secretsEndingInUse(
    now: Date,
    endingBefore: Date,
    usedSince: Date,
  ): Promise<
    {
      tenantId: string
      clientId: string
      secretId: string
      hint: string
      expiresAt: number
      lastUsedAt: number
    }[]
  > {
    const rows = await this.db
      .selectFrom('client_secrets')
      .innerJoin('applications', 'applications.client_id', 'client_secrets.client_id')
      .select([
        'applications.tenant_id',
        'client_secrets.client_id',
        'client_secrets.id',
        'client_secrets.hint',
        'client_secrets.expires_at',
        'client_secrets.last_used_at',
      ])
      .where('client_secrets.kind', '=', 'secret')
      .where('client_secrets.expires_at', '>', now.getTime())
      .where('client_secrets.expires_at', '<=', endingBefore.getTime())
      .where('client_secrets.last_used_at', '>=', usedSince.getTime())
      .limit(1000)
      .execute()
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      clientId: r.client_id,
      secretId: r.id,
      hint: r.hint,
      expiresAt: r.expires_at ?? 0,
      lastUsedAt: r.last_used_at ?? 0,
    }))
  }

  async claimNotice(tenantId: string, key: string, at: Date): Promise<boolean> {
    const result = await this.db
      .insertInto('insight_notices')
      .values({ tenant_id: tenantId, key, created_at: at.getTime() })
      .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
      .executeTakeFirst()
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
  }
}

type StreamRow = Database['token_streams']

function streamFromRow(r: StreamRow): TokenStream {
  return {
    tenantId: r.tenant_id,
    clientId: r.client_id,
    audience: r.audience,
    scopes: r.scopes,
    lastIssuedAt: r.last_issued_at,
    lastExpiresAt: r.last_expires_at,
    runStartedAt: r.run_started_at,
    runTokens: r.run_tokens,
    runRemainingMs: r.run_remaining_ms,
    churn:
      r.churn_detected_at === null
        ? null
        : {
            detectedAt: r.churn_detected_at,
            tokensPerHour: r.churn_tokens_per_hour ?? 0,
            avgRemainingSeconds: r.churn_avg_remaining_seconds ?? 0,
            lifetimeSeconds: r.churn_lifetime_seconds ?? 0,
          },
  }
}

function streamToRow(s: TokenStream): StreamRow {
  return {
    tenant_id: s.tenantId,
    client_id: s.clientId,
    audience: s.audience,
    scopes: s.scopes,
    last_issued_at: s.lastIssuedAt,
    last_expires_at: s.lastExpiresAt,
    run_started_at: s.runStartedAt,
    run_tokens: s.runTokens,
    run_remaining_ms: s.runRemainingMs,
    churn_detected_at: s.churn?.detectedAt ?? null,
    churn_tokens_per_hour: s.churn?.tokensPerHour ?? null,
    churn_avg_remaining_seconds: s.churn?.avgRemainingSeconds ?? null,
    churn_lifetime_seconds: s.churn?.lifetimeSeconds ?? null,
  }
}
