import { Writable } from 'node:stream'

import Fastify, { LogController } from 'fastify'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'

import { DeferredChildLogger } from './deferred-child-logger.js'

function capturingLogger() {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    },
  })
  const logger = pino(
    { level: 'info', redact: { paths: ['client_secret'], censor: '[redacted]' } },
    stream,
  )
  return { logger, lines }
}

describe('DeferredChildLogger', () => {
  it('makes no child until a line is logged, then logs with the bindings and redaction', async () => {
    const { logger, lines } = capturingLogger()
    let children = 0
    const parent = Object.assign(Object.create(logger) as typeof logger, {
      child: (...args: Parameters<typeof logger.child>) => {
        children++
        return logger.child(...args)
      },
    })
    const deferred = new DeferredChildLogger(parent, { reqId: 'req-7' }, {})
    expect(deferred.level).toBe('info')
    expect(children).toBe(0)

    deferred.warn({ client_secret: 'tms_secret_value' }, 'refused')
    deferred.info('second line')
    await new Promise((resolve) => setImmediate(resolve))
    expect(children).toBe(1)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({ reqId: 'req-7', msg: 'refused', client_secret: '[redacted]' })
    expect(JSON.stringify(lines)).not.toContain('tms_secret_value')
    expect(lines[1]).toMatchObject({ reqId: 'req-7', msg: 'second line' })
  })

  it('is what Fastify hands to a request, and its lines still name the request', async () => {
    const { logger, lines } = capturingLogger()
    const app = Fastify({
      loggerInstance: logger,
      logController: new LogController({ disableRequestLogging: true }),
      childLoggerFactory: (parent, bindings, options) =>
        new DeferredChildLogger(parent, bindings, options),
    })
    app.get('/quiet', (request) => ({ deferred: request.log instanceof DeferredChildLogger }))
    app.get('/logs', (request) => {
      request.log.error({ client_secret: 'tms_other_value' }, 'could not do it')
      return {}
    })
    const quiet = await app.inject('/quiet')
    expect(quiet.json()).toEqual({ deferred: true })
    expect(lines).toHaveLength(0)

    await app.inject('/logs')
    await new Promise((resolve) => setImmediate(resolve))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: 'could not do it',
      reqId: expect.any(String) as unknown,
      client_secret: '[redacted]',
    })
    await app.close()
  })
})
