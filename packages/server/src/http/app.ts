import type http from 'node:http'

import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyHttpOptions,
} from 'fastify'

import type { Services } from '../compose.js'
import { DeferredChildLogger } from './deferred-child-logger.js'
import { answerClientError, installErrorHandler, renderFrameworkError } from './errors.js'
import { TokenMetrics } from './metrics.js'
import { registerRoutes } from './routes.js'
import { serverLimits } from './server-limits.js'

function appOptions(services: Services): FastifyHttpOptions<http.Server> {
  const logger: FastifyBaseLogger = services.logger
  const limits = serverLimits(services.config)
  return {
    loggerInstance: logger,
    // Per-request log lines would cost throughput and risk logging URLs; errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (parent, bindings, options) =>
      new DeferredChildLogger(parent, bindings, options),
    bodyLimit: 1_048_576,
    return503OnClosing: true,
    trustProxy: services.config.trustProxy,
    forceCloseConnections: true,
    // Fastify sets these three on the server after creating it (its requestTimeout default, 0,
    // would switch Node's off); `http` carries the ones only the constructor takes.
    http: limits.http,
    requestTimeout: limits.http.requestTimeout,
    keepAliveTimeout: limits.http.keepAliveTimeout,
    connectionTimeout: limits.socketIdleTimeoutMs,
    frameworkErrors: renderFrameworkError,
    clientErrorHandler: answerClientError,
    // Query strings arrive as text, so scalars are coerced (`limit=5`); never arrays, which would
    // let a one-item JSON array through a `string | null` field as its only element.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true } },
  }
}

/**
 * The public server. Its metrics are recorded in `metrics` and served elsewhere
 * (`listenForMetrics`), never on this port.
 */
export async function buildHttpApp(
  services: Services,
  metrics: TokenMetrics = new TokenMetrics(services),
): Promise<FastifyInstance> {
  const app = Fastify(appOptions(services))
  app.server.maxConnections = serverLimits(services.config).maxConnections
  installErrorHandler(app, services.storageHealth)
  await registerRoutes(app, services, metrics, () => buildManagementApp(services))
  return app
}

/**
 * The admin API and the console, as an app of their own that the public server hands their
 * requests to (routes.ts). It is built on the first such request: a node that only issues
 * tokens never loads their modules, schemas and validators (idle RSS 104 MB against 144 MB).
 */
async function buildManagementApp(services: Services): Promise<FastifyInstance> {
  // Same options, so the same limits, proxy trust, logging and error format; its own server
  // is never listened on.
  const app = Fastify(appOptions(services))
  installErrorHandler(app, services.storageHealth)
  const { registerManagementRoutes } = await import('./management-routes.js')
  await registerManagementRoutes(app, services)
  await app.ready()
  return app
}
