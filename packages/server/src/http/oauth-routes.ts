import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

import type { Services } from '../compose.js'
import { GRANT_TYPES } from '../domain/model.js'
import { OAuthError } from '../oauth/errors.js'
import { authorizationServerMetadata } from '../oauth/metadata.js'
import type { TenantRuntime } from '../oauth/tenant-keyring.js'
import { NO_STORE } from './errors.js'
import {
  acceptFormBodies,
  acceptJsonBodies,
  refuseRepeatedAuthorization,
  requestParameters,
} from './oauth-parameters.js'
import type { TokenMetrics } from './metrics.js'
import { registerRevocationRoutes } from './revocation-routes.js'
import { publishedAuditKeys } from '../management/audit-keys.js'

interface TenantParams {
  tenant: string
}

const tokenResponseSchema = {
  200: {
    type: 'object',
    properties: {
      access_token: { type: 'string' },
      token_type: { type: 'string' },
      expires_in: { type: 'integer' },
      scope: { type: 'string' },
      refresh_token: { type: 'string' },
    },
  },
} as const

async function runtimeOf(services: Services, tenantId: string): Promise<TenantRuntime> {
  const runtime = await services.keyring.get(tenantId)
  if (runtime === undefined)
    throw new OAuthError('invalid_request', `there is no tenant "${tenantId}"`, { status: 404 })
  return runtime
}

function metadataHandler(services: Services) {
  return async (request: FastifyRequest<{ Params: TenantParams }>, reply: FastifyReply) => {
    const runtime = await runtimeOf(services, request.params.tenant)
    void reply.header('Cache-Control', `public, max-age=${services.config.jwksMaxAgeSeconds}`)
    return authorizationServerMetadata(runtime.issuer, GRANT_TYPES, [
      ...new Set(runtime.publishedKeys.map((k) => k.alg)),
    ])
  }
}

/**
 * Protocol endpoints. They live in their own Fastify context so the form parser and the
 * small body limit apply to them alone.
 */
export function registerOAuthRoutes(
  app: FastifyInstance,
  services: Services,
  metrics: TokenMetrics,
): void {
  const handleToken = async (
    request: FastifyRequest<{ Params: Partial<TenantParams> }>,
    reply: FastifyReply,
  ) => {
    const query = request.query as Record<string, unknown>
    if ('client_secret' in query || 'password' in query) {
      // RFC 6749 §2.3.1 / §3.2: credentials never belong in the URL (it ends up in logs).
      throw new OAuthError(
        'invalid_request',
        'credentials must be sent in the request body or Authorization header, never in the URL',
      )
    }
    const started = performance.now()
    const tenant = request.params.tenant ?? '-'
    try {
      const parameters = requestParameters(request.body)
      const response = await services.tokenEndpoint({
        tenantId: request.params.tenant,
        parameters,
        authorization: request.headers.authorization,
        ip: request.ip,
        dpop: request.headers.dpop,
        url:
          request.params.tenant === undefined
            ? `${services.config.publicUrl}/oauth/token`
            : `${services.issuerFor(request.params.tenant)}/oauth/token`,
      })
      metrics.issued.inc({ tenant, grant_type: parameters['grant_type'] ?? '' })
      metrics.latency.observe({ outcome: 'issued' }, (performance.now() - started) / 1000)
      void reply.headers(NO_STORE)
      return response
    } catch (error) {
      metrics.refused.inc({
        tenant,
        error: error instanceof OAuthError ? error.code : 'server_error',
      })
      metrics.latency.observe({ outcome: 'refused' }, (performance.now() - started) / 1000)
      throw error
    }
  }

  void app.register((oauth, _options, done) => {
    acceptFormBodies(oauth)
    acceptJsonBodies(oauth)
    refuseRepeatedAuthorization(oauth)
    // Only the two encodings RFC 6749 and PRODUCT.md name; anything else is 415.
    oauth.removeContentTypeParser('text/plain')
    const config = { errorFormat: 'oauth' as const }
    const post = {
      config,
      bodyLimit: services.config.tokenBodyLimitBytes,
      schema: { response: tokenResponseSchema },
    }
    oauth.post('/t/:tenant/oauth/token', post, handleToken)
    oauth.post('/oauth/token', post, handleToken)

    const metadata = metadataHandler(services)
    oauth.get('/t/:tenant/.well-known/oauth-authorization-server', { config }, metadata)
    oauth.get('/t/:tenant/.well-known/openid-configuration', { config }, metadata)
    oauth.get('/.well-known/oauth-authorization-server/t/:tenant', { config }, metadata)
    oauth.get(
      '/t/:tenant/.well-known/jwks.json',
      { config },
      async (request: FastifyRequest<{ Params: TenantParams }>, reply) => {
        const runtime = await runtimeOf(services, request.params.tenant)
        void reply.header('Cache-Control', `public, max-age=${services.config.jwksMaxAgeSeconds}`)
        return { keys: runtime.publishedKeys }
      },
    )
    oauth.get(
      '/t/:tenant/.well-known/audit-keys.json',
      { config },
      async (request: FastifyRequest<{ Params: TenantParams }>, reply) => {
        await runtimeOf(services, request.params.tenant)
        // Checkpoints stay verifiable for good: retired audit keys are never withdrawn.
        void reply.header('Cache-Control', `public, max-age=${services.config.jwksMaxAgeSeconds}`)
        return publishedAuditKeys(services.management, request.params.tenant)
      },
    )
    registerRevocationRoutes(oauth, services)
    done()
  })
}
