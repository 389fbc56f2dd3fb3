import type { Services } from '../../compose.js'
import {
  deleteTenant,
  getTenant,
  listTenants,
  provisionTenant,
  resumeTenant,
  suspendTenant,
  updateTenantSettings,
} from '../../management/tenants.js'
import type { AdminApp } from './api-routes.js'
import { tenantView } from './representations.js'
import { bearer, callerOf, config, errors, guardFor } from './route-kit.js'
import * as S from './schemas.js'

/**
 * Tenants. Provisioning (create, update, suspend, resume, delete) is where root credentials
 * cross tenants: a caller of the root tenant with `manage:tenants` may act on any tenant. Every
 * other admin route stays bound to the tenant that issued the caller's token.
 */
export function registerTenantRoutes(app: AdminApp, services: Services): void {
  const guard = guardFor(services)
  const tags = ['tenants']
  const view = (tenant: Parameters<typeof tenantView>[0]) =>
    tenantView(tenant, services.issuerFor(tenant.id))

  app.get(
    '/admin/v1/tenants',
    {
      config,
      preValidation: guard('read:tenants', 'root'),
      schema: {
        tags,
        security: bearer,
        response: { 200: S.Type.Object({ items: S.Type.Array(S.Tenant) }) },
      },
    },
    async () => ({ items: (await listTenants(services.management)).map(view) }),
  )

  app.post(
    '/admin/v1/tenants',
    {
      config,
      preValidation: guard({ anyOf: ['create:tenants', 'manage:tenants'] }, 'root'),
      schema: {
        tags,
        security: bearer,
        description:
          'Creates a tenant with its signing keys, admin application and first owner (201). With `external_id` the call is idempotent: a tenant already provisioned with it is returned (200) without credentials; the same `external_id` with another `id` is a conflict (409).',
        body: S.CreateTenantBody,
        response: { 201: S.CreatedTenant, 200: S.ExistingTenant, ...errors },
      },
    },
    async (request, reply) => {
      const result = await provisionTenant(services.management, callerOf(request).actor, {
        id: request.body.id,
        displayName: request.body.display_name,
        signingAlgorithm: request.body.signing_algorithm,
        externalId: request.body.external_id,
        metadata: request.body.metadata,
      })
      void reply.header('Cache-Control', 'no-store')
      if (!result.created)
        return reply.code(200).send({ created: false, tenant: view(result.tenant) })
      return reply.code(201).send({
        created: true,
        tenant: view(result.tenant),
        admin: {
          client_id: result.admin.application.clientId,
          client_secret: result.admin.clientSecret,
        },
        owner: {
          username: result.owner.administrator.username,
          password: result.owner.password,
          console_url: `${services.config.publicUrl}/console/`,
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
        tags,
        security: bearer,
        params: S.TenantParams,
        response: { 200: S.Tenant, ...errors },
      },
    },
    async (request) => view(await getTenant(services.management, request.params.tenant)),
  )

  app.patch(
    '/admin/v1/tenants/:tenant',
    {
      config,
      preValidation: guard('manage:tenants', 'root'),
      schema: {
        tags,
        security: bearer,
        description:
          'Changes any tenant (root tenant callers with manage:tenants): display name, external id and metadata (replaced whole).',
        params: S.TenantParams,
        body: S.UpdateTenantBody,
        response: { 200: S.Tenant, ...errors },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const tenant = await updateTenantSettings(
        services.management,
        caller.actor,
        request.params.tenant,
        {
          displayName: request.body.display_name,
          externalId: request.body.external_id,
          metadata: request.body.metadata,
        },
        caller.tenantId,
      )
      return view(tenant)
    },
  )

  app.post(
    '/admin/v1/tenants/:tenant/suspend',
    {
      config,
      preValidation: guard('manage:tenants', 'root'),
      schema: {
        tags,
        security: bearer,
        description:
          'The tenant gets no token and its administrators are turned away; every token it has issued is revoked through the revocation feed. Resuming does not bring those tokens back.',
        params: S.TenantParams,
        response: { 200: S.Tenant, ...errors },
      },
    },
    async (request) =>
      view(await suspendTenant(services.management, callerOf(request), request.params.tenant)),
  )

  app.post(
    '/admin/v1/tenants/:tenant/resume',
    {
      config,
      preValidation: guard('manage:tenants', 'root'),
      schema: {
        tags,
        security: bearer,
        params: S.TenantParams,
        response: { 200: S.Tenant, ...errors },
      },
    },
    async (request) =>
      view(await resumeTenant(services.management, callerOf(request), request.params.tenant)),
  )

  app.delete(
    '/admin/v1/tenants/:tenant',
    {
      config,
      preValidation: guard('manage:tenants', 'root'),
      schema: {
        tags,
        security: bearer,
        description:
          "Removes the tenant's data (applications, APIs, users, administrators, keys, webhooks, audit sinks, insight) after revoking its tokens through the feed. Its audit log is kept under the audit retention; its id is never reused and its external_id is freed.",
        params: S.TenantParams,
        response: { 204: S.Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteTenant(services.management, callerOf(request), request.params.tenant)
      return reply.code(204).send(null)
    },
  )
}
