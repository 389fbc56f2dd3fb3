import { Readable } from 'node:stream'

import type { FastifyReply, FastifyRequest } from 'fastify'

import type { Services } from '../../compose.js'
import { exportedRecord } from '../../domain/audit-export.js'
import { verificationView } from '../../management/audit-chain-check.js'
import {
  checkpointNow,
  exportAudit,
  listCheckpoints,
  recordsAfter,
  storedRecords,
  verifyAudit,
} from '../../management/audit-integrity.js'
import { requireTenant, rotateAuditKey } from '../../management/audit-keys.js'
import type { AuditCheckpoint } from '../../storage/contract.js'
import * as A from './audit-schemas.js'
import type { AdminApp } from './api-routes.js'
import { bearer, callerOf, config, errors, guardFor } from './route-kit.js'
import * as S from './schemas.js'
import { HEARTBEAT_MS, startEventStream } from '../event-stream.js'

/** How often a following stream looks for new records. */
const STREAM_POLL_MS = 1000

export function checkpointView(c: AuditCheckpoint) {
  return {
    seq: c.seq,
    hash: c.hash,
    kind: c.kind,
    created_at: c.createdAt.toISOString(),
    kid: c.kid,
    jws: c.jws,
  }
}

/** The tamper-evident audit log's routes: verify, checkpoints, export, stream, key rotation. */
export function registerAuditRoutes(app: AdminApp, services: Services): void {
  const guard = guardFor(services)
  const deps = services.management

  app.get(
    '/admin/v1/tenants/:tenant/audit/verify',
    {
      config,
      preValidation: guard('read:audit'),
      schema: {
        tags: ['audit'],
        summary: "Recompute the tenant's audit hash chain and check every signed checkpoint",
        security: bearer,
        params: S.TenantParams,
        querystring: A.AuditRangeQuery,
        response: { 200: A.AuditVerification, ...errors },
      },
    },
    async (request) =>
      verificationView(await verifyAudit(deps, request.params.tenant, request.query)),
  )

  app.get(
    '/admin/v1/tenants/:tenant/audit/checkpoints',
    {
      config,
      preValidation: guard('read:audit'),
      schema: {
        tags: ['audit'],
        summary: 'The newest signed checkpoints first (every one is in the export)',
        security: bearer,
        params: S.TenantParams,
        querystring: A.AuditCheckpointQuery,
        response: { 200: A.AuditCheckpointList, ...errors },
      },
    },
    async (request) => ({
      items: (await listCheckpoints(deps, request.params.tenant))
        .slice(-(request.query.limit ?? 100))
        .reverse()
        .map(checkpointView),
    }),
  )

  app.post(
    '/admin/v1/tenants/:tenant/audit/checkpoints',
    {
      config,
      preValidation: guard('read:audit'),
      schema: {
        tags: ['audit'],
        summary: 'Sign a checkpoint of the audit chain as it is now',
        security: bearer,
        params: S.TenantParams,
        response: { 201: A.AuditCheckpoint, ...errors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(checkpointView(await checkpointNow(deps, request.params.tenant))),
  )

  app.post(
    '/admin/v1/tenants/:tenant/audit/keys/rotate',
    {
      config,
      preValidation: guard('update:keys'),
      schema: {
        tags: ['audit'],
        summary: 'Rotate the key that signs audit checkpoints (no gap: the next key was published)',
        security: bearer,
        params: S.TenantParams,
        response: { 200: A.RotatedAuditKeys, ...errors },
      },
    },
    async (request) => rotateAuditKey(deps, callerOf(request).actor, request.params.tenant),
  )

  app.get(
    '/admin/v1/tenants/:tenant/audit/export',
    {
      config,
      preValidation: guard('read:audit'),
      schema: {
        tags: ['audit'],
        summary:
          'The chain as JSON lines: a header, the signed checkpoints, then every record; verifies offline with `tokenmint audit verify --file`',
        security: bearer,
        params: S.TenantParams,
        querystring: A.AuditRangeQuery,
      },
    },
    async (request, reply) => {
      const exported = await exportAudit(deps, request.params.tenant, request.query)
      const lines = async function* () {
        yield JSON.stringify({ header: exported.header }) + '\n'
        for (const c of exported.checkpoints)
          yield JSON.stringify({ checkpoint: checkpointView(c) }) + '\n'
        for await (const r of exported.records)
          yield JSON.stringify({ record: exportedRecord(r) }) + '\n'
      }
      return reply
        .header('content-type', 'application/x-ndjson; charset=utf-8')
        .header('cache-control', 'no-store')
        .header(
          'content-disposition',
          `attachment; filename="audit-${request.params.tenant}.jsonl"`,
        )
        .send(Readable.from(lines()))
    },
  )

  app.get(
    '/admin/v1/tenants/:tenant/audit/stream',
    {
      config,
      preValidation: guard('read:audit'),
      schema: {
        tags: ['audit'],
        summary:
          'With Accept: text/event-stream, Server-Sent Events: every record after `after` (or Last-Event-ID), then new ones as they are written, each event id the record number. Otherwise JSON lines: up to `limit` records after `after`, waiting up to `wait` seconds for one (long poll)',
        security: bearer,
        params: S.TenantParams,
        querystring: A.AuditStreamQuery,
      },
    },
    async (request, reply) => {
      if ((request.headers.accept ?? '').includes('text/event-stream'))
        return followStream(services, request, reply)
      const { tenant } = request.params
      await requireTenant(services.storage, tenant)
      const read = () =>
        recordsAfter(
          services.storage,
          tenant,
          request.query.after ?? 0,
          request.query.limit ?? 1000,
        )
      const deadline = Date.now() + (request.query.wait ?? 0) * 1000
      let records = await read()
      while (records.length === 0 && Date.now() < deadline && !request.raw.destroyed) {
        await new Promise((resolve) => setTimeout(resolve, STREAM_POLL_MS))
        records = await read()
      }
      return reply
        .header('content-type', 'application/x-ndjson; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(records.map((r) => JSON.stringify(exportedRecord(r)) + '\n').join(''))
    },
  )
}

function resumeFrom(request: FastifyRequest): number {
  const header = request.headers['last-event-id']
  const raw = Array.isArray(header) ? header[0] : header
  if (raw !== undefined && /^\d{1,15}$/.test(raw)) return Number(raw)
  return (request.query as { after?: number }).after ?? 0
}

async function followStream(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const { tenant } = request.params as { tenant: string }
  await requireTenant(services.storage, tenant)
  let after = resumeFrom(request)
  const raw = startEventStream(request, reply)
  const open = () => !raw.destroyed && !raw.writableEnded
  let lastWrite = Date.now()
  while (open()) {
    try {
      for await (const r of storedRecords(services.storage, tenant, after + 1, undefined)) {
        if (!open()) break
        raw.write(
          `id: ${String(r.seq)}\nevent: record\ndata: ${JSON.stringify(exportedRecord(r))}\n\n`,
        )
        after = r.seq
        lastWrite = Date.now()
      }
    } catch (error) {
      request.log.warn({ err: error }, 'audit stream read failed')
    }
    if (Date.now() - lastWrite >= HEARTBEAT_MS) {
      raw.write(': heartbeat\n\n')
      lastWrite = Date.now()
    }
    await new Promise((resolve) => setTimeout(resolve, STREAM_POLL_MS))
  }
  raw.end()
}
