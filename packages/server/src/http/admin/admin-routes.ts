import swagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'

import type { Services } from '../../compose.js'
import type { SigningAlgorithm } from '../../domain/model.js'
import { queryAudit } from '../../management/audit.js'
import { listKeys, rotateKeys } from '../../management/keys.js'
import { registerAdminDocs } from './admin-docs.js'
import { registerAuditRoutes } from './audit-routes.js'
import { registerLeakRoutes } from './leak-routes.js'
import { registerInsightRoutes } from './insight-routes.js'
import { registerAuditSinkRoutes } from './audit-sink-routes.js'
import { registerWebhookRoutes } from './webhook-routes.js'
import { registerApiRoutes } from './api-routes.js'
import { registerApplicationRoutes } from './application-routes.js'
import { registerConfigRoutes } from './config-routes.js'
import { registerUserRoutes } from './user-routes.js'
import { registerAdministratorRoutes } from './administrator-routes.js'
import { registerPortalLinkRoutes } from './portal-link-routes.js'
import { registerTenantRoutes } from './tenant-routes.js'
import { auditView, keyView } from './representations.js'
import { bearer, callerOf, config, errors, guardFor, refuseNonFiniteQuery } from './route-kit.js'
import * as S from './schemas.js'

/** The admin REST API, `/admin/v1`, documented at `/admin/v1/openapi.json` and `/admin/v1/docs`. */
export async function registerAdminRoutes(
  root: FastifyInstance,
  services: Services,
): Promise<void> {
  await root.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tokenmint Admin API',
        version: '1',
        description:
          'Manage tenants, APIs, OAuth applications, users and console administrators. Authenticate with a Tokenmint access token for the audience urn:tokenmint:admin, or with a console session. Updates take If-Match with the ETag of the last read; errors are RFC 9457 problem details.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          consoleSession: {
            type: 'apiKey',
            in: 'cookie',
            name: 'tokenmint_session',
            description:
              "The web console's session (`__Host-tokenmint_session` over HTTPS). Requests that change anything also send the header X-CSRF-Token.",
          },
        },
      },
    },
    transform: ({ schema, url }) => ({
      schema:
        url.startsWith('/admin/v1/') && url !== '/admin/v1/openapi.json'
          ? schema
          : { ...schema, hide: true },
      url,
    }),
  })
  const app = root.withTypeProvider<TypeBoxTypeProvider>()
  const guard = guardFor(services)
  app.addHook('preHandler', (request, _reply, done) => {
    refuseNonFiniteQuery(request)
    done()
  })

  app.get('/admin/v1/openapi.json', { config, schema: { hide: true } }, () => root.swagger())
  await registerAdminDocs(root)

  registerTenantRoutes(app, services)
  registerPortalLinkRoutes(app, services)
  registerApiRoutes(app, services)
  registerApplicationRoutes(app, services)
  registerUserRoutes(app, services)
  registerAdministratorRoutes(app, services)
  registerConfigRoutes(app, services)
  registerAuditRoutes(app, services)
  registerAuditSinkRoutes(app, services)
  registerLeakRoutes(app, services)
  registerWebhookRoutes(app, services)
  registerInsightRoutes(app, services)

  app.get(
    '/admin/v1/tenants/:tenant/keys',
    {
      config,
      preValidation: guard('read:keys'),
      schema: {
        tags: ['keys'],
        security: bearer,
        params: S.TenantParams,
        response: { 200: S.Type.Object({ items: S.Type.Array(S.SigningKey) }), ...errors },
      },
    },
    async (request) => ({
      items: (await listKeys(services.management, request.params.tenant)).map(keyView),
    }),
  )

  app.post(
    '/admin/v1/tenants/:tenant/keys/rotate',
    {
      config,
      preValidation: guard('update:keys'),
      schema: {
        tags: ['keys'],
        security: bearer,
        params: S.TenantParams,
        body: S.Type.Optional(S.RotateKeysBody),
        response: { 200: S.RotatedKeys, ...errors },
      },
    },
    async (request) => {
      const body = request.body as { signing_algorithm?: SigningAlgorithm } | undefined
      const rotated = await rotateKeys(
        services.management,
        callerOf(request).actor,
        request.params.tenant,
        {
          algorithm: body?.signing_algorithm,
        },
      )
      return {
        current: keyView(rotated.current),
        next: keyView(rotated.next),
        retired: rotated.retired === undefined ? null : keyView(rotated.retired),
        pre_published: rotated.prePublished,
      }
    },
  )

  app.get(
    '/admin/v1/tenants/:tenant/audit',
    {
      config,
      preValidation: guard('read:audit'),
      schema: {
        tags: ['audit'],
        security: bearer,
        params: S.TenantParams,
        querystring: S.AuditQuery,
        response: { 200: S.AuditPage, ...errors },
      },
    },
    async (request) => {
      const q = request.query
      const page = await queryAudit(services.management, {
        tenantId: request.params.tenant,
        clientId: q.client_id,
        type: q.type,
        since: q.since === undefined ? undefined : new Date(q.since),
        until: q.until === undefined ? undefined : new Date(q.until),
        limit: q.limit ?? 100,
        cursor: q.cursor,
      })
      return { items: page.items.map(auditView), next_cursor: page.nextCursor }
    },
  )
}
