import type { Kysely, Selectable } from 'kysely'

import type { AuditSinkConfig, AuditSinkKind, AuditSinkStore } from '../contract.js'
import { dateOrNull, ms } from './rows.js'
import type { AuditSinksTable, Database } from './schema.js'

function sinkFromRow(row: Selectable<AuditSinksTable>): AuditSinkConfig {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind as AuditSinkKind,
    url: row.url,
    sealedSecret: row.sealed_secret,
    deliveredThrough: row.delivered_through,
    createdAt: new Date(row.created_at),
    failures: row.failures,
    nextAttemptAt: new Date(row.next_attempt_at),
    lastError: row.last_error,
    lastSuccessAt: dateOrNull(row.last_success_at),
  }
}

export class SqlAuditSinkStore implements AuditSinkStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(sink: AuditSinkConfig): Promise<void> {
    await this.db
      .insertInto('audit_sinks')
      .values({
        id: sink.id,
        tenant_id: sink.tenantId,
        kind: sink.kind,
        url: sink.url,
        sealed_secret: sink.sealedSecret,
        delivered_through: sink.deliveredThrough,
        created_at: ms(sink.createdAt),
        failures: sink.failures,
        next_attempt_at: ms(sink.nextAttemptAt),
        last_error: sink.lastError,
        last_success_at: sink.lastSuccessAt === null ? null : ms(sink.lastSuccessAt),
      })
      .execute()
  }

  async list(tenantId: string): Promise<AuditSinkConfig[]> {
    const rows = await this.db
      .selectFrom('audit_sinks')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    return rows.map(sinkFromRow)
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('audit_sinks')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    return result.numDeletedRows > 0n
  }

  async due(now: Date, owner: string): Promise<AuditSinkConfig[]> {
    const rows = await this.db
      .selectFrom('audit_sinks')
      .selectAll()
      .where('next_attempt_at', '<=', ms(now))
      .where((eb) =>
        eb.or([
          eb('lease_until', 'is', null),
          eb('lease_until', '<', ms(now)),
          eb('lease_owner', '=', owner),
        ]),
      )
      .orderBy('next_attempt_at')
      .limit(100)
      .execute()
    return rows.map(sinkFromRow)
  }

  async claim(id: string, owner: string, now: Date, until: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('audit_sinks')
      .set({ lease_owner: owner, lease_until: ms(until) })
      .where('id', '=', id)
      .where((eb) =>
        eb.or([
          eb('lease_until', 'is', null),
          eb('lease_until', '<', ms(now)),
          eb('lease_owner', '=', owner),
        ]),
      )
      .executeTakeFirst()
    return result.numUpdatedRows > 0n
  }

  async delivered(id: string, owner: string, through: number, now: Date): Promise<void> {
    await this.db
      .updateTable('audit_sinks')
      .set({
        delivered_through: through,
        failures: 0,
        last_error: null,
        last_success_at: ms(now),
        next_attempt_at: ms(now),
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('delivered_through', '<', through)
      .execute()
  }

  async failed(id: string, owner: string, error: string, nextAttemptAt: Date): Promise<void> {
    await this.db
      .updateTable('audit_sinks')
      .set((eb) => ({
        failures: eb('failures', '+', 1),
        last_error: error,
        next_attempt_at: ms(nextAttemptAt),
      }))
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute()
  }

  async release(id: string, owner: string): Promise<void> {
    await this.db
      .updateTable('audit_sinks')
      .set({ lease_owner: null, lease_until: null })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute()
  }
}
