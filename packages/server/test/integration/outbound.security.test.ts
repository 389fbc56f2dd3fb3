import fs from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'

import { OutboundError } from '../../src/outbound/errors.js'
import { OutboundFetcher, type Resolver } from '../../src/outbound/outbound-fetcher.js'
import { makeTestCertificate } from '../support/certificate.js'
import { temporaryDir } from '../support/server.js'

// Real servers on 127.0.0.1 only. The certificate is made at test time with the openssl CLI (no
// new dependency); it is its own CA and names 127.0.0.1, localhost and jwks.test.
const dir = temporaryDir('tokenmint-outbound-')
let ca: string
let key: string
let server: https.Server
let origin: string
let port: number
let stalled: net.Server
let stalledPort: number
const stalledSockets = new Set<net.Socket>()
const timers = new Set<NodeJS.Timeout>()
const hits = new Map<string, number>()
let connections = 0 // TCP connections the https server accepted
const seen: { host: string | undefined; servername: string | false | null }[] = []

function respond(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', origin)
  hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1)
  switch (url.pathname) {
    case '/jwks':
      seen.push({
        host: req.headers.host,
        servername: req.socket instanceof tls.TLSSocket ? req.socket.servername : false,
      })
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ keys: [] }))
      return
    case '/redirect':
      res.writeHead(302, { location: `${origin}/target` }).end()
      return
    case '/target':
      res.end('{}')
      return
    case '/big':
      res.setHeader('content-length', String(2 * 1_048_576))
      res.end(Buffer.alloc(2 * 1_048_576, 'a'))
      return
    case '/big-chunked': {
      // No content-length: the cap must be enforced while reading.
      for (let i = 0; i < 32; i++) res.write(Buffer.alloc(64 * 1024, 'a'))
      res.end()
      return
    }
    case '/silent':
      return // never answers; closed by closeAllConnections in afterAll
    case '/trickle': {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('[')
      const timer = setInterval(() => res.write('0,'), 50)
      timers.add(timer)
      res.on('close', () => {
        clearInterval(timer)
        timers.delete(timer)
      })
      return
    }
    case '/status':
      res.writeHead(503).end('{}')
      return
    default:
      res.writeHead(404).end()
  }
}

function listen(s: net.Server): Promise<number> {
  return new Promise((resolve) => {
    s.listen(0, '127.0.0.1', () => {
      resolve((s.address() as net.AddressInfo).port)
    })
  })
}

beforeAll(async () => {
  ;({ cert: ca, key } = makeTestCertificate(
    dir,
    'tokenmint outbound test',
    'IP:127.0.0.1,DNS:localhost,DNS:jwks.test',
  ))
  server = https.createServer({ cert: ca, key }, respond)
  server.on('connection', () => connections++)
  port = await listen(server)
  origin = `https://127.0.0.1:${port}`
  // Accepts TCP and never speaks TLS: the handshake must be inside the deadline too.
  stalled = net.createServer((socket) => {
    stalledSockets.add(socket)
    socket.on('close', () => stalledSockets.delete(socket))
  })
  stalledPort = await listen(stalled)
})

afterAll(async () => {
  for (const timer of timers) clearInterval(timer)
  server.closeAllConnections()
  for (const socket of stalledSockets) socket.destroy()
  await Promise.all([
    new Promise((resolve) => server.close(resolve)),
    new Promise((resolve) => stalled.close(resolve)),
  ])
  fs.rmSync(dir, { recursive: true, force: true })
})

afterEach(() => {
  vi.restoreAllMocks()
})

/** Resolves to the address of the given host, counting lookups (never the real DNS). */
function fixedResolver(addresses: string[]): Resolver & { calls: string[] } {
  const calls: string[] = []
  const resolve = (hostname: string) => {
    calls.push(hostname)
    return Promise.resolve(addresses.map((address) => ({ address, family: net.isIP(address) })))
  }
  return Object.assign(resolve, { calls })
}

async function refusal(promise: Promise<unknown>): Promise<OutboundError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(OutboundError)
  return error as OutboundError
}

const loopbackAllowed = () => new OutboundFetcher({ allow: ['127.0.0.1'], ca })
const nothingAllowed = () => new OutboundFetcher({ allow: [], ca })

