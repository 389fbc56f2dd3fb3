import type {
  FastifyInstance,
  RawServerDefault,
  FastifyBaseLogger,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
} from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'

import type { Services } from '../../compose.js'
import { createApi, getApi, listApis, updateApi } from '../../management/apis.js'
import { apiView, catalogInput } from './representations.js'
import { bearer, callerOf, config, errors, guardFor, ifMatch, withEtag } from './route-kit.js'
import * as S from './schemas.js'

export type AdminApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

export function registerApiRoutes(app: AdminApp, services: Services): void {
  const guard = guardFor(services)

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
    async (request) => ({
      items: (await listApis(services.management, request.params.tenant)).map((api) =>
        apiView(api, request.params.tenant),
      ),
    }),
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
      const { catalog, shared_with, tenant_claims, ...rest } = request.body
      const api = await createApi(
        services.management,
        callerOf(request).actor,
        request.params.tenant,
        {
          ...rest,
          catalog: catalog === undefined ? undefined : catalogInput(catalog),
          sharing: shared_with,
          tenantClaims: tenant_claims,
        },
      )
      return withEtag(reply.code(201), api.version).send(apiView(api, request.params.tenant))
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
    async (request, reply) => {
      const api = await getApi(services.management, request.params.tenant, request.params.api)
      return withEtag(reply, api.version).send(apiView(api, request.params.tenant))
    },
  )

  app.patch(
    '/admin/v1/tenants/:tenant/apis/:api',
    {
      config,
      preValidation: guard('update:apis'),
      schema: {
        tags: ['apis'],
        security: bearer,
        params: S.ApiParams,
        headers: S.IfMatch,
        body: S.UpdateApiBody,
        response: { 200: S.UpdatedApi, ...errors },
      },
    },
    async (request, reply) => {
      const { catalog, shared_with, tenant_claims, ...rest } = request.body
      const result = await updateApi(
        services.management,
        callerOf(request).actor,
        request.params.tenant,
        request.params.api,
        {
          ...rest,
          catalog: catalog === undefined || catalog === null ? catalog : catalogInput(catalog),
          sharing: shared_with,
          tenantClaims: tenant_claims,
        },
        ifMatch(request),
      )
      return withEtag(reply, result.api.version).send({
        api: apiView(result.api, request.params.tenant),
        removed_scopes: result.removedScopes,
        affected_applications: result.affectedApplications,
      })
    },
  )
}
