import type { Services } from '../../compose.js'
import {
  createAuditSink,
  deleteAuditSink,
  displayedSinkUrl,
  listAuditSinks,
} from '../../management/audit-sinks.js'
import type { AuditSinkConfig } from '../../storage/contract.js'
import type { AdminApp } from './api-routes.js'
import * as A from './audit-schemas.js'
import { bearer, callerOf, config, errors, guardFor } from './route-kit.js'
import * as S from './schemas.js'

/** A sink as the API shows it: how far delivery got and whether it is failing; never the secret. */
export function sinkView(sink: AuditSinkConfig, head: number) {
  const behind = Math.max(0, head - sink.deliveredThrough)
  return {
    id: sink.id,
    kind: sink.kind,
    url: displayedSinkUrl(sink.url),
    delivered_through: sink.deliveredThrough,
    behind,
    status:
      sink.failures > 0
        ? ('retrying' as const)
        : behind > 0
          ? ('delivering' as const)
          : ('up to date' as const),
    failures: sink.failures,
    last_error: sink.lastError,
    last_success_at: sink.lastSuccessAt?.toISOString() ?? null,
    next_attempt_at: sink.nextAttemptAt.toISOString(),
    created_at: sink.createdAt.toISOString(),
  }
}

/**
 * Audit sinks. Adding or removing one needs `update:keys` too (owners): a sink sends the whole
 * audit log to an address outside Tokenmint.
 */
export function registerAuditSinkRoutes(app: AdminApp, services: Services): void {
  const guard = guardFor(services)
  const deps = services.management

  app.get(
    '/admin/v1/tenants/:tenant/audit/sinks',
    {
      config,
      preValidation: guard('read:audit'),
      schema: {
        tags: ['audit'],
        summary: "The tenant's audit sinks and how far each one's delivery got",
        security: bearer,
        params: S.TenantParams,
        response: { 200: A.AuditSinkList, ...errors },
      },
    },
    async (request) => {
      const { sinks, head } = await listAuditSinks(deps, request.params.tenant)
      return { items: sinks.map((s) => sinkView(s, head)) }
    },
  )

  app.post(
    '/admin/v1/tenants/:tenant/audit/sinks',
    {
      config,
      preValidation: guard(['read:audit', 'update:keys']),
      schema: {
        tags: ['audit'],
        summary:
          'Deliver the audit log to an HTTPS endpoint, a syslog server (TLS) or an OTLP collector',
        security: bearer,
        params: S.TenantParams,
        body: A.CreateAuditSinkBody,
        response: { 201: A.CreatedAuditSink, ...errors },
      },
    },
    async (request, reply) => {
      const created = await createAuditSink(
        deps,
        callerOf(request).actor,
        request.params.tenant,
        request.body,
      )
      // Read after the commit: the sink's own `audit.sink_added` record is the first it gets.
      const head = (await deps.storage.auditChain.head(request.params.tenant))?.seq ?? 0
      return reply
        .code(201)
        .header('Cache-Control', 'no-store')
        .send({ sink: sinkView(created.sink, head), secret: created.secret })
    },
  )

  app.delete(
    '/admin/v1/tenants/:tenant/audit/sinks/:sink',
    {
      config,
      preValidation: guard(['read:audit', 'update:keys']),
      schema: {
        tags: ['audit'],
        security: bearer,
        params: A.SinkParams,
        response: { 204: S.Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteAuditSink(
        deps,
        callerOf(request).actor,
        request.params.tenant,
        request.params.sink,
      )
      return reply.code(204).send(null)
    },
  )
}
