import type { FastifyInstance } from 'fastify'

import type { Services } from '../compose.js'

export function registerHealthRoutes(app: FastifyInstance, services: Services): void {
  app.get('/healthz', () => ({ status: 'ok' }))
  /**
   * 503 only when this node cannot serve: storage unreachable, or not taking writes (a full
   * disk answers `select 1` all along, so StorageHealth tracks the failures and probes with a
   * write until one commits). A bus or Redis outage is `degraded` with 200: every node shares
   * it, and taking them all out would be worse. Failures are logged by StorageHealth, once.
   */
  app.get('/readyz', async (_request, reply) => {
    const changes = { transport: services.changes.transport, health: services.changes.health }
    const rateLimits = {
      shared: services.limiter.shared,
      health: services.limiter.healthy ? 'ok' : 'degraded',
    }
    const degraded = changes.health !== 'ok' || rateLimits.health !== 'ok'
    let storage: 'ok' | 'unreachable' | 'unwritable' = 'ok'
    try {
      await services.storage.ping()
      if (!(await services.storageHealth.check())) storage = 'unwritable'
    } catch (error) {
      services.storageHealth.failed(error)
      storage = 'unreachable'
    }
    void reply.header('Cache-Control', 'no-store')
    if (storage !== 'ok') {
      return reply
        .code(503)
        .send({ status: 'unavailable', storage, changes, rate_limits: rateLimits })
    }
    return reply.send({
      status: degraded ? 'degraded' : 'ready',
      storage,
      changes,
      rate_limits: rateLimits,
    })
  })
}
