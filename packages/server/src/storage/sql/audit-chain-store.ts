import type { Kysely, Selectable } from 'kysely'

import type { PublicJwk } from '../../crypto/jws-signer.js'
import type {
  AuditChainStore,
  AuditCheckpoint,
  AuditCheckpointKind,
  AuditKey,
  ChainedAuditRecord,
} from '../contract.js'
import { raiseHeadFloor, storedHead } from './audit-chain-rows.js'
import { dateOrNull, ms } from './rows.js'
import type { AuditCheckpointsTable, AuditEventsTable, AuditKeysTable, Database } from './schema.js'

function recordFromRow(row: Selectable<AuditEventsTable>): ChainedAuditRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    seq: row.seq ?? 0,
    occurredAtMs: row.occurred_at,
    type: row.type,
    actor: row.actor,
    clientId: row.client_id,
    data: row.data,
    // A record whose chain columns were emptied still verifies as changed, not as a crash.
    prevHash: row.prev_hash ?? '',
    hash: row.hash ?? '',
  }
}

function checkpointFromRow(row: Selectable<AuditCheckpointsTable>): AuditCheckpoint {
  return {
    tenantId: row.tenant_id,
    seq: row.seq,
    hash: row.hash,
    kind: row.kind as AuditCheckpointKind,
    createdAt: new Date(row.created_at),
    kid: row.kid,
    jws: row.jws,
  }
}

function keyFromRow(row: Selectable<AuditKeysTable>): AuditKey {
  return {
    kid: row.kid,
    tenantId: row.tenant_id,
    status: row.status as AuditKey['status'],
    publicJwk: JSON.parse(row.public_jwk) as PublicJwk,
    sealedPrivateKey: row.sealed_private_key,
    createdAt: new Date(row.created_at),
    activatedAt: dateOrNull(row.activated_at),
    retiredAt: dateOrNull(row.retired_at),
  }
}

export class SqlAuditChainStore implements AuditChainStore {
  constructor(private readonly db: Kysely<Database>) {}

  head(tenantId: string): Promise<{ seq: number; hash: string } | undefined> {
    return storedHead(this.db, tenantId)
  }

  async chainedTenants(): Promise<string[]> {
    // Every tenant's first record (tenant.created) goes through insertChained, which adds its row.
    const rows = await this.db
      .selectFrom('audit_heads')
      .select('tenant_id')
      .orderBy('tenant_id')
      .execute()
    return rows.map((r) => r.tenant_id)
  }

  async records(
    tenantId: string,
    after: { seq: number; id: number },
    throughSeq: number | undefined,
    limit: number,
  ): Promise<ChainedAuditRecord[]> {
    let select = this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where((eb) =>
        eb.or([
          eb('seq', '>', after.seq),
          eb.and([eb('seq', '=', after.seq), eb('id', '>', after.id)]),
        ]),
      )
      .orderBy('seq')
      .orderBy('id')
      .limit(limit)
    if (throughSeq !== undefined) select = select.where('seq', '<=', throughSeq)
    return (await select.execute()).map(recordFromRow)
  }

  async lastBefore(tenantId: string, before: Date): Promise<ChainedAuditRecord | undefined> {
    const row = await this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('seq', 'is not', null)
      .where('occurred_at', '<', ms(before))
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst()
    return row && recordFromRow(row)
  }

  async recordAt(tenantId: string, seq: number): Promise<ChainedAuditRecord | undefined> {
    const row = await this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('seq', '=', seq)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst()
    return row && recordFromRow(row)
  }

  async removeThrough(tenantId: string, seq: number): Promise<number> {
    await raiseHeadFloor(this.db, tenantId)
    const result = await this.db
      .deleteFrom('audit_events')
      .where('tenant_id', '=', tenantId)
      .where('seq', '<=', seq)
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  async checkpoints(tenantId: string): Promise<AuditCheckpoint[]> {
    const rows = await this.db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('seq')
      .orderBy('id')
      .execute()
    return rows.map(checkpointFromRow)
  }

  async latestCheckpoint(tenantId: string): Promise<AuditCheckpoint | undefined> {
    const row = await this.db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()
    return row && checkpointFromRow(row)
  }

  async addCheckpoint(checkpoint: AuditCheckpoint): Promise<void> {
    await this.db
      .insertInto('audit_checkpoints')
      .values({
        tenant_id: checkpoint.tenantId,
        seq: checkpoint.seq,
        hash: checkpoint.hash,
        kind: checkpoint.kind,
        created_at: ms(checkpoint.createdAt),
        kid: checkpoint.kid,
        jws: checkpoint.jws,
      })
      .execute()
  }

  async keys(tenantId: string): Promise<AuditKey[]> {
    const rows = await this.db
      .selectFrom('audit_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .execute()
    return rows.map(keyFromRow)
  }

  async insertKey(key: AuditKey): Promise<void> {
    await this.db
      .insertInto('audit_keys')
      .values({
        kid: key.kid,
        tenant_id: key.tenantId,
        status: key.status,
        public_jwk: JSON.stringify(key.publicJwk),
        sealed_private_key: key.sealedPrivateKey,
        created_at: ms(key.createdAt),
        activated_at: key.activatedAt === null ? null : ms(key.activatedAt),
        retired_at: key.retiredAt === null ? null : ms(key.retiredAt),
      })
      .execute()
  }

  async setKeyStatus(
    kid: string,
    change: { status: AuditKey['status']; activatedAt?: Date; retiredAt?: Date },
  ): Promise<void> {
    await this.db
      .updateTable('audit_keys')
      .set({
        status: change.status,
        ...(change.activatedAt !== undefined && { activated_at: ms(change.activatedAt) }),
        ...(change.retiredAt !== undefined && { retired_at: ms(change.retiredAt) }),
      })
      .where('kid', '=', kid)
      .execute()
  }
}
