import type { Kysely } from 'kysely'

import { ValidationError } from '../../domain/errors.js'
import type {
  AuditEvent,
  AuditQuery,
  AuditStore,
  Page,
  StoredAuditEvent,
  TokenAuditEvent,
} from '../contract.js'
import type { SqlDialectName } from './dialect.js'
import { ms } from './rows.js'
import type { Database } from './schema.js'

function row(event: AuditEvent) {
  return {
    tenant_id: event.tenantId,
    occurred_at: ms(event.occurredAt),
    type: event.type,
    actor: event.actor,
    client_id: event.clientId,
    data: JSON.stringify(event.data),
  }
}

export class SqlAuditStore implements AuditStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialectName,
  ) {}

  async append(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return
    await this.db.insertInto('audit_events').values(events.map(row)).execute()
  }

  appendTokenEvents(events: readonly TokenAuditEvent[], now: Date): Promise<boolean[]> {
    if (events.length === 0) return Promise.resolve([])
    return this.db.transaction().execute(async (trx) => {
      const clientIds = [...new Set(events.map((e) => e.live.clientId))]
      const secretIds = [...new Set(events.map((e) => e.live.secretId))]
      // FOR SHARE (Postgres): a concurrent revoke's UPDATE waits for this commit, or this
      // read waits for the revoke, so no token is recorded after a revoke has committed.
      // SQLite serialises write transactions, which gives the same order.
      let apps = trx
        .selectFrom('applications')
        .select(['client_id', 'status', 'expires_at'])
        .where('client_id', 'in', clientIds)
      let secrets = trx
        .selectFrom('client_secrets')
        .select(['id', 'expires_at'])
        .where('id', 'in', secretIds)
      if (this.dialect === 'postgres') {
        apps = apps.forShare()
        secrets = secrets.forShare()
      }
      const nowMs = ms(now)
      const liveApps = new Set(
        (await apps.execute())
          .filter((a) => a.status === 'active' && (a.expires_at === null || a.expires_at > nowMs))
          .map((a) => a.client_id),
      )
      const liveSecrets = new Set(
        (await secrets.execute())
          .filter((s) => s.expires_at === null || s.expires_at > nowMs)
          .map((s) => s.id),
      )
      const accepted = events.map(
        (e) => liveApps.has(e.live.clientId) && liveSecrets.has(e.live.secretId),
      )
      const rows = events.map((event, i) =>
        accepted[i] === true
          ? row(event)
          : row({
              ...event,
              type: 'token.refused',
              data: {
                ...event.data,
                jti: undefined,
                error: 'invalid_client',
                reason: 'revoked or ended while the token was being issued',
              },
            }),
      )
      await trx.insertInto('audit_events').values(rows).execute()

      // Usage: last use of each application and secret, once per batch.
      const lastUse = new Map<string, TokenAuditEvent>()
      events.forEach((event, i) => {
        if (accepted[i] === true) lastUse.set(event.live.secretId, event)
      })
      const usedApps = new Set<string>()
      for (const event of lastUse.values()) {
        await trx
          .updateTable('client_secrets')
          .set({ last_used_at: ms(event.occurredAt), last_used_ip: event.live.ip })
          .where('id', '=', event.live.secretId)
          .execute()
        usedApps.add(event.live.clientId)
      }
      if (usedApps.size > 0) {
        await trx
          .updateTable('applications')
          .set({ last_used_at: nowMs })
          .where('client_id', 'in', [...usedApps])
          .execute()
      }
      return accepted
    })
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
    const items = rows.slice(0, query.limit).map((r): StoredAuditEvent => ({
      id: String(r.id),
      tenantId: r.tenant_id,
      occurredAt: new Date(r.occurred_at),
      type: r.type,
      actor: r.actor,
      clientId: r.client_id,
      data: JSON.parse(r.data) as Record<string, unknown>,
    }))
    const last = items.at(-1)
    return { items, nextCursor: rows.length > query.limit && last !== undefined ? last.id : null }
  }
}
