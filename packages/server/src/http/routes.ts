import cookie from '@fastify/cookie'
import type { FastifyInstance } from 'fastify'

import type { Services } from '../compose.js'
import { registerAdminRoutes } from './admin/admin-routes.js'
import { registerConsoleRoutes } from './console/console-routes.js'
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
): Promise<void> {
  registerHealthRoutes(app, services)
  // Someone who opens the server's address in a browser wants the console.
  app.get('/', (_request, reply) => reply.redirect('/console/', 302))
  registerOAuthRoutes(app, services, metrics)
  await registerLeakRoutes(app, services)
  // Only the console and the admin API read the session cookie, so only their requests pay for
  // cookie parsing; the token endpoint's do not.
  await app.register(async (withCookies) => {
    await withCookies.register(cookie)
    await registerConsoleRoutes(withCookies, services)
    await registerAdminRoutes(withCookies, services)
  })
}
