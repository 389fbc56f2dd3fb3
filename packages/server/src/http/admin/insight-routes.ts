import type { Static } from '@fastify/type-provider-typebox'

import type { Services } from '../../compose.js'
import { getInsights, removeUnusedScopes, type Finding } from '../../management/insights.js'
import type { AdminApp } from './api-routes.js'
import { applicationView } from './representations.js'
import { bearer, callerOf, config, errors, guardFor, ifMatch } from './route-kit.js'
import * as S from './schemas.js'

const T = S.Type
const Time = T.String({ format: 'date-time' })
const TimeOrNull = T.Union([Time, T.Null()])

const InsightQuery = T.Object({
  days: T.Optional(
    T.Integer({
      minimum: 0,
      maximum: 3650,
      description: 'The window in days (default 30); 0 considers all history.',
    }),
  ),
  client_id: T.Optional(
    T.String({ maxLength: 64, description: 'One application, with its scopes.' }),
  ),
})

const FindingSchema = T.Object(
  {
    kind: T.Union([
      T.Literal('unused_scopes'),
      T.Literal('stale_application'),
      T.Literal('unused_credential'),
      T.Literal('expiring_application'),
      T.Literal('secret_in_use_at_overlap_end'),
      T.Literal('token_churn'),
      T.Literal('quota_exceeded'),
    ]),
    client_id: T.String(),
    name: T.String(),
    message: T.String({ description: 'What was found and what to do, in one sentence.' }),
    audience: T.Optional(T.String()),
    scopes: T.Optional(T.Array(T.String())),
    scope: T.Optional(T.String()),
    last_used_at: T.Optional(TimeOrNull),
    credential_id: T.Optional(T.String()),
    hint: T.Optional(T.String()),
    created_at: T.Optional(TimeOrNull),
    expires_at: T.Optional(TimeOrNull),
    valid_until: T.Optional(TimeOrNull),
    tokens_per_hour: T.Optional(T.Integer()),
    avg_remaining_seconds: T.Optional(T.Integer()),
    lifetime_seconds: T.Optional(T.Integer()),
    detected_at: T.Optional(TimeOrNull),
    refusals: T.Optional(T.Integer()),
    last_at: T.Optional(TimeOrNull),
    description: T.Optional(T.String()),
  },
  {
    additionalProperties: false,
    description:
      'Each kind adds its measurements: unused_scopes {audience, scopes}; stale_application {last_used_at}; unused_credential {credential_id, hint, created_at}; expiring_application {expires_at}; secret_in_use_at_overlap_end {credential_id, hint, valid_until, last_used_at}; token_churn {audience, scope, tokens_per_hour, avg_remaining_seconds, lifetime_seconds, detected_at}; quota_exceeded {refusals, last_at, description}.',
  },
)

const InsightsSchema = T.Object({
  days: T.Integer(),
  generated_at: Time,
  complete: T.Boolean({
    description:
      'false while token records are still being folded (a backlog after an upgrade): unused-scope findings wait until then',
  }),
  findings: T.Array(FindingSchema),
  scopes: T.Optional(
    T.Array(
      T.Object({
        audience: T.String(),
        scope: T.String(),
        last_requested_at: TimeOrNull,
        tokens: T.Integer(),
        tokens_per_day: T.Number(),
        last_required_at: T.Union([Time, T.Null()], {
          description: 'When an API using @tokenmint/verify with reportScopeUse last required it.',
        }),
      }),
    ),
  ),
})

const RemoveBody = T.Object(
  {
    client_id: T.String({ maxLength: 64 }),
    audience: T.String({ maxLength: 2048 }),
    scopes: T.Array(T.String({ maxLength: 200 }), { minItems: 1, maxItems: 200 }),
    days: T.Optional(T.Integer({ minimum: 0, maximum: 3650 })),
  },
  { additionalProperties: false },
)

const iso = (d: Date | null) => (d === null ? null : d.toISOString())

function findingView(f: Finding): Static<typeof FindingSchema> {
  const base = { kind: f.kind, client_id: f.clientId, name: f.name, message: f.message }
  switch (f.kind) {
    case 'unused_scopes':
      return { ...base, audience: f.audience, scopes: f.scopes }
    case 'stale_application':
      return { ...base, last_used_at: iso(f.lastUsedAt) }
    case 'unused_credential':
      return { ...base, credential_id: f.credentialId, hint: f.hint, created_at: iso(f.createdAt) }
    case 'expiring_application':
      return { ...base, expires_at: iso(f.expiresAt) }
    case 'secret_in_use_at_overlap_end':
      return {
        ...base,
        credential_id: f.credentialId,
        hint: f.hint,
        valid_until: iso(f.validUntil),
        last_used_at: iso(f.lastUsedAt),
      }
    case 'token_churn':
      return {
        ...base,
        audience: f.audience,
        scope: f.scope,
        tokens_per_hour: f.tokensPerHour,
        avg_remaining_seconds: f.avgRemainingSeconds,
        lifetime_seconds: f.lifetimeSeconds,
        detected_at: iso(f.detectedAt),
      }
    case 'quota_exceeded':
      return { ...base, refusals: f.refusals, last_at: iso(f.lastAt), description: f.description }
  }
}

/** Least-privilege insight and its one-click fix (docs/insights.md). */
export function registerInsightRoutes(app: AdminApp, services: Services): void {
  const guard = guardFor(services)
  const deps = { ...services.management, rollup: services.usageRollup }

  app.get(
    '/admin/v1/tenants/:tenant/insights',
    {
      config,
      preValidation: guard('read:applications'),
      schema: {
        tags: ['applications'],
        summary:
          'Findings an administrator can act on: unused scopes, stale applications, unused credentials, expiries, token churn, quota refusals',
        security: bearer,
        params: S.TenantParams,
        querystring: InsightQuery,
        response: { 200: InsightsSchema, ...errors },
      },
    },
    async (request) => {
      const insights = await getInsights(deps, request.params.tenant, {
        days: request.query.days,
        clientId: request.query.client_id,
      })
      return {
        days: insights.days,
        generated_at: insights.generatedAt.toISOString(),
        complete: insights.complete,
        findings: insights.findings.map(findingView),
        ...(insights.scopes !== undefined && {
          scopes: insights.scopes.map((s) => ({
            audience: s.audience,
            scope: s.scope,
            last_requested_at: iso(s.lastRequestedAt),
            tokens: s.tokens,
            tokens_per_day: s.tokensPerDay,
            last_required_at: iso(s.lastRequiredAt),
          })),
        }),
      }
    },
  )

  app.post(
    '/admin/v1/tenants/:tenant/insights/remove-unused-scopes',
    {
      config,
      preValidation: guard('update:applications'),
      schema: {
        tags: ['applications'],
        summary:
          "Remove scopes insight found unused from one of an application's grants (the next token no longer carries them)",
        security: bearer,
        params: S.TenantParams,
        body: RemoveBody,
        response: { 200: S.Application, ...errors },
      },
    },
    async (request) => {
      const updated = await removeUnusedScopes(
        deps,
        callerOf(request),
        request.params.tenant,
        {
          clientId: request.body.client_id,
          audience: request.body.audience,
          scopes: request.body.scopes,
          days: request.body.days,
        },
        ifMatch(request),
      )
      return applicationView(
        updated,
        services.issuerFor(request.params.tenant),
        services.management.now(),
      )
    },
  )
}
