import type { ServerOptions } from 'node:http'

import type { Config } from '../config/load-config.js'

export type ServerLimitsConfig = Pick<
  Config,
  | 'requestTimeoutSeconds'
  | 'headersTimeoutSeconds'
  | 'keepAliveTimeoutSeconds'
  | 'socketIdleTimeoutSeconds'
  | 'maxConnections'
>

export interface ServerLimits {
  /** For `http.createServer`: the request, headers and keep-alive deadlines. */
  readonly http: Required<
    Pick<
      ServerOptions,
      'requestTimeout' | 'headersTimeout' | 'keepAliveTimeout' | 'connectionsCheckingInterval'
    >
  >
  /** `server.setTimeout`: no byte either way for this long while a request is in progress. */
  readonly socketIdleTimeoutMs: number
  readonly maxConnections: number
}

/**
 * Bounds on how long a connection may hold the server without completing a request: a body
 * trickled a byte at a time, or a socket that sends nothing, is cut once its deadline passes.
 */
export function serverLimits(config: ServerLimitsConfig): ServerLimits {
  const headersTimeout = config.headersTimeoutSeconds * 1000
  return {
    http: {
      requestTimeout: config.requestTimeoutSeconds * 1000,
      headersTimeout,
      keepAliveTimeout: config.keepAliveTimeoutSeconds * 1000,
      // Node checks these deadlines on a timer, every 30 s by default: a 60 s limit could let a
      // request run 90 s. A tenth of the headers timeout, at most a second, keeps it close.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, headersTimeout / 10)),
    },
    socketIdleTimeoutMs: config.socketIdleTimeoutSeconds * 1000,
    maxConnections: config.maxConnections,
  }
}
