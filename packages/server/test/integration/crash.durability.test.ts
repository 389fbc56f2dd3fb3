import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'

import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'

import { basic, createApi, createApplication } from '../support/fixtures.js'
import { freePort, startServer, temporaryDir } from '../support/server.js'

const BIN = path.resolve(import.meta.dirname, '../../bin/tokenmint.js')

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('server did not start')
}

describe('a crash (kill -9) during a burst of token requests', () => {
  it('loses no committed change and no audit record of a token that reached a client', async () => {
    // Set up the data dir in-process, then run the server as its own process to kill it.
    const dataDir = temporaryDir()
    const port = await freePort()
    const setup = await startServer({ dataDir, port })
    const api = await createApi(setup)
    const app = await createApplication(setup, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    await setup.stop()

    const url = `http://127.0.0.1:${port}`
    const env = {
      ...process.env,
      TOKENMINT_LOG_LEVEL: 'silent',
      // Any free port: the default metrics address, 127.0.0.1:9464, would collide between tests.
      TOKENMINT_METRICS_LISTEN: '127.0.0.1:0',
      TOKENMINT_PROFILE: path.join(dataDir, 'profile.json'),
    }
    const server: ChildProcess = spawn(
      process.execPath,
      [BIN, 'serve', '--data-dir', dataDir, '--port', String(port), '--tenant', 'acme'],
      { env },
    )
    await waitReady(url)

    const received: string[] = []
    let stop = false
    const worker = async () => {
      // Bounded: at most 400 requests per worker, and the loop ends when the server dies.
      for (let i = 0; i < 400 && !stop; i++) {
        try {
          const response = await fetch(`${url}/t/acme/oauth/token`, {
            method: 'POST',
            headers: {
              authorization: basic(app.clientId, app.clientSecret),
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: 'grant_type=client_credentials',
          })
          if (response.status === 200)
            received.push(((await response.json()) as { access_token: string }).access_token)
        } catch {
          return
        }
      }
    }
    const workers = Array.from({ length: 16 }, worker)
    while (received.length < 100) await new Promise((resolve) => setTimeout(resolve, 5))
    server.kill('SIGKILL')
    stop = true
    await Promise.all(workers)
    expect(received.length).toBeGreaterThanOrEqual(100)

    const restarted = await startServer({ dataDir, port, admin: setup.admin })
    try {
      await fetch(`${restarted.url}/healthz`).catch(() => undefined)
      const jtis = new Set<string>()
      let cursor: string | null = null
      do {
        const query: string = `client_id=${app.clientId}&type=token.issued&limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`
        const page = (await (
          await restarted.admin_('GET', `/admin/v1/tenants/acme/audit?${query}`)
        ).json()) as {
          items: { data: { jti: string } }[]
          next_cursor: string | null
        }
        for (const event of page.items) jtis.add(event.data.jti)
        cursor = page.next_cursor
      } while (cursor !== null)
      const missing = received.map((t) => decodeJwt(t).jti!).filter((jti) => !jtis.has(jti))
      expect(missing).toEqual([])
      // The application created before the crash is intact and still works.
      const again = await fetch(`${restarted.issuer}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: basic(app.clientId, app.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      })
      expect(again.status).toBe(200)
    } finally {
      await restarted.stop()
    }
  })
})
