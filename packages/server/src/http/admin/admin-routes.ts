import swagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'

import type { Services } from '../../compose.js'
import { ValidationError } from '../../domain/errors.js'
import { createApi, getApi, listApis } from '../../management/apis.js'
import { queryAudit } from '../../management/audit.js'
import {
  createApplication,
  getApplication,
  listApplications,
} from '../../management/applications.js'
import { listKeys, rotateKeys } from '../../management/keys.js'
import { createTenant, getTenant, listTenants } from '../../management/tenants.js'
import { authenticateAdmin, type AdminCaller } from './admin-auth.js'
import type { AdminScope } from '../../domain/admin-api.js'
import type { SigningAlgorithm } from '../../domain/model.js'
import type { FastifyRequest } from 'fastify'
import { apiView, applicationView, auditView, keyView, tenantView } from './representations.js'
import * as S from './schemas.js'

/** `never`, a date (end of that day, UTC) or a date-time. */
function parseExpiry(value: string | null | undefined): Date | null | undefined {
  if (value === undefined) return undefined
  if (value === null || value === 'never') return null
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? new Date(`${value}T23:59:59.999Z`)
    : new Date(value)
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new ValidationError(
      'expires_at',
      'expires_at must be "never", an ISO 8601 date (2027-01-31) or date-time',
    )
  }
  return date
}

const bearer = [{ bearerAuth: [] }]

declare module 'fastify' {
  interface FastifyRequest {
    adminCaller?: AdminCaller
  }
}

function callerOf(request: FastifyRequest): AdminCaller {
  if (request.adminCaller === undefined) throw new Error('admin route without a guard')
  return request.adminCaller
}

