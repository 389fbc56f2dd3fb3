import { sql, type Kysely, type Selectable, type SqlBool } from 'kysely'

import type { WebhookEventType, WebhookSourceRecord } from '../../domain/webhook-events.js'
import type {
  DueWebhookDelivery,
  Page,
  PageRequest,
  WebhookAttempt,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  WebhookEndpoint,
  WebhookStore,
} from '../contract.js'
import { WEBHOOK_SOURCE_PREDICATE } from './migrations/017-webhooks.js'
import { dateOrNull, decodeCursor, encodeCursor, ms, msOrNull } from './rows.js'
import type { Database, WebhookDeliveriesTable, WebhookEndpointsTable } from './schema.js'

/** Rows per INSERT: SQLite caps the parameters of one statement. */
const INSERT_CHUNK = 200

function endpointFromRow(row: Selectable<WebhookEndpointsTable>): WebhookEndpoint {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    sealedSecret: row.sealed_secret,
    subscriptions: JSON.parse(row.event_types) as Partial<Record<WebhookEventType, number>>,
    isEnabled: row.enabled === 1,
    through: row.through,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

function deliveryFromRow(row: Selectable<WebhookDeliveriesTable>): WebhookDeliveryRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    endpointId: row.endpoint_id,
    eventType: row.event_type,
    auditSeq: row.audit_seq,
    payload: row.payload,
    status: row.status as WebhookDeliveryStatus,
    attempts: row.attempts,
    nextAttemptAt: dateOrNull(row.next_attempt_at),
    lastAttemptAt: dateOrNull(row.last_attempt_at),
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: new Date(row.created_at),
  }
}

