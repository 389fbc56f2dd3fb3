import http from 'node:http'
import type { AddressInfo } from 'node:net'

import { AggregatorRegistry, type Registry } from 'prom-client'

import type { ListenAddress } from '../config/load-config.js'
import { serverLimits, type ServerLimitsConfig } from './server-limits.js'

/** What GET /metrics answers: one process's registry, or every worker's combined. */
export interface MetricsSource {
  readonly contentType: string
  read(): Promise<string>
}

export interface MetricsListener {
  /** `http://host:port` as bound (a port of 0 resolved). */
  readonly url: string
  close(): Promise<void>
}

/** A scraper or two, and an operator's curl. */
const MAX_SCRAPERS = 32

export function processMetrics(registry: Registry): MetricsSource {
  return { contentType: registry.contentType, read: () => registry.metrics() }
}

/**
 * `serve --workers N`, in the primary: asks every worker for its metrics over the cluster's
 * IPC channel and sums them. The workers share the public port, so a scrape there would reach
 * one worker at random; this listener is the primary's alone.
 */
export function workersMetrics(): MetricsSource {
  const aggregator = new AggregatorRegistry()
  return { contentType: aggregator.contentType, read: () => aggregator.clusterMetrics() }
}

/** In a worker: answers the primary's requests (`workersMetrics`) with this registry. */
export function shareMetricsWithPrimary(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry])
  // Constructing one installs the worker's IPC listener.
  new AggregatorRegistry()
}

/**
 * GET /metrics on its own address (`TOKENMINT_METRICS_LISTEN`), so tenant ids and volumes
 * are never on the public port. Anything else answers 404.
 */
export async function listenForMetrics(
  address: ListenAddress,
  source: MetricsSource,
  config: ServerLimitsConfig,
  onError: (error: unknown) => void,
): Promise<MetricsListener> {
  const limits = serverLimits(config)
  const server = http.createServer(limits.http, (request, response) => {
    const path = (request.url ?? '').split('?')[0]
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n')
      return
    }
    source.read().then(
      (text) => {
        response
          .writeHead(200, { 'content-type': source.contentType, 'cache-control': 'no-store' })
          .end(request.method === 'HEAD' ? undefined : text)
      },
      (error: unknown) => {
        onError(error)
        response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end()
      },
    )
  })
  server.setTimeout(limits.socketIdleTimeoutMs)
  server.maxConnections = MAX_SCRAPERS
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => {
      reject(
        new Error(
          `cannot listen on TOKENMINT_METRICS_LISTEN ${address.host}:${address.port}: ${error.message}`,
          { cause: error },
        ),
      )
    }
    server.once('error', failed)
    server.listen(address.port, address.host, () => {
      server.off('error', failed)
      resolve()
    })
  })
  server.on('error', onError)
  const bound = server.address() as AddressInfo
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address
  return {
    url: `http://${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve()
        })
        server.closeAllConnections()
      }),
  }
}