describe('outbound fetches: the allow-list', () => {
  it('fetches JSON from 127.0.0.1 when TOKENMINT_OUTBOUND_ALLOW lists it', async () => {
    const response = await loopbackAllowed().fetchJson(`${origin}/jwks`)
    expect(response.status).toBe(200)
    expect(response.json).toEqual({ keys: [] })
  })

  it('refuses 127.0.0.1 when the allow-list does not list it, before connecting', async () => {
    const before = connections
    const error = await refusal(nothingAllowed().fetchJson(`${origin}/jwks?token=secret`))
    expect(error.code).toBe('destination')
    expect(error.message).toContain(`127.0.0.1:${port}`)
    expect(error.message).not.toContain('secret')
    expect(connections).toBe(before)
  })

  it('refuses localhost, which resolves to loopback, without the allow-list', async () => {
    const before = connections
    const error = await refusal(nothingAllowed().fetch(`https://localhost:${port}/jwks`))
    expect(error.code).toBe('destination')
    expect(error.message).toMatch(/localhost resolves to .*loopback/)
    expect(connections).toBe(before)
  })

  it('lets a listed host name through whatever it resolves to', async () => {
    const resolve = fixedResolver(['127.0.0.1'])
    const fetcher = new OutboundFetcher({ allow: ['jwks.test'], ca, resolve })
    const response = await fetcher.fetchJson(`https://jwks.test:${port}/jwks`)
    expect(response.json).toEqual({ keys: [] })
  })

  it('connects to the address it checked, with the host name for SNI, Host and the certificate', async () => {
    const resolve = fixedResolver(['127.0.0.1'])
    const fetcher = new OutboundFetcher({ allow: ['127.0.0.1'], ca, resolve })
    seen.length = 0
    await fetcher.fetchJson(`https://jwks.test:${port}/jwks`)
    expect(resolve.calls).toEqual(['jwks.test']) // resolved once: no second lookup to rebind
    expect(seen).toEqual([{ host: `jwks.test:${port}`, servername: 'jwks.test' }])
  })

  it('checks the certificate against the host name, not the address it connects to', async () => {
    const resolve = fixedResolver(['127.0.0.1'])
    const fetcher = new OutboundFetcher({ allow: ['127.0.0.1'], ca, resolve })
    const error = await refusal(fetcher.fetch(`https://other.test:${port}/jwks`))
    expect(error.code).toBe('tls')
    expect(error.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID')
  })

  it('refuses a host name when any one of its addresses is refused, connecting to none', async () => {
    const resolve = fixedResolver(['127.0.0.1', '10.0.0.7'])
    const before = connections
    const fetcher = new OutboundFetcher({ allow: ['127.0.0.1'], ca, resolve })
    const error = await refusal(fetcher.fetch(`https://mixed.test:${port}/jwks`))
    expect(error.code).toBe('destination')
    expect(error.message).toContain('mixed.test resolves to 10.0.0.7 (private)')
    expect(connections).toBe(before)
  })
})

describe('outbound fetches: refused before any network traffic', () => {
  const table: { description: string; url: string; code: string }[] = [
    {
      description: 'refuses http://',
      url: 'http://127.0.0.1/',
      code: 'scheme',
    },
    { description: 'refuses ftp://', url: 'ftp://127.0.0.1/', code: 'scheme' },
    { description: 'refuses file://', url: 'file:///etc/passwd', code: 'scheme' },
    { description: 'refuses data:', url: 'data:application/json,{}', code: 'scheme' },
    { description: 'refuses a relative URL', url: '/jwks', code: 'url' },
    {
      description: 'refuses userinfo in the URL',
      url: 'https://admin:hunter2@example.com/',
      code: 'url',
    },
    {
      description: 'refuses the cloud metadata address 169.254.169.254',
      url: 'https://169.254.169.254/latest/meta-data/',
      code: 'destination',
    },
    {
      description: 'refuses IPv4-mapped loopback https://[::ffff:127.0.0.1]/',
      url: 'https://[::ffff:127.0.0.1]/',
      code: 'destination',
    },
    {
      description: 'refuses IPv6 loopback https://[::1]/',
      url: 'https://[::1]/',
      code: 'destination',
    },
    { description: 'refuses 0.0.0.0', url: 'https://0.0.0.0/', code: 'destination' },
    {
      description: 'refuses a short loopback spelling (127.1)',
      url: 'https://127.1/',
      code: 'destination',
    },
    {
      description: 'refuses a hex loopback spelling',
      url: 'https://0x7f.0.0.1/',
      code: 'destination',
    },
    {
      description: 'refuses a decimal loopback spelling',
      url: 'https://2130706433/',
      code: 'destination',
    },
    { description: 'refuses a private address', url: 'https://192.168.1.1/', code: 'destination' },
    { description: 'refuses a CGNAT address', url: 'https://100.64.0.1/', code: 'destination' },
    {
      description: 'refuses NAT64 of the metadata address',
      url: 'https://[64:ff9b::a9fe:a9fe]/',
      code: 'destination',
    },
  ]
  for (const { description, url, code } of table) {
    it(`${description}, without DNS or a connection`, async () => {
      const resolve = fixedResolver(['127.0.0.1'])
      const connect = vi.spyOn(net.Socket.prototype, 'connect')
      const fetcher = new OutboundFetcher({ allow: [], ca, resolve })
      const error = await refusal(fetcher.fetch(`${url}?secret=s3cr3t`))
      expect(error.code).toBe(code)
      expect(error.message).not.toMatch(/s3cr3t|hunter2|meta-data|passwd/)
      expect(resolve.calls).toEqual([])
      expect(connect).not.toHaveBeenCalled()
    })
  }

  it('refuses http:// to a listed address: the allow-list lifts only the address rule', async () => {
    const error = await refusal(loopbackAllowed().fetch(`http://127.0.0.1:${port}/jwks`))
    expect(error.code).toBe('scheme')
  })
})

describe('outbound fetches: answers it will not take', () => {
  it('refuses a redirect and never follows it', async () => {
    const error = await refusal(loopbackAllowed().fetch(`${origin}/redirect`))
    expect(error.code).toBe('redirect')
    expect(error.status).toBe(302)
    expect(hits.get('/redirect')).toBe(1)
    expect(hits.get('/target') ?? 0).toBe(0)
  })

  it('refuses a body over the cap that says its length', async () => {
    const error = await refusal(loopbackAllowed().fetch(`${origin}/big`))
    expect(error.code).toBe('too_large')
  })

  it('refuses a body over the cap that does not say its length', async () => {
    const error = await refusal(
      loopbackAllowed().fetch(`${origin}/big-chunked`, { maxBytes: 100_000 }),
    )
    expect(error.code).toBe('too_large')
    expect(error.message).toContain('100000 bytes')
  })

  it('takes a body up to a raised cap', async () => {
    const response = await loopbackAllowed().fetch(`${origin}/big`, { maxBytes: 2 * 1_048_576 })
    expect(response.body.byteLength).toBe(2 * 1_048_576)
  })

  it('refuses a non-2xx answer to fetchJson, naming the status', async () => {
    const error = await refusal(loopbackAllowed().fetchJson(`${origin}/status`))
    expect(error.code).toBe('http_status')
    expect(error.status).toBe(503)
  })

  it('refuses a certificate it does not trust', async () => {
    const error = await refusal(
      new OutboundFetcher({ allow: ['127.0.0.1'] }).fetch(`${origin}/jwks`),
    )
    expect(error.code).toBe('tls')
  })
})

describe('outbound fetches: the time cap covers every phase', () => {
  const capMs = 400
  const marginMs = 600

  async function timed(promise: Promise<unknown>): Promise<[OutboundError, number]> {
    const started = performance.now()
    const error = await refusal(promise)
    return [error, performance.now() - started]
  }

  it('gives up on a server that never answers', async () => {
    const [error, elapsed] = await timed(
      loopbackAllowed().fetch(`${origin}/silent`, { timeoutMs: capMs }),
    )
    expect(error.code).toBe('timeout')
    expect(elapsed).toBeGreaterThanOrEqual(capMs - 20)
    expect(elapsed).toBeLessThan(capMs + marginMs)
  })

  it('gives up on a server that trickles its body', async () => {
    const [error, elapsed] = await timed(
      loopbackAllowed().fetch(`${origin}/trickle`, { timeoutMs: capMs }),
    )
    expect(error.code).toBe('timeout')
    expect(elapsed).toBeLessThan(capMs + marginMs)
  })

  it('gives up on a TLS handshake that never completes', async () => {
    const [error, elapsed] = await timed(
      loopbackAllowed().fetch(`https://127.0.0.1:${stalledPort}/`, { timeoutMs: capMs }),
    )
    expect(error.code).toBe('timeout')
    expect(elapsed).toBeLessThan(capMs + marginMs)
  })

  it('gives up on DNS that never answers', async () => {
    const resolve: Resolver = () => new Promise(() => undefined)
    const fetcher = new OutboundFetcher({ allow: [], ca, resolve })
    const [error, elapsed] = await timed(
      fetcher.fetch('https://slow-dns.test/', { timeoutMs: capMs }),
    )
    expect(error.code).toBe('timeout')
    expect(elapsed).toBeLessThan(capMs + marginMs)
  })
})
