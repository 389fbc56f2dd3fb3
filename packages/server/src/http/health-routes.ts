import type { FastifyInstance } from 'fastify'

import type { Services } from '../compose.js'

export function registerHealthRoutes(app: FastifyInstance, services: Services): void {
  app.get('/healthz', () => ({ status: 'ok' }))
  app.get('/readyz', async (request, reply) => {
    try {
      await services.storage.ping()
      return { status: 'ready', storage: 'ok' }
    } catch (error) {
      request.log.warn({ err: error }, 'storage is not reachable')
      return reply.code(503).send({ status: 'unavailable', storage: 'unreachable' })
    }
  })
}