/** The admin REST API, `/admin/v1`, documented at `/admin/v1/openapi.json`. */
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
          'Manage tenants, APIs and OAuth applications. Authenticate with a Tokenmint access token for the audience urn:tokenmint:admin.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
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

  const now = () => services.management.now()
  // Authentication runs before body validation, so an anonymous caller learns nothing from it.
  const guard = (scope: AdminScope, tenant?: 'root') => async (request: FastifyRequest) => {
    const target = tenant ?? (request.params as { tenant: string }).tenant
    request.adminCaller = await authenticateAdmin(services, request, target, scope)
  }
  const config = { errorFormat: 'problem' as const }
  const app = root.withTypeProvider<TypeBoxTypeProvider>()
  const errors = { 400: S.Problem, 401: S.Problem, 403: S.Problem, 404: S.Problem, 409: S.Problem }

  app.get('/admin/v1/openapi.json', { config, schema: { hide: true } }, () => root.swagger())

  app.get(
    '/admin/v1/tenants',
    {
      config,
      preValidation: guard('read:tenants', 'root'),
      schema: {
        tags: ['tenants'],
        security: bearer,
        response: { 200: S.Type.Object({ items: S.Type.Array(S.Tenant) }) },
      },
    },
    async () => {
      const tenants = await listTenants(services.management)
      return { items: tenants.map((t) => tenantView(t, services.issuerFor(t.id))) }
    },
  )

  app.post(
    '/admin/v1/tenants',
    {
      config,
      preValidation: guard('create:tenants', 'root'),
      schema: {
        tags: ['tenants'],
        security: bearer,
        body: S.CreateTenantBody,
        response: { 201: S.CreatedTenant, ...errors },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      const created = await createTenant(services.management, caller.actor, {
        id: request.body.id,
        displayName: request.body.display_name,
        signingAlgorithm: request.body.signing_algorithm,
      })
      return reply
        .code(201)
        .header('Cache-Control', 'no-store')
        .send({
          tenant: tenantView(created.tenant, services.issuerFor(created.tenant.id)),
          admin: {
            client_id: created.admin.application.clientId,
            client_secret: created.admin.clientSecret,
          },
        })
    },
  )

  app.get(
    '/admin/v1/tenants/:tenant',
    {
      config,
      preValidation: guard('read:apis'),
      schema: {
        tags: ['tenants'],
        security: bearer,
        params: S.TenantParams,
        response: { 200: S.Tenant, ...errors },
      },
    },
    async (request) => {
      const tenant = await getTenant(services.management, request.params.tenant)
      return tenantView(tenant, services.issuerFor(tenant.id))
    },
  )

  app.get(
    '/admin/v1/tenants/:tenant/apis',
    {
      config,
      preValidation: guard('read:apis'),
      schema: {
        tags: ['apis'],
        security: bearer,
        params: S.TenantParams,
        response: { 200: S.Type.Object({ items: S.Type.Array(S.Api) }), ...errors },
      },
    },
    async (request) => {
      return { items: (await listApis(services.management, request.params.tenant)).map(apiView) }
    },
  )

  app.post(
    '/admin/v1/tenants/:tenant/apis',
    {
      config,
      preValidation: guard('create:apis'),
      schema: {
        tags: ['apis'],
        security: bearer,
        params: S.TenantParams,
        body: S.CreateApiBody,
        response: { 201: S.Api, ...errors },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      const api = await createApi(
        services.management,
        caller.actor,
        request.params.tenant,
        request.body,
      )
      return reply.code(201).send(apiView(api))
    },
  )

  app.get(
    '/admin/v1/tenants/:tenant/apis/:api',
    {
      config,
      preValidation: guard('read:apis'),
      schema: {
        tags: ['apis'],
        security: bearer,
        params: S.ApiParams,
        response: { 200: S.Api, ...errors },
      },
    },
    async (request) => {
      return apiView(await getApi(services.management, request.params.tenant, request.params.api))
    },
  )

  app.get(
    '/admin/v1/tenants/:tenant/applications',
    {
      config,
      preValidation: guard('read:applications'),
      schema: {
        tags: ['applications'],
        security: bearer,
        params: S.TenantParams,
        querystring: S.PageQuery,
        response: { 200: S.ApplicationPage, ...errors },
      },
    },
    async (request) => {
      const { tenant } = request.params
      const page = await listApplications(services.management, tenant, {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
      })
      return {
        items: page.items.map((a) => applicationView(a, services.issuerFor(tenant), now())),
        next_cursor: page.nextCursor,
      }
    },
  )

  app.post(
    '/admin/v1/tenants/:tenant/applications',
    {
      config,
      preValidation: guard('create:applications'),
      schema: {
        tags: ['applications'],
        security: bearer,
        params: S.TenantParams,
        body: S.CreateApplicationBody,
        response: { 201: S.CreatedApplication, ...errors },
      },
    },
    async (request, reply) => {
      const { tenant } = request.params
      const caller = callerOf(request)
      const body = request.body
      const created = await createApplication(services.management, caller.actor, tenant, {
        name: body.name,
        description: body.description,
        environment: body.environment,
        grantTypes: body.grant_types,
        grants: body.grants,
        tokenLifetimeSeconds: body.token_lifetime_seconds,
        expiresAt: parseExpiry(body.expires_at),
      })
      return reply
        .code(201)
        .header('Cache-Control', 'no-store')
        .send({
          ...applicationView(created.application, services.issuerFor(tenant), now(), [
            created.secret,
          ]),
          client_secret: created.clientSecret,
        })
    },
  )

  app.get(
    '/admin/v1/tenants/:tenant/applications/:clientId',
    {
      config,
      preValidation: guard('read:applications'),
      schema: {
        tags: ['applications'],
        security: bearer,
        params: S.ApplicationParams,
        response: { 200: S.Application, ...errors },
      },
    },
    async (request) => {
      const { tenant, clientId } = request.params
      const { application, secrets } = await getApplication(services.management, tenant, clientId)
      return applicationView(application, services.issuerFor(tenant), now(), secrets)
    },
  )

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
    async (request) => {
      return { items: (await listKeys(services.management, request.params.tenant)).map(keyView) }
    },
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
      const caller = callerOf(request)
      const rotated = await rotateKeys(services.management, caller.actor, request.params.tenant, {
        algorithm: (request.body as { signing_algorithm?: SigningAlgorithm } | undefined)
          ?.signing_algorithm,
      })
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
      const { tenant } = request.params
      const q = request.query
      const page = await queryAudit(services.management, {
        tenantId: tenant,
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
