import http from 'node:http'
import net from 'node:net'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { basic, createApplication } from '../support/fixtures.js'
import { until } from '../support/nodes.js'
import { startServer, type TestServer } from '../support/server.js'

/** Small limits so the attacks are cut in seconds; production defaults are 60/15/10/30 s. */
const LIMITS = {
  TOKENMINT_REQUEST_TIMEOUT: '2',
  TOKENMINT_HEADERS_TIMEOUT: '1',
  TOKENMINT_KEEP_ALIVE_TIMEOUT: '1',
  TOKENMINT_SOCKET_IDLE_TIMEOUT: '1',
}
const REQUEST_TIMEOUT_MS = 2000
/** Node checks deadlines on a timer, and a loaded machine adds scheduling delay. */
const MARGIN_MS = 1500

const sockets = new Set<net.Socket>()
const timers = new Set<NodeJS.Timeout>()

interface Closed {
  /** From connecting until the server closed the connection. */
  afterMs: number
  received: string
}

/** A raw connection; resolves `closed` when the server ends it (or after `withinMs`, failing). */
function connect(port: number, withinMs = 15_000) {
  const started = performance.now()
  const socket = net.connect(port, '127.0.0.1')
  sockets.add(socket)
  let received = ''
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()))
  // Writes racing the server's close fail with EPIPE/ECONNRESET; the close is what we assert.
  socket.on('error', () => undefined)
  const closed = new Promise<Closed>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the server kept the connection open for ${withinMs} ms`))
    }, withinMs)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ afterMs: performance.now() - started, received })
    })
  })
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  return { socket, closed, connected }
}

/** Headers announcing a 100-byte body, then one byte every 500 ms: it would take 50 s. */
function trickleBody(port: number) {
  const connection = connect(port)
  connection.socket.write(
    'POST /t/acme/oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n',
  )
  const timer = setInterval(() => {
    if (connection.socket.writable) connection.socket.write('a')
  }, 500)
  timers.add(timer)
  void connection.closed.finally(() => clearInterval(timer)).catch(() => undefined)
  return connection
}

afterAll(() => {
  for (const timer of timers) clearInterval(timer)
  for (const socket of sockets) socket.destroy()
})

describe('connection timeouts', () => {
  let server: TestServer
  let port: number

  beforeAll(async () => {
    server = await startServer({ env: LIMITS })
    port = Number(new URL(server.url).port)
  })
  afterAll(() => server.stop())

  it('cuts a request whose body trickles in with 408 once the request timeout passes', async () => {
    const { closed } = trickleBody(port)
    const { afterMs, received } = await closed
    expect(received).toMatch(/^HTTP\/1\.1 408 /)
    expect(afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100)
    expect(afterMs).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS)
  })

  it('closes a connection that sends nothing', async () => {
    const { closed } = connect(port)
    const { afterMs, received } = await closed
    // The headers timeout (408) or the idle timeout (a bare close), whichever fires first.
    expect(received === '' || /^HTTP\/1\.1 408 /.test(received)).toBe(true)
    expect(afterMs).toBeLessThan(1000 + MARGIN_MS)
  })

  it('closes a keep-alive connection left idle after its response', async () => {
    const { socket, closed, connected } = connect(port)
    await connected
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    const { received, afterMs } = await closed
    expect(received).toMatch(/^HTTP\/1\.1 200 /)
    // Node adds a second to the advertised keep-alive timeout.
    expect(afterMs).toBeLessThan(1000 + 1000 + MARGIN_MS)
  })

  it('keeps serving health checks and tokens while 50 connections trickle bodies, then cuts them all', async () => {
    const attack = Array.from({ length: 50 }, () => trickleBody(port))
    await Promise.all(attack.map((a) => a.connected))
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      statuses.push((await fetch(`${server.url}/healthz`)).status)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200])
    await expect(server.adminToken()).resolves.toMatch(/^ey/)
    const cut = await Promise.all(attack.map((a) => a.closed))
    for (const { afterMs, received } of cut) {
      expect(received).toMatch(/^HTTP\/1\.1 408 /)
      expect(afterMs).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS)
    }
  })

  it('keeps the revocation feed open and streaming past the request and idle timeouts', async () => {
    const reader = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
      name: 'feed reader',
      can_introspect: true,
    })
    const credentials = (await reader.json()) as { client_id: string; client_secret: string }
    const victim = await createApplication(server)
    let text = ''
    let closedEarly = false
    const request = http.get(`${server.issuer}/oauth/revocations`, {
      headers: {
        accept: 'text/event-stream',
        authorization: basic(credentials.client_id, credentials.client_secret),
      },
    })
    request.on('error', () => undefined)
    request.on('response', (response) => {
      response.on('data', (chunk: Buffer) => (text += chunk.toString()))
      response.on('close', () => (closedEarly = true))
    })
    try {
      await until('the feed to be ready', 5000, () =>
        Promise.resolve(text.includes('event: ready') ? true : undefined),
      )
      // Longer than the request timeout (2 s) and the idle timeout (1 s).
      await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS + 1000))
      expect(closedEarly).toBe(false)
      const revoked = await server.admin_(
        'POST',
        `/admin/v1/tenants/${server.tenant}/applications/${victim.clientId}/revoke`,
      )
      expect(revoked.status).toBe(200)
      await until('the revocation on the open feed', 5000, () =>
        Promise.resolve(text.includes(`"client_id":"${victim.clientId}"`) ? true : undefined),
      )
      expect(closedEarly).toBe(false)
    } finally {
      request.destroy()
    }
  })
})

describe('connection cap', () => {
  let server: TestServer
  let port: number

  beforeAll(async () => {
    server = await startServer({ env: { TOKENMINT_MAX_CONNECTIONS: '5' } })
    port = Number(new URL(server.url).port)
  })
  afterAll(() => server.stop())

  const openConnections = () =>
    new Promise<number>((resolve, reject) => {
      server.app.server.getConnections((error, count) => {
        if (error) reject(error)
        else resolve(count)
      })
    })

  it('refuses connections beyond TOKENMINT_MAX_CONNECTIONS, and serves again once they close', async () => {
    const held = Array.from({ length: 5 }, () => connect(port))
    await until('five connections held', 5000, async () =>
      (await openConnections()) === 5 ? true : undefined,
    )
    const refused = connect(port, 5000)
    refused.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    const { received, afterMs } = await refused.closed
    expect(received).toBe('')
    expect(afterMs).toBeLessThan(1000)

    for (const connection of held) connection.socket.destroy()
    const status = await until('health checks served again', 5000, async () => {
      const response = await fetch(`${server.url}/healthz`).catch(() => undefined)
      return response?.status
    })
    expect(status).toBe(200)
  })
})
