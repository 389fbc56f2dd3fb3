import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

import type { Services } from '../compose.js'
import { ValidationError } from '../domain/errors.js'
import { recordScopeUse } from '../management/insights.js'
import { OAuthError } from '../oauth/errors.js'
import { authenticateResourceServer, introspect } from '../oauth/introspection.js'
import { revokeToken } from '../oauth/token-revocation.js'
import { isValidCursor, type RevocationFeedEntry } from '../oauth/revocation-feed.js'
import { NO_STORE } from './errors.js'
import { HEARTBEAT_MS, startEventStream } from './event-stream.js'
import { requestParameters } from './oauth-parameters.js'

interface TenantParams {
  tenant: string
}

function cursorOf(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown>
  const raw =
    request.headers['last-event-id'] ??
    (typeof query['since'] === 'string' ? query['since'] : undefined)
  const value = Array.isArray(raw) ? raw[0] : raw
  if (value === undefined || value === '') return undefined
  if (!isValidCursor(value))
    throw new OAuthError(
      'invalid_request',
      'since (or Last-Event-ID) must be a cursor the feed returned',
    )
  return value
}

/** Server-Sent Events: catch-up after the cursor, `ready`, then entries as they are committed. */
async function stream(
  services: Services,
  request: FastifyRequest<{ Params: TenantParams }>,
  reply: FastifyReply,
  since: string | undefined,
) {
  const { tenant } = request.params
  const first = await services.revocations.read(tenant, since)
  const raw = startEventStream(request, reply)
  let cursor = first.next_cursor ?? undefined
  const send = (entry: RevocationFeedEntry) => {
    raw.write(`id: ${entry.cursor}\nevent: revocation\ndata: ${JSON.stringify(entry)}\n\n`)
    cursor = entry.cursor
  }
  first.entries.forEach(send)
  let pending: Promise<void> = Promise.resolve()
  const catchUp = () => {
    // Serialised, so entries leave in cursor order exactly once.
    pending = pending
      .then(async () => {
        for (;;) {
          const page = await services.revocations.read(tenant, cursor)
          page.entries.forEach(send)
          if (!page.has_more) return
        }
      })
      .catch((error: unknown) => {
        request.log.warn({ err: error }, 'revocation feed read failed')
      })
    return pending
  }
  if (first.has_more) await catchUp()
  raw.write(`event: ready\ndata: ${JSON.stringify({ cursor: cursor ?? null })}\n\n`)
  const unsubscribe = services.revocations.onChange(tenant, () => void catchUp())
  // A periodic read as well, so a missed notification delays an entry by one heartbeat at most.
  const heartbeat = setInterval(() => {
    raw.write(': heartbeat\n\n')
    void catchUp()
  }, HEARTBEAT_MS)
  raw.on('close', () => {
    unsubscribe()
    clearInterval(heartbeat)
  })
}

/** RFC 7662 introspection, RFC 7009 revocation and the revocation feed. */
export function registerRevocationRoutes(oauth: FastifyInstance, services: Services): void {
  const config = { errorFormat: 'oauth' as const }
  const post = { config, bodyLimit: services.config.tokenBodyLimitBytes }

  oauth.post(
    '/t/:tenant/oauth/introspect',
    post,
    async (request: FastifyRequest<{ Params: TenantParams }>, reply) => {
      const result = await introspect(
        services.protectedEndpoints,
        request.params.tenant,
        requestParameters(request.body),
        { authorization: request.headers.authorization, ip: request.ip },
      )
      void reply.headers(NO_STORE)
      return result
    },
  )

  oauth.post(
    '/t/:tenant/oauth/revoke',
    post,
    async (request: FastifyRequest<{ Params: TenantParams }>, reply) => {
      await revokeToken(
        services.protectedEndpoints,
        request.params.tenant,
        requestParameters(request.body),
        { authorization: request.headers.authorization, ip: request.ip },
      )
      // RFC 7009 §2.2: 200 with an empty body; `{}` as JSON, which every client library can parse.
      void reply.headers(NO_STORE)
      return {}
    },
  )

  // A Tokenmint extension: @tokenmint/verify's opt-in report of the scopes its checks required
  // (docs/insights.md), with the same credentials it follows the feed with.
  oauth.post(
    '/t/:tenant/oauth/scope-usage',
    { config, bodyLimit: 262_144 },
    async (request: FastifyRequest<{ Params: TenantParams }>, reply) => {
      await authenticateResourceServer(
        services.protectedEndpoints,
        request.params.tenant,
        {},
        { authorization: request.headers.authorization, ip: request.ip },
      )
      try {
        await recordScopeUse(services.management, request.params.tenant, request.body)
      } catch (error) {
        if (error instanceof ValidationError) throw new OAuthError('invalid_request', error.message)
        throw error
      }
      return reply.code(204).headers(NO_STORE).send()
    },
  )

  oauth.get(
    '/t/:tenant/oauth/revocations',
    { config },
    async (request: FastifyRequest<{ Params: TenantParams }>, reply) => {
      await authenticateResourceServer(
        services.protectedEndpoints,
        request.params.tenant,
        {},
        { authorization: request.headers.authorization, ip: request.ip },
      )
      const since = cursorOf(request)
      if ((request.headers.accept ?? '').includes('text/event-stream')) {
        await stream(services, request, reply, since)
        return reply
      }
      void reply.headers(NO_STORE)
      return services.revocations.read(request.params.tenant, since)
    },
  )
}
