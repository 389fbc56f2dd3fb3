import type { Services } from '../../compose.js'
import { listLeaks, reportLeak, requireSecretShape } from '../../management/leaks.js'
import type { LeakedSecret } from '../../storage/contract.js'
import type { AdminApp } from './api-routes.js'
import { bearer, callerOf, config, errors, guardFor } from './route-kit.js'
import * as S from './schemas.js'

const T = S.Type

const LeakBody = T.Object(
  {
    secret: T.String({ minLength: 1, maxLength: 200, description: 'The exposed client secret.' }),
    url: T.Optional(T.String({ maxLength: 2048, description: 'Where it was found.' })),
  },
  { additionalProperties: false },
)

const LeakResult = T.Object({
  outcome: T.Union(
    [
      T.Literal('revoked_secret'),
      T.Literal('revoked_application'),
      T.Literal('already_revoked'),
      T.Literal('unknown'),
    ],
    {
      description:
        "What happened: the tenant's leak policy applied, an earlier report had already, or the secret is not one of this tenant's.",
    },
  ),
  client_id: T.Optional(T.String()),
  secret_id: T.Optional(T.String()),
})

const Leak = T.Object({
  client_id: T.String(),
  secret_id: T.String(),
  hint: T.String(),
  url: T.Union([T.String(), T.Null()]),
  source: T.String(),
  reporter: T.String(),
  action: T.String(),
  tokens_revoked: T.Integer(),
  reports: T.Integer(),
  first_reported_at: T.String({ format: 'date-time' }),
  last_reported_at: T.String({ format: 'date-time' }),
})

const LeakQuery = T.Object({ client_id: T.Optional(T.String({ maxLength: 64 })) })

function leakView(leak: LeakedSecret) {
  return {
    client_id: leak.clientId,
    secret_id: leak.secretId,
    hint: leak.hint,
    url: leak.url,
    source: leak.source,
    reporter: leak.reporter,
    action: leak.action,
    tokens_revoked: leak.tokensRevoked,
    reports: leak.reports,
    first_reported_at: leak.firstReportedAt.toISOString(),
    last_reported_at: leak.lastReportedAt.toISOString(),
  }
}

/**
 * Leaks reported by hand (or by `tokenmint scan --revoke`). Reporting takes
 * `update:applications`: it ends a secret. Roles do not widen here, since a report can only take
 * authority away, and it never reaches another tenant's secret.
 */
export function registerLeakRoutes(app: AdminApp, services: Services): void {
  const guard = guardFor(services)
  const deps = services.management

  app.post(
    '/admin/v1/tenants/:tenant/leaks',
    {
      config,
      preValidation: guard('update:applications'),
      schema: {
        tags: ['applications'],
        summary: "Report a leaked client secret: the tenant's leak policy revokes it at once",
        security: bearer,
        params: S.TenantParams,
        body: LeakBody,
        response: { 200: LeakResult, ...errors },
      },
    },
    async (request) => {
      requireSecretShape(request.body.secret)
      const result = await reportLeak(
        deps,
        {
          secret: request.body.secret,
          url: request.body.url,
          source: 'admin',
          reporter: callerOf(request).actor,
        },
        request.params.tenant,
      )
      return {
        outcome: result.outcome,
        ...(result.clientId !== undefined && { client_id: result.clientId }),
        ...(result.secretId !== undefined && { secret_id: result.secretId }),
      }
    },
  )

  app.get(
    '/admin/v1/tenants/:tenant/leaks',
    {
      config,
      preValidation: guard('read:applications'),
      schema: {
        tags: ['applications'],
        summary: 'Secrets reported as leaked, newest first, with where they were found',
        security: bearer,
        params: S.TenantParams,
        querystring: LeakQuery,
        response: { 200: T.Object({ items: T.Array(Leak) }), ...errors },
      },
    },
    async (request) => {
      const leaks = await listLeaks(deps, request.params.tenant, request.query.client_id)
      return { items: leaks.map(leakView) }
    },
  )
}
