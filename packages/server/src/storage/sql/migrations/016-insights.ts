import type { Kysely } from 'kysely'

/**
 * Least-privilege insight. Token records are folded, in the background and in record order,
 * into per-day counts per application, audience and scope (`scope_usage_daily`) and into one
 * row per stream of tokens an application requests for one audience and scope set
 * (`token_streams`, which measures churn); `usage_rollup` keeps how far the folding got.
 * `scope_requirements` holds what verifiers report their checks required. `insight_notices`
 * remembers which findings were already announced (audit record, webhook), so each is told once.
 */
export function insightsSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('usage_rollup')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('through_id', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('scope_usage_daily')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('audience', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('tokens', 'integer', (c) => c.notNull())
        .addColumn('last_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('scope_usage_daily_pk', [
          'tenant_id',
          'client_id',
          'audience',
          'scope',
          'day',
        ])
        .execute()
      await db.schema
        .createTable('token_streams')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('audience', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('last_issued_at', 'bigint', (c) => c.notNull())
        .addColumn('last_expires_at', 'bigint', (c) => c.notNull())
        .addColumn('run_started_at', 'bigint', (c) => c.notNull())
        .addColumn('run_tokens', 'integer', (c) => c.notNull())
        .addColumn('run_remaining_ms', 'bigint', (c) => c.notNull())
        .addColumn('churn_detected_at', 'bigint')
        .addColumn('churn_tokens_per_hour', 'integer')
        .addColumn('churn_avg_remaining_seconds', 'integer')
        .addColumn('churn_lifetime_seconds', 'integer')
        .addPrimaryKeyConstraint('token_streams_pk', [
          'tenant_id',
          'client_id',
          'audience',
          'scopes',
        ])
        .execute()
      await db.schema
        .createIndex('token_streams_churn')
        .on('token_streams')
        .column('churn_detected_at')
        .execute()
      await db.schema
        .createTable('scope_requirements')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('audience', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('checks', 'bigint', (c) => c.notNull())
        .addColumn('last_required_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('scope_requirements_pk', [
          'tenant_id',
          'client_id',
          'audience',
          'scope',
        ])
        .execute()
      await db.schema
        .createTable('insight_notices')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('insight_notices_pk', ['tenant_id', 'key'])
        .execute()
    },
  }
}
