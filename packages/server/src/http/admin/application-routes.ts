import type { Static } from '@fastify/type-provider-typebox'

import type { Services } from '../../compose.js'
import { BUILT_IN_APPLICATION_WARNING } from '../../domain/authority.js'
import { deleteApplication, revokeApplication } from '../../management/application-endings.js'
import { addKeys, removeKey } from '../../management/application-keys.js'
import { addTrustPolicy, removeTrustPolicy } from '../../management/trust-policies.js'
import { endOverlap, rotateSecret } from '../../management/application-secrets.js'
import {
  createApplication,
  getApplication,
  listApplications,
  updateApplication,
  type ApplicationInput,
} from '../../management/applications.js'
import type { AdminApp } from './api-routes.js'
import { applicationView, clientKeyView, secretView, trustPolicyView } from './representations.js'
import {
  bearer,
  callerOf,
  config,
  errors,
  guardFor,
  ifMatch,
  parseExpiry,
  withEtag,
} from './route-kit.js'
import * as S from './schemas.js'
import { tokenRequests } from './snippets.js'

const PASSWORD_WARNING =
  "The password grant is enabled: RFC 9700 advises against it because the application handles a user's password. Prefer client credentials for anything that does not have to act as a user."

/** The wire body (snake_case) of a create or update, as the use cases take it. */
function applicationInput(body: Static<typeof S.UpdateApplicationBody>): ApplicationInput {
  return {
    name: body.name,
    description: body.description,
    environment: body.environment,
    grantTypes: body.grant_types,
    grants: body.grants,
    tokenLifetimeSeconds: body.token_lifetime_seconds,
    expiresAt: parseExpiry(body.expires_at),
    canIntrospect: body.can_introspect,
    dpopBoundAccessTokens: body.dpop_bound_access_tokens,
    tokenRateLimitPerMinute: body.token_rate_limit_per_minute,
    jwksUri: body.jwks_uri,
    claims: body.claims,
  }
}

const SCOPE_NOTICE =
  'The new scopes apply to the very next token request. Tokens already issued keep their scopes until they expire (at most the token lifetime); revoke the application to end them now.'

