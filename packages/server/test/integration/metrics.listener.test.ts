import net from 'node:net'

import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { listenForMetrics, processMetrics } from '../../src/http/metrics-listener.js'
import { startCluster, type Cluster } from '../support/nodes.js'
import { startServer, type TestServer } from '../support/server.js'

describe('the metrics listener', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
    await server.adminToken()
  })
  afterAll(() => server.stop())

  it('answers 404 for /metrics on the public port, naming no tenant', async () => {
    for (const path of ['/metrics', '/metrics/', '/t/acme/metrics']) {
      const response = await fetch(`${server.url}${path}`)
      expect(response.status).toBe(404)
      expect(await response.text()).not.toContain('tokenmint_')
    }
  })

  it('serves Prometheus text on its own port, and nothing else there', async () => {
    expect(new URL(server.metricsUrl!).port).not.toBe(new URL(server.url).port)
    const response = await fetch(`${server.metricsUrl!}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4')
    expect(await response.text()).toMatch(
      /tokenmint_tokens_issued_total\{tenant="acme",grant_type="client_credentials"\} [1-9]/,
    )
    for (const path of ['/', '/healthz', '/t/acme/oauth/token']) {
      expect((await fetch(`${server.metricsUrl!}${path}`)).status).toBe(404)
    }
    expect((await fetch(`${server.metricsUrl!}/metrics`, { method: 'POST' })).status).toBe(404)
  })

  it('names TOKENMINT_METRICS_LISTEN when its address is taken', async () => {
    const taken = Number(new URL(server.metricsUrl!).port)
    await expect(
      listenForMetrics(
        { host: '127.0.0.1', port: taken },
        processMetrics(new Registry()),
        server.services.config,
        () => undefined,
      ),
    ).rejects.toThrow(/TOKENMINT_METRICS_LISTEN 127\.0\.0\.1:\d+: .*EADDRINUSE/)
  })

  it('starts no listener with TOKENMINT_METRICS_LISTEN=off', async () => {
    const off = await startServer({ env: { TOKENMINT_METRICS_LISTEN: 'off' } })
    try {
      expect(off.metricsUrl).toBeUndefined()
      expect((await fetch(`${off.url}/metrics`)).status).toBe(404)
    } finally {
      await off.stop()
    }
  })
})

describe('tokenmint serve and TOKENMINT_METRICS_LISTEN', () => {
  let cluster: Cluster | undefined
  afterAll(async () => {
    await cluster?.stop()
  })

  const refuses = (url: string) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(Number(new URL(url).port), '127.0.0.1')
      socket.on('connect', () => {
        socket.destroy()
        resolve(false)
      })
      socket.on('error', () => {
        resolve(true)
      })
    })

  it('serves metrics on the listener, not the public port, and none when it is off', async () => {
    cluster = await startCluster({ env: {} })
    const [node] = cluster.nodes
    expect((await fetch(`${node!.metricsUrl}/metrics`)).status).toBe(200)
    expect((await fetch(`${node!.url}/metrics`)).status).toBe(404)
    await cluster.stop()

    cluster = await startCluster({ env: { TOKENMINT_METRICS_LISTEN: 'off' } })
    const [off] = cluster.nodes
    expect((await fetch(`${off!.url}/healthz`)).status).toBe(200)
    expect(await refuses(off!.metricsUrl)).toBe(true)
  })
})
