import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

import type { FastifyInstance } from 'fastify'
import { pino, type DestinationStream } from 'pino'

import { compose, initialiseIfEmpty, type Services } from '../../src/compose.js'
import { loadConfig } from '../../src/config/load-config.js'
import { buildHttpApp } from '../../src/http/app.js'
import { listenForMetrics, processMetrics } from '../../src/http/metrics-listener.js'
import { TokenMetrics } from '../../src/http/metrics.js'
import type { SigningAlgorithm } from '../../src/domain/model.js'

/** The first port the kernel hands out by itself (to listen(0) and to outgoing connections). */
function ephemeralLow(): number {
  try {
    const low = Number(
      fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    )
    return Number.isInteger(low) && low > 11_000 ? low : 32_768
  } catch {
    return 32_768
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/**
 * A port for a server a test starts later. Chosen below the kernel's ephemeral range: a port the
 * kernel picked (listen(0)) and we released is in that range, where any outgoing connection of a
 * parallel test may take it before the server binds it (EADDRINUSE, seen in CI). Below it only
 * explicit binders compete, and each picks at random among ~20 000 ports.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow() - 1
  const low = Math.max(10_000, high - 20_000)
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low))
    if (await bindable(port)) return port
  }
  throw new Error(`no free port between ${low} and ${high}`)
}

export function temporaryDir(prefix = 'tokenmint-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export interface TestServer {
  url: string
  /** The metrics listener (`http://127.0.0.1:<port>`); undefined with TOKENMINT_METRICS_LISTEN=off. */
  metricsUrl: string | undefined
  tenant: string
  issuer: string
  tokenEndpoint: string
  dataDir: string
  databaseUrl: string
  admin: { clientId: string; clientSecret: string }
  /** The first console owner (username `owner`); undefined on a restart of a data dir. */
  owner: { username: string; password: string } | undefined
  services: Services
  app: FastifyInstance
  /** A fresh admin access token for the root tenant. */
  adminToken(): Promise<string>
  /** Calls the admin API with the root tenant's admin token. */
  admin_(method: string, path: string, body?: unknown): Promise<Response>
  stop(): Promise<void>
}

export interface StartOptions {
  dataDir?: string
  databaseUrl?: string
  port?: number
  tenant?: string
  algorithm?: SigningAlgorithm
  env?: Record<string, string>
  /** The server's clock (defaults to the real one). */
  now?: () => Date
  /** Admin credentials of an earlier start of the same data dir. */
  admin?: { clientId: string; clientSecret: string }
  /** Where the server's log lines go (stdout otherwise); the level defaults to `info` then. */
  logDestination?: DestinationStream
}

/** A real server on 127.0.0.1 (real Fastify, real SQLite or Postgres), initialised on first start. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? temporaryDir()
  const port = options.port ?? (await freePort())
  const config = loadConfig({
    TOKENMINT_DATA_DIR: dataDir,
    TOKENMINT_PORT: String(port),
    TOKENMINT_HOST: '127.0.0.1',
    ...(options.databaseUrl !== undefined && { TOKENMINT_DATABASE_URL: options.databaseUrl }),
    TOKENMINT_LOG_LEVEL:
      options.logDestination === undefined
        ? (process.env['TOKENMINT_TEST_LOG_LEVEL'] ?? 'silent')
        : 'info',
    // Any free port: the default, 9464, would collide between tests running in parallel.
    TOKENMINT_METRICS_LISTEN: '127.0.0.1:0',
    ...options.env,
  })
  const services = await compose(config, {
    logger: pino({ level: config.logLevel }, options.logDestination),
    ...(options.now !== undefined && { now: options.now }),
  })
  const tenant = options.tenant ?? 'acme'
  const created = await initialiseIfEmpty(services, {
    tenantId: tenant,
    signingAlgorithm: options.algorithm,
  })
  const admin = created
    ? { clientId: created.admin.application.clientId, clientSecret: created.admin.clientSecret }
    : options.admin
  if (admin === undefined)
    throw new Error(
      'the data dir is already initialised: pass the admin credentials of its first start',
    )
  const metrics = new TokenMetrics(services)
  const app = await buildHttpApp(services, metrics)
  const metricsListener =
    config.metricsListen &&
    (await listenForMetrics(
      config.metricsListen,
      processMetrics(metrics.registry),
      config,
      (error) => {
        throw error
      },
    ))
  await app.listen({ host: '127.0.0.1', port })
  const url = config.publicUrl
  const issuer = `${url}/t/${tenant}`

  async function adminToken(): Promise<string> {
    const response = await fetch(`${issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: admin!.clientId,
        client_secret: admin!.clientSecret,
        audience: 'urn:tokenmint:admin',
      }),
    })
    if (!response.ok)
      throw new Error(`admin token refused: ${response.status} ${await response.text()}`)
    return ((await response.json()) as { access_token: string }).access_token
  }

  return {
    url,
    metricsUrl: metricsListener?.url,
    tenant,
    issuer,
    tokenEndpoint: `${issuer}/oauth/token`,
    dataDir,
    databaseUrl: config.databaseUrl,
    admin,
    owner:
      created === undefined
        ? undefined
        : { username: created.owner.administrator.username, password: created.owner.password },
    services,
    app,
    adminToken,
    async admin_(method, path, body) {
      return fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await adminToken()}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
    },
    async stop() {
      await Promise.all([app.close(), metricsListener?.close()])
      await services.close()
    },
  }
}
