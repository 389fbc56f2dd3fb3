import type { FastifyInstance } from 'fastify'

import type { Services } from '../compose.js'
import { handleGithubAlert } from '../management/github-alerts.js'

/**
 * `POST /leaks/github`: GitHub's secret-scanning partner alerts. Unauthenticated but for the
 * signature, which is checked over the exact bytes received, so this route takes its body raw.
 */
export async function registerLeakRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const keys = services.githubScanningKeys
  if (keys === undefined) return
  await app.register((raw, _options, done) => {
    raw.removeAllContentTypeParsers()
    raw.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: 1_048_576 },
      (_request, body, done) => {
        done(null, body)
      },
    )
    raw.post('/leaks/github', async (request, reply) => {
      const header = (name: string) => {
        const value = request.headers[name]
        return typeof value === 'string' ? value : undefined
      }
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      const answer = await handleGithubAlert(services.management, keys, body, {
        identifier: header('github-public-key-identifier'),
        signature: header('github-public-key-signature'),
      })
      if (answer.failure !== undefined)
        request.log.warn(
          { err: answer.failure },
          'a GitHub secret-scanning alert could not be handled',
        )
      if (answer.outcomes !== undefined) {
        const revoked = answer.outcomes.filter((o) => o.startsWith('revoked')).length
        request.log.info(
          { tokens: answer.outcomes.length, revoked },
          'GitHub secret-scanning alert handled',
        )
      }
      return reply
        .code(answer.status)
        .headers({ 'cache-control': 'no-store', ...answer.headers })
        .type(answer.status === 200 ? 'application/json' : 'application/problem+json')
        .send(answer.body)
    })
    done()
  })
}
