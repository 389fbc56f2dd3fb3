import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

import type { Services } from '../compose.js'
import { ValidationError } from '../domain/errors.js'
import { recordScopeUse } from '../management/insights.js'
import { OAuthError } from '../oauth/errors.js'
import { authenticateResourceServer, introspect } from '../oauth/introspection.js'
import { revokeToken } from '../oauth/token-revocation.js'
import {
  isValidCursor,
  type RevocationFeedEntry,
  type RevocationFeedPage,
} from '../oauth/revocation-feed.js'
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

/** One tenant's feed, or the deployment's: what a page and a stream read. */
interface FeedSource {
  read(since: string | undefined): Promise<RevocationFeedPage>
  onChange(listener: () => void): () => void
}

function feedOf(services: Services, tenantId: string | undefined): FeedSource {
  return {
    read: (since) =>
      tenantId === undefined
        ? services.revocations.readAll(since)
        : services.revocations.read(tenantId, since),
    onChange: (listener) => services.revocations.onChange(tenantId, listener),
  }
}

/** Server-Sent Events: catch-up after the cursor, `ready`, then entries as they are committed. */
async function stream(
  feed: FeedSource,
  request: FastifyRequest,
  reply: FastifyReply,
  since: string | undefined,
) {
  const first = await feed.read(since)
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
          const page = await feed.read(cursor)
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
  const unsubscribe = feed.onChange(() => void catchUp())
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

/** A page as JSON, or with `Accept: text/event-stream`, the live stream. */
async function answerFeed(feed: FeedSource, request: FastifyRequest, reply: FastifyReply) {
  const since = cursorOf(request)
  if ((request.headers.accept ?? '').includes('text/event-stream')) {
    await stream(feed, request, reply, since)
    return reply
  }
  void reply.headers(NO_STORE)
  return feed.read(since)
}

/**
 * The root tenant's id, looked up once: it is created when the deployment is initialised and
 * never changes. A failed or empty look-up is not kept, so the next request tries again.
 */
function rootTenantFinder(services: Services): () => Promise<string | undefined> {
  let found: Promise<string | undefined> | undefined
  return () => {
    found ??= services.storage.tenants.list().then((tenants) => {
      const id = tenants.find((t) => t.isRoot)?.id
      if (id === undefined) found = undefined
      return id
    })
    return found.catch((error: unknown) => {
      found = undefined
      throw error
    })
  }
}

/** RFC 7662 introspection, RFC 7009 revocation and the revocation feed. */
export function registerRevocationRoutes(oauth: FastifyInstance, services: Services): void {
  const config = { errorFormat: 'oauth' as const }
  const rootTenant = rootTenantFinder(services)
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
      return answerFeed(feedOf(services, request.params.tenant), request, reply)
    },
  )

  // Every tenant's feed in one, each entry naming its tenant: for a verifier of every tenant of
  // the deployment. Only a resource server of the root tenant may read it; any other tenant's
  // credentials are refused exactly as a wrong secret is (invalid_client).
  oauth.get('/oauth/revocations', { config }, async (request, reply) => {
    const root = await rootTenant()
    if (root === undefined)
      throw new OAuthError('invalid_client', 'the deployment is not initialised yet')
    await authenticateResourceServer(
      services.protectedEndpoints,
      root,
      {},
      { authorization: request.headers.authorization, ip: request.ip },
    )
    return answerFeed(feedOf(services, undefined), request, reply)
  })
}