export class SqlWebhookStore implements WebhookStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insertEndpoint(endpoint: WebhookEndpoint): Promise<void> {
    await this.db
      .insertInto('webhook_endpoints')
      .values({
        id: endpoint.id,
        tenant_id: endpoint.tenantId,
        url: endpoint.url,
        sealed_secret: endpoint.sealedSecret,
        event_types: JSON.stringify(endpoint.subscriptions),
        enabled: endpoint.isEnabled ? 1 : 0,
        through: endpoint.through,
        created_at: ms(endpoint.createdAt),
        updated_at: ms(endpoint.updatedAt),
      })
      .execute()
  }

  async getEndpoint(tenantId: string, id: string): Promise<WebhookEndpoint | undefined> {
    const row = await this.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    return row && endpointFromRow(row)
  }

  async listEndpoints(tenantId: string): Promise<WebhookEndpoint[]> {
    const rows = await this.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    return rows.map(endpointFromRow)
  }

  async allEndpoints(): Promise<WebhookEndpoint[]> {
    const rows = await this.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .orderBy('tenant_id')
      .orderBy('id')
      .execute()
    return rows.map(endpointFromRow)
  }

  async updateEndpoint(endpoint: WebhookEndpoint): Promise<void> {
    await this.db
      .updateTable('webhook_endpoints')
      .set({
        event_types: JSON.stringify(endpoint.subscriptions),
        enabled: endpoint.isEnabled ? 1 : 0,
        updated_at: ms(endpoint.updatedAt),
      })
      .where('tenant_id', '=', endpoint.tenantId)
      .where('id', '=', endpoint.id)
      .execute()
  }

  async deleteEndpoint(tenantId: string, id: string): Promise<boolean> {
    await this.db
      .deleteFrom('webhook_deliveries')
      .where('tenant_id', '=', tenantId)
      .where('endpoint_id', '=', id)
      .execute()
    const result = await this.db
      .deleteFrom('webhook_endpoints')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    return result.numDeletedRows > 0n
  }

  async sourceRecords(
    tenantId: string,
    afterSeq: number,
    types: readonly string[],
    limit: number,
  ): Promise<WebhookSourceRecord[]> {
    if (types.length === 0) return []
    const rows = await this.db
      .selectFrom('audit_events')
      .select(['seq', 'tenant_id', 'occurred_at', 'type', 'actor', 'client_id', 'data'])
      .where('tenant_id', '=', tenantId)
      // Verbatim, so the partial index of migration 017 serves the query.
      .where(sql.raw<SqlBool>(WEBHOOK_SOURCE_PREDICATE))
      .where('type', 'in', types)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute()
    return rows.map((row) => ({
      seq: row.seq ?? 0,
      tenantId: row.tenant_id,
      occurredAt: new Date(row.occurred_at),
      type: row.type,
      actor: row.actor,
      clientId: row.client_id,
      data: JSON.parse(row.data) as Record<string, unknown>,
    }))
  }

  async advance(endpointId: string, from: number, to: number): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_endpoints')
      .set({ through: to })
      .where('id', '=', endpointId)
      .where('through', '=', from)
      .executeTakeFirst()
    return result.numUpdatedRows > 0n
  }

  async insertDeliveries(deliveries: readonly WebhookDeliveryRecord[]): Promise<void> {
    for (let i = 0; i < deliveries.length; i += INSERT_CHUNK) {
      await this.db
        .insertInto('webhook_deliveries')
        .values(
          deliveries.slice(i, i + INSERT_CHUNK).map((d) => ({
            id: d.id,
            tenant_id: d.tenantId,
            endpoint_id: d.endpointId,
            event_type: d.eventType,
            audit_seq: d.auditSeq,
            payload: d.payload,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: msOrNull(d.nextAttemptAt),
            last_attempt_at: msOrNull(d.lastAttemptAt),
            last_status: d.lastStatus,
            last_error: d.lastError,
            created_at: ms(d.createdAt),
          })),
        )
        .execute()
    }
  }

  async listDeliveries(
    tenantId: string,
    endpointId: string,
    query: { status?: WebhookDeliveryStatus | undefined } & PageRequest,
  ): Promise<Page<WebhookDeliveryRecord>> {
    let select = this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('endpoint_id', '=', endpointId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit + 1)
    if (query.status !== undefined) select = select.where('status', '=', query.status)
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
    if (after !== undefined) {
      const [createdAt, id] = after
      select = select.where((eb) =>
        eb.or([
          eb('created_at', '<', createdAt),
          eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
        ]),
      )
    }
    const rows = await select.execute()
    const items = rows.slice(0, query.limit).map(deliveryFromRow)
    const last = items.at(-1)
    return {
      items,
      nextCursor:
        rows.length > query.limit && last !== undefined
          ? encodeCursor([ms(last.createdAt), last.id])
          : null,
    }
  }

  async getDelivery(
    tenantId: string,
    endpointId: string,
    id: string,
  ): Promise<WebhookDeliveryRecord | undefined> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('endpoint_id', '=', endpointId)
      .where('id', '=', id)
      .executeTakeFirst()
    return row && deliveryFromRow(row)
  }

  async requeue(tenantId: string, endpointId: string, id: string, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: ms(at) })
      .where('tenant_id', '=', tenantId)
      .where('endpoint_id', '=', endpointId)
      .where('id', '=', id)
      .where('status', 'in', ['failed', 'dead'])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', ms(at))]))
      .executeTakeFirst()
    return result.numUpdatedRows > 0n
  }

  async due(now: Date, limit: number): Promise<DueWebhookDelivery[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .selectAll('d')
      .select(['e.url', 'e.sealed_secret'])
      .where('d.next_attempt_at', '<=', ms(now))
      .where('e.enabled', '=', 1)
      .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', ms(now))]))
      .orderBy('d.next_attempt_at')
      // Queued together (one dispatch): in the order their records were written.
      .orderBy('d.audit_seq')
      .limit(limit)
      .execute()
    return rows.map((row) => ({
      ...deliveryFromRow(row),
      url: row.url,
      sealedSecret: row.sealed_secret,
    }))
  }

  async claim(id: string, owner: string, now: Date, until: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({ lease_owner: owner, lease_until: ms(until) })
      .where('id', '=', id)
      .where('next_attempt_at', '<=', ms(now))
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', ms(now))]))
      .executeTakeFirst()
    return result.numUpdatedRows > 0n
  }

  async attempted(id: string, owner: string, attempt: WebhookAttempt): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        status: attempt.status,
        attempts: eb('attempts', '+', 1),
        last_attempt_at: ms(attempt.at),
        last_status: attempt.httpStatus,
        last_error: attempt.error,
        next_attempt_at: msOrNull(attempt.nextAttemptAt),
        lease_owner: null,
        lease_until: null,
      }))
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute()
  }

  async pauseDeliveries(endpointId: string): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: null })
      .where('endpoint_id', '=', endpointId)
      .where('status', 'in', ['pending', 'failed'])
      .execute()
  }

  async resumeDeliveries(endpointId: string, at: Date): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: ms(at) })
      .where('endpoint_id', '=', endpointId)
      .where('status', 'in', ['pending', 'failed'])
      .where('next_attempt_at', 'is', null)
      .execute()
  }

  async prune(endpointId: string, before: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('webhook_deliveries')
      .where('endpoint_id', '=', endpointId)
      .where('created_at', '<', ms(before))
      .where('status', 'in', ['delivered', 'dead'])
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}
