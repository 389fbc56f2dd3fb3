import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

import type { Services } from '../compose.js'
import { registerHealthRoutes } from './health-routes.js'
import { registerLeakRoutes } from './leak-routes.js'
import type { TokenMetrics } from './metrics.js'
import { registerOAuthRoutes } from './oauth-routes.js'

/**
 * Every route of the server, on one screen:
 *
 *   GET  /healthz, /readyz                                   health-routes.ts
 *   GET  /t/:tenant/.well-known/oauth-authorization-server   oauth-routes.ts (RFC 8414)
 *   GET  /t/:tenant/.well-known/openid-configuration         oauth-routes.ts
 *   GET  /.well-known/oauth-authorization-server/t/:tenant   oauth-routes.ts (RFC 8414 §3.1)
 *   GET  /t/:tenant/.well-known/jwks.json                    oauth-routes.ts
 *   POST /t/:tenant/oauth/token, /oauth/token                oauth-routes.ts (RFC 6749 §3.2)
 *   POST /t/:tenant/oauth/introspect                         revocation-routes.ts (RFC 7662)
 *   POST /t/:tenant/oauth/revoke                             revocation-routes.ts (RFC 7009)
 *   GET  /t/:tenant/oauth/revocations                        revocation-routes.ts (JSON or SSE)
 *   GET  /oauth/revocations                                  revocation-routes.ts (every tenant; root resource servers)
 *   POST /leaks/github (GitHub secret-scanning alerts)       leak-routes.ts
 *   GET  /                                                   here: redirects to /console/
 * The management app (management-routes.ts, built on the first request for it):
 *
 *   GET  /admin/v1/openapi.json                              admin/admin-routes.ts
 *   GET  /admin/v1/docs[/*] (the OpenAPI document, rendered) admin/admin-docs.ts
 *   *    /admin/v1/tenants[/:tenant[/apis|applications|users|administrators|keys|audit]]
 *                                                            admin/admin-routes.ts
 *   *    /console/api/session (sign in, who am I, sign out)  console/console-routes.ts
 *   GET  /console/* (the web console's static files)          console/console-routes.ts
 *
 * GET /metrics is not here: it has its own listener (metrics-listener.ts).
 */
export async function registerRoutes(
  app: FastifyInstance,
  services: Services,
  metrics: TokenMetrics,
  buildManagementApp: () => Promise<FastifyInstance>,
): Promise<void> {
  registerHealthRoutes(app, services)
  // Someone who opens the server's address in a browser wants the console.
  app.get('/', (_request, reply) => reply.redirect('/console/', 302))
  registerOAuthRoutes(app, services, metrics)
  await registerLeakRoutes(app, services)
  await handOver(app, ['/admin', '/console'], buildManagementApp)
}

/**
 * Passes every request under `prefixes` to another Fastify app, built by `build` when the first
 * one arrives, with the request still unread: that app parses, limits and answers it as if it
 * had accepted the connection itself. A hook added to `app` at its root would not run for these
 * requests (they are hijacked): add it to both apps, as the error handler is (app.ts).
 */
async function handOver(
  app: FastifyInstance,
  prefixes: string[],
  build: () => Promise<FastifyInstance>,
): Promise<void> {
  let ready: FastifyInstance | undefined
  let building: Promise<FastifyInstance> | undefined
  const built = () =>
    (building ??= build().then(
      (other) => (ready = other),
      (error: unknown) => {
        building = undefined // the next request tries again
        throw error
      },
    ))
  app.addHook('onClose', async () => {
    const other = await building?.catch(() => undefined)
    await other?.close()
  })
  await app.register((scope, _options, done) => {
    // Leave the body in the socket for the other app's parsers and limits.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, parsed) => {
      parsed(null, undefined)
    })
    const pass = async (request: FastifyRequest, reply: FastifyReply) => {
      let other = ready
      if (other === undefined) {
        // Building takes a moment (under a second, longer on a busy machine): the socket is
        // waiting on the server, not idle, so its idle timeout must not close it meanwhile.
        const socket = request.raw.socket
        socket.setTimeout(0)
        try {
          other = await built()
        } finally {
          socket.setTimeout(app.server.timeout)
        }
      }
      reply.hijack()
      other.routing(request.raw, reply.raw)
    }
    for (const prefix of prefixes) {
      scope.all(prefix, pass)
      scope.all(`${prefix}/*`, pass)
    }
    done()
  })
}
