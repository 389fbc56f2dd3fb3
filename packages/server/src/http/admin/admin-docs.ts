import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

/**
 * Swagger UI's own files, from the package (no CDN): scripts and styles from this origin only.
 * Swagger UI sets inline `style` attributes and draws some icons as data: images, hence those two
 * allowances; `connect-src 'self'` lets "Try it out" call this server's admin API only.
 */
const DOCS_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
}

/**
 * The admin API's OpenAPI document rendered for people at `/admin/v1/docs`, in the context where
 * @fastify/swagger is registered (admin-routes.ts).
 */
export async function registerAdminDocs(root: FastifyInstance): Promise<void> {
  await root.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply) => {
      void reply.headers(DOCS_HEADERS)
    })
    await scope.register(swaggerUi, {
      routePrefix: '/admin/v1/docs',
      // The header above replaces the plugin's, which would add `upgrade-insecure-requests` and
      // break the page on a plain-HTTP loopback install.
      staticCSP: false,
      // No call to the public validator service: the page talks to this server alone.
      uiConfig: { validatorUrl: null, deepLinking: true },
    })
  })
}