export function registerApplicationRoutes(app: AdminApp, services: Services): void {
  const guard = guardFor(services)
  const now = () => services.management.now()
  const path = '/admin/v1/tenants/:tenant/applications'
  const one = `${path}/:clientId`
  const tags = ['applications']

  app.get(
    path,
    {
      config,
      preValidation: guard('read:applications'),
      schema: {
        tags,
        security: bearer,
        params: S.TenantParams,
        querystring: S.ApplicationListQuery,
        response: { 200: S.ApplicationPage, ...errors },
      },
    },
    async (request) => {
      const { tenant } = request.params
      const { limit, cursor, environment, status, q } = request.query
      const page = await listApplications(
        services.management,
        tenant,
        { limit: limit ?? 50, cursor },
        { environment, status, search: q },
      )
      return {
        items: page.items.map((a) => applicationView(a, services.issuerFor(tenant), now())),
        next_cursor: page.nextCursor,
      }
    },
  )

  app.post(
    path,
    {
      config,
      preValidation: guard('create:applications'),
      schema: {
        tags,
        security: bearer,
        params: S.TenantParams,
        body: S.CreateApplicationBody,
        response: { 201: S.CreatedApplication, ...errors },
      },
    },
    async (request, reply) => {
      const { tenant } = request.params
      const body = request.body
      const created = await createApplication(services.management, callerOf(request), tenant, {
        ...applicationInput(body),
        name: body.name,
        jwks: body.jwks,
        trustPolicies: body.trust_policies,
      })
      const issuer = services.issuerFor(tenant)
      return withEtag(
        reply.code(201).header('Cache-Control', 'no-store'),
        created.application.version,
      ).send({
        ...applicationView(created.application, issuer, now(), {
          secrets: created.secret === undefined ? [] : [created.secret],
          keys: created.keys,
          jwksUri: created.jwksUri,
          trustPolicies: created.trustPolicies,
        }),
        ...(created.clientSecret !== undefined && { client_secret: created.clientSecret }),
        ...(created.application.grantTypes.includes('password') && {
          warnings: [PASSWORD_WARNING],
        }),
        snippets: tokenRequests(created.application, issuer)[0],
      })
    },
  )

  app.get(
    one,
    {
      config,
      preValidation: guard('read:applications'),
      schema: {
        tags,
        security: bearer,
        params: S.ApplicationParams,
        response: { 200: S.ApplicationDetail, ...errors },
      },
    },
    async (request, reply) => {
      const { tenant, clientId } = request.params
      const { application, ...details } = await getApplication(
        services.management,
        tenant,
        clientId,
      )
      const issuer = services.issuerFor(tenant)
      return withEtag(reply, application.version).send({
        ...applicationView(application, issuer, now(), details),
        token_requests: tokenRequests(application, issuer),
      })
    },
  )

  app.patch(
    one,
    {
      config,
      preValidation: guard('update:applications'),
      schema: {
        tags,
        security: bearer,
        params: S.ApplicationParams,
        headers: S.IfMatch,
        body: S.UpdateApplicationBody,
        response: { 200: S.UpdatedApplication, ...errors },
      },
    },
    async (request, reply) => {
      const { tenant, clientId } = request.params
      const body = request.body
      const before = await getApplication(services.management, tenant, clientId)
      const { application, scopesChanged } = await updateApplication(
        services.management,
        callerOf(request),
        tenant,
        clientId,
        applicationInput(body),
        ifMatch(request),
      )
      const passwordEnabled =
        application.grantTypes.includes('password') &&
        !before.application.grantTypes.includes('password')
      const issuer = services.issuerFor(tenant)
      const warnings = [
        ...(passwordEnabled ? [PASSWORD_WARNING] : []),
        ...(application.isBuiltIn ? [BUILT_IN_APPLICATION_WARNING] : []),
      ]
      return withEtag(reply, application.version).send({
        ...applicationView(application, issuer, now()),
        token_requests: tokenRequests(application, issuer),
        ...(scopesChanged && { notice: SCOPE_NOTICE }),
        ...(warnings.length > 0 && { warnings }),
      })
    },
  )

  app.post(
    `${one}/rotate-secret`,
    {
      config,
      preValidation: guard('update:applications'),
      schema: {
        tags,
        security: bearer,
        params: S.ApplicationParams,
        body: S.Type.Optional(S.RotateSecretBody),
        response: { 200: S.RotatedSecret, ...errors },
      },
    },
    async (request, reply) => {
      const { tenant, clientId } = request.params
      const overlap = (request.body as { overlap_seconds?: number } | undefined)?.overlap_seconds
      const rotated = await rotateSecret(
        services.management,
        callerOf(request),
        tenant,
        clientId,
        overlap,
      )
      return reply.header('Cache-Control', 'no-store').send({
        client_id: clientId,
        client_secret: rotated.clientSecret,
        secret: secretView(rotated.secret, now()),
        previous_secret:
          rotated.previous === undefined ? null : secretView(rotated.previous, now()),
        ...(rotated.application.isBuiltIn && { warnings: [BUILT_IN_APPLICATION_WARNING] }),
      })
    },
  )

  app.post(
    `${one}/keys`,
    {
      config,
      preValidation: guard('update:applications'),
      schema: {
        tags,
        security: bearer,
        params: S.ApplicationParams,
        body: S.Type.Object({ jwks: S.Jwks }, { additionalProperties: false }),
        response: { 201: S.Type.Object({ keys: S.Type.Array(S.KeySummary) }), ...errors },
      },
    },
    async (request, reply) => {
      const { tenant, clientId } = request.params
      const keys = await addKeys(
        services.management,
        callerOf(request),
        tenant,
        clientId,
        request.body.jwks,
      )
      return reply.code(201).send({ keys: keys.map(clientKeyView) })
    },
  )

  app.delete(
    `${one}/keys/:kid`,
    {
      config,
      preValidation: guard('update:applications'),
      schema: {
        tags,
        security: bearer,
        params: S.ApplicationKeyParams,
        response: { 200: S.KeySummary, ...errors },
      },
    },
    async (request) => {
      const { tenant, clientId, kid } = request.params
      return clientKeyView(
        await removeKey(services.management, callerOf(request), tenant, clientId, kid),
      )
    },
  )

  app.post(
    `${one}/trust-policies`,
    {
      config,
      preValidation: guard('update:applications'),
      schema: {
        tags,
        security: bearer,
        params: S.ApplicationParams,
        body: S.TrustPolicyInput,
        response: { 201: S.TrustPolicySummary, ...errors },
      },
    },
    async (request, reply) => {
      const { tenant, clientId } = request.params
      const policy = await addTrustPolicy(
        services.management,
        callerOf(request),
        tenant,
        clientId,
        request.body,
      )
      return reply.code(201).send(trustPolicyView(policy))
    },
  )

  app.delete(
    `${one}/trust-policies/:policyId`,
    {
      config,
      preValidation: guard('update:applications'),
      schema: {
        tags,
        security: bearer,
        params: S.TrustPolicyParams,
        response: { 200: S.TrustPolicySummary, ...errors },
      },
    },
    async (request) => {
      const { tenant, clientId, policyId } = request.params
      return trustPolicyView(
        await removeTrustPolicy(services.management, callerOf(request), tenant, clientId, policyId),
      )
    },
  )

  app.post(
    `${one}/end-overlap`,
    {
      config,
      preValidation: guard('update:applications'),
      schema: {
        tags,
        security: bearer,
        params: S.ApplicationParams,
        response: { 200: S.Type.Object({ ended_secrets: S.Type.Integer() }), ...errors },
      },
    },
    async (request) => {
      const { tenant, clientId } = request.params
      return {
        ended_secrets: await endOverlap(services.management, callerOf(request), tenant, clientId),
      }
    },
  )

  app.post(
    `${one}/revoke`,
    {
      config,
      preValidation: guard('update:applications'),
      schema: {
        tags,
        security: bearer,
        params: S.ApplicationParams,
        response: { 200: S.Application, ...errors },
      },
    },
    async (request) => {
      const { tenant, clientId } = request.params
      const application = await revokeApplication(
        services.management,
        callerOf(request),
        tenant,
        clientId,
      )
      const view = applicationView(application, services.issuerFor(tenant), now())
      return application.isBuiltIn
        ? { ...view, warnings: [...(view.warnings ?? []), BUILT_IN_APPLICATION_WARNING] }
        : view
    },
  )

  app.delete(
    one,
    {
      config,
      preValidation: guard('delete:applications'),
      schema: {
        tags,
        security: bearer,
        params: S.ApplicationParams,
        response: { 204: S.Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const { tenant, clientId } = request.params
      await deleteApplication(services.management, callerOf(request), tenant, clientId)
      return reply.code(204).send(null)
    },
  )
}
