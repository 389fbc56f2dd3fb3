import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { freePort } from '../../server/test/support/server.js'
import { setUpTenant, startServer, type TestServer } from './support.js'

const EXAMPLE = path.resolve(import.meta.dirname, '../../../examples/policies-api/server.mjs')

/** The server and the example API as separate processes, as they run in production. */
describe('examples/policies-api follows revocations', () => {
  let server: TestServer
  let tenant: Awaited<ReturnType<typeof setUpTenant>>
  let api: ChildProcess | undefined
  let apiUrl: string
  let env: NodeJS.ProcessEnv

  async function startApi(): Promise<void> {
    api = spawn(process.execPath, [EXAMPLE], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${apiUrl}/healthz`).catch(() => undefined))?.ok) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error('the example API did not start')
  }

  beforeAll(async () => {
    server = await startServer()
    tenant = await setUpTenant(server)
    const port = await freePort()
    apiUrl = `http://127.0.0.1:${port}`
    env = {
      ...process.env,
      TOKENMINT_ISSUER: server.issuer,
      API_AUDIENCE: tenant.api.audience,
      TOKENMINT_FEED_CLIENT_ID: tenant.feed.clientId,
      TOKENMINT_FEED_CLIENT_SECRET: tenant.feed.clientSecret,
      PORT: String(port),
    }
    await startApi()
  })
  afterAll(async () => {
    api?.kill('SIGTERM')
    await server.stop()
  })

  const call = (token: string, method = 'GET') =>
    fetch(`${apiUrl}/v1/assigned-policies`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    })

  it('serves a valid token, refuses a missing scope, then refuses the token within a second of the revoke, also after a restart', async () => {
    const token = await tenant.mint()
    expect((await call(token)).status).toBe(200)
    expect((await call(token, 'POST')).status).toBe(403)

    const revoke = await server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/applications/${tenant.app.clientId}/revoke`,
    )
    const revokedAt = performance.now()
    expect(revoke.status).toBe(200)
    let delayMs = Number.POSITIVE_INFINITY
    for (let i = 0; i < 200; i++) {
      if ((await call(token)).status === 401) {
        delayMs = performance.now() - revokedAt
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    console.log(
      `the example API refused the revoked application's token ${delayMs.toFixed(1)} ms after the revoke returned`,
    )
    expect(delayMs).toBeLessThan(1000)

    api?.kill('SIGTERM')
    await new Promise((resolve) => api?.once('exit', resolve))
    await startApi()
    const afterRestart = await call(token)
    expect(afterRestart.status).toBe(401)
    expect(afterRestart.headers.get('www-authenticate')).toContain('revoked')
  })
})
