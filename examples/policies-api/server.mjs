// A small API protected with @tokenmint/verify: GET needs read:assigned-policies, POST needs
// create:assigned-policies. Configuration comes from the environment; see README.md.
import http from 'node:http'

import { createVerifier } from '@tokenmint/verify'
import { authenticate } from '@tokenmint/verify/node'

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback
  if (value === undefined) {
    console.error(`error: set ${name}`)
    process.exit(1)
  }
  return value
}

const verifier = createVerifier({
  issuer: env('TOKENMINT_ISSUER'),
  audience: env('API_AUDIENCE'),
  revocationFeed: process.env.TOKENMINT_FEED_CLIENT_ID
    ? {
        clientId: env('TOKENMINT_FEED_CLIENT_ID'),
        clientSecret: env('TOKENMINT_FEED_CLIENT_SECRET'),
      }
    : undefined,
})

const policies = [{ id: 'pol_1', name: 'Password rotation', assigned_to: 'engineering' }]

const server = http.createServer(async (request, response) => {
  const { pathname } = new URL(request.url ?? '/', 'http://localhost')
  if (pathname === '/healthz') return response.end('ok')
  if (pathname !== '/v1/assigned-policies') return response.writeHead(404).end()
  const required = request.method === 'POST' ? 'create:assigned-policies' : 'read:assigned-policies'
  const claims = await authenticate(verifier, request, response, { all: [required] })
  if (!claims) return
  response.setHeader('content-type', 'application/json')
  if (request.method === 'POST') {
    const created = {
      id: `pol_${policies.length + 1}`,
      name: 'New policy',
      assigned_by: claims.client_id,
    }
    policies.push(created)
    return response.writeHead(201).end(JSON.stringify(created))
  }
  response.end(JSON.stringify({ items: policies, caller: claims.client_id }))
})

await verifier.ready
const port = Number(env('PORT', '3000'))
server.listen(port, '127.0.0.1', () => console.log(`policies API on http://127.0.0.1:${port}`))
process.on('SIGTERM', () => {
  verifier.close()
  server.close(() => process.exit(0))
})
