import type { Services } from '../../compose.js'
import {
  applyConfig,
  exportConfig,
  planConfig,
  type ConfigPlan,
} from '../../management/config-as-code.js'
import type { AdminApp } from './api-routes.js'
import {
  AppliedConfig,
  ApplyBody,
  ConfigFile,
  ConfigPlan as PlanSchema,
  configSchemaDocument,
  parseConfigFile,
  PlanBody,
} from './config-schema.js'
import { bearer, callerOf, config, errors, guardFor } from './route-kit.js'
import * as S from './schemas.js'

/** A whole tenant's configuration may be larger than other admin bodies. */
const CONFIG_BODY_LIMIT = 8 * 1024 * 1024

function planView(plan: ConfigPlan) {
  return {
    tenant: plan.tenant,
    changes: plan.changes,
    unmanaged: plan.unmanaged,
    digest: plan.digest,
    required_scopes: plan.requiredScopes,
  }
}

/** Configuration as code: export, plan and apply (management/config-as-code). */
export function registerConfigRoutes(app: AdminApp, services: Services): void {
  const guard = guardFor(services)

  app.get(
    '/admin/v1/config.schema.json',
    // A document like openapi.json, public so that editors can fetch it: not an operation.
    { config, schema: { hide: true } },
    (_request, reply) => reply.type('application/schema+json').send(configSchemaDocument()),
  )

  app.get(
    '/admin/v1/tenants/:tenant/config',
    {
      config,
      preValidation: guard(['read:apis', 'read:applications']),
      schema: {
        tags: ['config'],
        summary: "The tenant's configuration as a file (what `tokenmint export` writes)",
        security: bearer,
        params: S.TenantParams,
        response: { 200: ConfigFile, ...errors },
      },
    },
    async (request) => exportConfig(services.management, request.params.tenant),
  )

  app.post(
    '/admin/v1/tenants/:tenant/config::plan',
    {
      config,
      bodyLimit: CONFIG_BODY_LIMIT,
      preValidation: guard(['read:apis', 'read:applications']),
      schema: {
        tags: ['config'],
        summary: 'What applying a configuration file would change; changes nothing',
        security: bearer,
        params: S.TenantParams,
        body: PlanBody,
        response: { 200: PlanSchema, ...errors },
      },
    },
    async (request) =>
      planView(
        await planConfig(
          services.management,
          request.params.tenant,
          parseConfigFile(request.body.config),
          { prune: request.body.prune ?? false },
        ),
      ),
  )

  app.post(
    '/admin/v1/tenants/:tenant/config::apply',
    {
      config,
      bodyLimit: CONFIG_BODY_LIMIT,
      // The scopes the plan's changes need are checked once the plan is known.
      preValidation: guard(['read:apis', 'read:applications']),
      schema: {
        tags: ['config'],
        summary:
          'Applies a configuration file in one transaction; new applications’ secrets are in the answer, once',
        security: bearer,
        params: S.TenantParams,
        body: ApplyBody,
        response: { 200: AppliedConfig, ...errors },
      },
    },
    async (request, reply) => {
      const applied = await applyConfig(
        services.management,
        callerOf(request),
        request.params.tenant,
        parseConfigFile(request.body.config),
        { prune: request.body.prune ?? false, expectedDigest: request.body.plan_digest },
      )
      return reply.header('Cache-Control', 'no-store').send({
        plan: planView(applied.plan),
        created: applied.created.map((c) => ({
          environment: c.environment,
          name: c.name,
          client_id: c.clientId,
          ...(c.clientSecret !== undefined && { client_secret: c.clientSecret }),
        })),
      })
    },
  )
}
