import cookie from '@fastify/cookie'
import type { FastifyInstance } from 'fastify'

import type { Services } from '../compose.js'
import { registerAdminRoutes } from './admin/admin-routes.js'
import { registerConsoleRoutes } from './console/console-routes.js'

/** `/admin/v1/*` and `/console/*`: the management app's routes (app.ts builds it on first use). */
export async function registerManagementRoutes(
  app: FastifyInstance,
  services: Services,
): Promise<void> {
  // Only the console and the admin API read the session cookie, so only their requests pay for
  // cookie parsing; the token endpoint's do not.
  await app.register(cookie)
  await registerConsoleRoutes(app, services)
  await registerAdminRoutes(app, services)
}
