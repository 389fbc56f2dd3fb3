import type { Services } from '../../compose.js'
import { createPortalLink, portalLinkUrl } from '../../management/portal-links.js'
import type { AdminApp } from './api-routes.js'
import { bearer, callerOf, config, errors, guardFor } from './route-kit.js'
import * as S from './schemas.js'

const PortalLinkBody = S.Type.Object(
  {
    email: S.Type.String({
      minLength: 3,
      maxLength: 128,
      description: "The person's email address: their console username in the tenant.",
    }),
    name: S.Type.Optional(
      S.Type.String({ maxLength: 200, description: 'Shown in the audit log.' }),
    ),
    role: S.Type.Union([S.Type.Literal('admin'), S.Type.Literal('viewer')]),
    return_url: S.Type.Optional(
      S.Type.String({
        maxLength: 2048,
        description: "Where the console's back link leads: the vendor's settings page.",
      }),
    ),
    session_lifetime_seconds: S.Type.Optional(
      S.Type.Integer({
        minimum: 300,
        maximum: 43_200,
        description: 'How long the console session the link starts may last (default 3600).',
      }),
    ),
  },
  { additionalProperties: false },
)

const PortalLink = S.Type.Object({
  url: S.Type.String({
    description:
      'Single-use: the first visit signs the person in. Hand it to the person now; it is not stored.',
  }),
  expires_at: S.Type.String({ format: 'date-time' }),
})

/**
 * Portal links (platform mode): root credentials with `manage:tenants` get a single-use URL
 * that signs a named person in to a tenant's console with a role, for a few minutes.
 */
export function registerPortalLinkRoutes(app: AdminApp, services: Services): void {
  const guard = guardFor(services)
  app.post(
    '/admin/v1/tenants/:tenant/portal-links',
    {
      config,
      preValidation: guard('manage:tenants', 'root'),
      schema: {
        tags: ['tenants'],
        security: bearer,
        description:
          "Returns a single-use URL, valid five minutes, that signs the person named in to the tenant's console with the role given (admin or viewer; never owner). Root tenant only, with manage:tenants.",
        params: S.TenantParams,
        body: PortalLinkBody,
        response: { 201: PortalLink, ...errors },
      },
    },
    async (request, reply) => {
      const created = await createPortalLink(
        services.management,
        callerOf(request).actor,
        request.params.tenant,
        {
          email: request.body.email,
          name: request.body.name,
          role: request.body.role,
          returnUrl: request.body.return_url,
          sessionLifetimeSeconds: request.body.session_lifetime_seconds,
        },
      )
      return reply
        .code(201)
        .header('Cache-Control', 'no-store')
        .send({
          url: portalLinkUrl(services.config.publicUrl, created.secret),
          expires_at: created.expiresAt.toISOString(),
        })
    },
  )
}
