import type { FastifyInstance } from 'fastify'

import type { Services } from '../compose.js'

export function registerHealthRoutes(app: FastifyInstance, services: Services): void {
  app.get('/healthz', () => ({ status: 'ok' }))
  /**
   * 503 only when this node cannot serve (storage unreachable). A bus or Redis outage is
   * `degraded` with 200: every node shares it, and taking them all out would be worse.
   */
  app.get('/readyz', async (request, reply) => {
    const changes = { transport: services.changes.transport, health: services.changes.health }
    const rateLimits = {
      shared: services.limiter.shared,
      health: services.limiter.healthy ? 'ok' : 'degraded',
    }
    const degraded = changes.health !== 'ok' || rateLimits.health !== 'ok'
    try {
      await services.storage.ping()
    } catch (error) {
      request.log.warn({ err: error }, 'storage is not reachable')
      return reply
        .code(503)
        .header('Cache-Control', 'no-store')
        .send({ status: 'unavailable', storage: 'unreachable', changes, rate_limits: rateLimits })
    }
    return reply.header('Cache-Control', 'no-store').send({
      status: degraded ? 'degraded' : 'ready',
      storage: 'ok',
      changes,
      rate_limits: rateLimits,
    })
  })
}
