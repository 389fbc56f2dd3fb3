import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { freePort, temporaryDir } from './server.js'

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/tokenmint.js')

export interface ServerProcess {
  /** Where this process listens. */
  url: string
  port: number
  /** Its metrics listener; under --workers, the primary's (every worker's metrics summed). */
  metricsUrl: string
  child: ChildProcess
  output(): string
  stop(): Promise<void>
}

export interface ClusterOptions {
  /** Separate processes (nodes), each on its own port. */
  nodes?: number
  /** `serve --workers N` in one node instead. */
  workers?: number
  env: Record<string, string>
  /** Every node's issuers use this URL (a load balancer's, in production). */
  publicUrl?: (ports: number[]) => string
  tenant?: string
}

export interface Cluster {
  nodes: ServerProcess[]
  publicUrl: string
  tenant: string
  admin: { clientId: string; clientSecret: string }
  stop(): Promise<void>
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}:\n${output()}`)
    const response = await fetch(`${url}/readyz`).catch(() => undefined)
    if (response?.ok === true) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`server at ${url} did not become ready:\n${output()}`)
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/**
 * Real `tokenmint serve` processes started together on one database (and Redis, if the env
 * names it), the way a deployment runs them. Whichever node wins the race to initialise prints
 * the admin credentials; the others find the tenant already there.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const count = options.nodes ?? 1
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()))
  const metricsPorts = await Promise.all(ports.map(() => freePort()))
  const publicUrl = options.publicUrl?.(ports) ?? `http://127.0.0.1:${ports[0] ?? 0}`
  const tenant = options.tenant ?? 'default'
  const masterKey = randomBytes(32).toString('base64')
  const nodes = ports.map((port, i): ServerProcess => {
    const metricsUrl = `http://127.0.0.1:${metricsPorts[i] ?? 0}`
    const child = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--port',
        String(port),
        '--tenant',
        tenant,
        ...(options.workers === undefined ? [] : ['--workers', String(options.workers)]),
      ],
      {
        env: {
          ...process.env,
          TOKENMINT_DATA_DIR: temporaryDir('tokenmint-node-'),
          TOKENMINT_MASTER_KEY: masterKey,
          TOKENMINT_PUBLIC_URL: publicUrl,
          TOKENMINT_LOG_LEVEL: 'warn',
          TOKENMINT_METRICS_LISTEN: metricsUrl.slice('http://'.length),
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      metricsUrl,
      child,
      output: () => output,
      stop: () => stopChild(child),
    }
  })
  try {
    await Promise.all(nodes.map((node) => waitReady(node.url, node.child, () => node.output())))
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()))
    throw error
  }
  const printed = nodes.map((node) => node.output()).join('\n')
  const clientId = /admin client id:\s+(\S+)/.exec(printed)?.[1]
  const clientSecret = /admin secret:\s+(\S+)/.exec(printed)?.[1]
  if (clientId === undefined || clientSecret === undefined)
    throw new Error(`no node printed the admin credentials:\n${printed}`)
  return {
    nodes,
    publicUrl,
    tenant,
    admin: { clientId, clientSecret },
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop()))
    },
  }
}

/** Admin API calls through one node with the root tenant's admin credentials. */
export function adminVia(cluster: Cluster) {
  const tokens = new Map<string, string>()
  return async (
    node: ServerProcess,
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    let token = tokens.get(node.url)
    if (token === undefined) {
      const response = await fetch(`${node.url}/t/${cluster.tenant}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: cluster.admin.clientId,
          client_secret: cluster.admin.clientSecret,
          audience: 'urn:tokenmint:admin',
        }),
      })
      if (!response.ok) throw new Error(`admin token refused: ${await response.text()}`)
      token = ((await response.json()) as { access_token: string }).access_token
      tokens.set(node.url, token)
    }
    return fetch(`${node.url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
  }
}

/** Polls `probe` until it answers (bounded by `ms`); the error names what was awaited. */
export async function until<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
