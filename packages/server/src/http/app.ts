import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'

import type { Services } from '../compose.js'
import { DeferredChildLogger } from './deferred-child-logger.js'
import { installErrorHandler } from './errors.js'
import { registerRoutes } from './routes.js'

export async function buildHttpApp(services: Services): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = services.logger
  const app = Fastify({
    loggerInstance: logger,
    // Per-request log lines would cost throughput and risk logging URLs; errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (parent, bindings, options) =>
      new DeferredChildLogger(parent, bindings, options),
    bodyLimit: 1_048_576,
    return503OnClosing: true,
    trustProxy: services.config.trustProxy,
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  })
  installErrorHandler(app)
  await registerRoutes(app, services)
  return app
}
