import { Migrator, type Kysely, type Migration } from 'kysely'

import type { SqlDialectName } from './dialect.js'
import { initialSchema } from './migrations/001-initial.js'
import { lifecycleSchema } from './migrations/002-lifecycle.js'
import { usersSchema } from './migrations/003-users.js'
import { rateLimitSchema } from './migrations/004-rate-limits.js'
import { administratorsSchema } from './migrations/005-administrators.js'
import { deploymentSchema } from './migrations/006-deployment.js'
import { builtInApplicationSchema } from './migrations/007-built-in-application.js'
import { expiryFeedSchema } from './migrations/008-expiry-feed.js'
import { storageProbeSchema } from './migrations/009-storage-probe.js'
import { auditChainSchema } from './migrations/010-audit-chain.js'
import { auditSinksSchema } from './migrations/011-audit-sinks.js'
import { clientKeysSchema } from './migrations/012-client-keys.js'
import { trustPoliciesSchema } from './migrations/013-trust-policies.js'
import { dpopSchema } from './migrations/014-dpop.js'
import { leaksSchema } from './migrations/015-leaks.js'
import { insightsSchema } from './migrations/016-insights.js'
import { webhooksSchema } from './migrations/017-webhooks.js'
import { platformSchema } from './migrations/018-platform.js'
import type { Database } from './schema.js'

function migrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '001-initial': initialSchema(dialect),
    '002-lifecycle': lifecycleSchema(dialect),
    '003-users': usersSchema(),
    '004-rate-limits': rateLimitSchema(),
    '005-administrators': administratorsSchema(),
    '006-deployment': deploymentSchema(),
    '007-built-in-application': builtInApplicationSchema(),
    '008-expiry-feed': expiryFeedSchema(),
    '009-storage-probe': storageProbeSchema(),
    '010-audit-chain': auditChainSchema(dialect),
    '011-audit-sinks': auditSinksSchema(),
    '012-client-keys': clientKeysSchema(),
    '013-trust-policies': trustPoliciesSchema(),
    '014-dpop': dpopSchema(),
    '015-leaks': leaksSchema(),
    '016-insights': insightsSchema(),
    '017-webhooks': webhooksSchema(),
    '018-platform': platformSchema(),
  }
}

/**
 * Brings the schema up to date. Kysely's migrator takes a lock (a row lock on Postgres), so any
 * number of nodes may start together and the migrations still run exactly once.
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  dialect: SqlDialectName,
  /** Postgres: named explicitly, since Kysely's check for its own tables looks in every schema. */
  schema?: string,
  /** Stop after this migration (tests of a later migration's upgrade path). */
  until?: string,
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations(dialect)) },
    ...(schema !== undefined && { migrationTableSchema: schema }),
  })
  const { error } =
    until === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(until)
  if (error !== undefined) {
    // The cause names what the database refused (a missing privilege, a full disk): an
    // operator reading the start-up error needs it, and it holds no credentials.
    const reason = error instanceof Error ? `: ${error.message}` : ''
    throw new Error(`database migration failed${reason}`, { cause: error })
  }
}
