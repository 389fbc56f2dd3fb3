import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { decodeJwt } from 'jose'

/** The built CLI, started by node itself: no npm or shell sits between us and the server's pid. */
export const CLI = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/cli/main.js',
)

/**
 * The environment of a CLI pointed at `server` with its admin credentials: the PATH and nothing
 * else of this shell, so no profile or TOKENMINT_* setting of the machine leaks in.
 */
export function cliEnvFor(server: {
  url: string
  tenant: string
  admin: { clientId: string; clientSecret: string }
}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    TOKENMINT_URL: server.url,
    TOKENMINT_TENANT: server.tenant,
    TOKENMINT_CLIENT_ID: server.admin.clientId,
    TOKENMINT_CLIENT_SECRET: server.admin.clientSecret,
    TOKENMINT_PROFILE: path.join(scratchDir('tokenmint-cli-'), 'none.json'),
  }
}

const OUTPUT_LIMIT = 64 * 1024
const live = new Set<ChildProcess>()
const scratch = new Set<string>()
let exitHookInstalled = false

/** Last resort on any exit (also a second Ctrl-C): no server outlives us, no temp dir stays. */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL')
    for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true })
  })
}

/** A temp dir removed by `removeScratchDir`, or at exit if that never ran. */
export function scratchDir(prefix: string): string {
  installExitHook()
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env['TMPDIR'] ?? '/tmp'), prefix))
  scratch.add(dir)
  return dir
}

export function removeScratchDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true })
  scratch.delete(dir)
}

export interface ServeOptions {
  dataDir: string
  port: number
  tenant: string
  /** Unset: the embedded SQLite in the data dir. */
  databaseUrl?: string
  env?: Record<string, string>
}

export interface ServeProcess {
  /** The pid of the node process running `serve` (checked against /proc before any signal). */
  pid: number
  url: string
  child: ChildProcess
  /** The last 64 KiB of its stdout and stderr. */
  output(): string
  /** SIGKILL, then waits for the exit and for the port to refuse connections. */
  kill9(): Promise<void>
  /** SIGTERM (a drain), SIGKILL after 10 s. */
  stop(): Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** `node dist/cli/main.js serve` on 127.0.0.1, returned once /readyz answers 200. */
export async function startServe(options: ServeOptions): Promise<ServeProcess> {
  installExitHook()
  const args = [CLI, 'serve', '--data-dir', options.dataDir, '--port', String(options.port)]
  const child = spawn(process.execPath, [...args, '--tenant', options.tenant], {
    env: {
      ...process.env,
      TOKENMINT_HOST: '127.0.0.1',
      TOKENMINT_LOG_LEVEL: 'warn',
      ...(options.databaseUrl !== undefined && { TOKENMINT_DATABASE_URL: options.databaseUrl }),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  child.once('exit', () => live.delete(child))
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start ${process.execPath} ${args.join(' ')}`)
  const url = `http://127.0.0.1:${options.port}`
  const exited = () => child.exitCode !== null || child.signalCode !== null
  /** Resolves on exit or after `ms`, whichever comes first, and leaves no timer behind. */
  const exit = (ms: number) =>
    new Promise<void>((resolve) => {
      if (exited()) {
        resolve()
        return
      }
      const timer = setTimeout(done, ms)
      child.once('exit', done)
      function done() {
        clearTimeout(timer)
        child.off('exit', done)
        resolve()
      }
    })

  for (let i = 0; ; i++) {
    if (exited())
      throw new Error(`serve exited (${child.exitCode ?? child.signalCode}):\n${output}`)
    const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(
      () => undefined,
    )
    await response?.body?.cancel()
    if (response?.ok === true) break
    if (i >= 300) {
      child.kill('SIGKILL')
      throw new Error(`serve on ${url} was not ready after 30 s:\n${output}`)
    }
    await sleep(100)
  }
  assertServeProcess(pid, options.dataDir)

  return {
    pid,
    url,
    child,
    output: () => output,
    async kill9() {
      assertServeProcess(pid, options.dataDir)
      process.kill(pid, 'SIGKILL')
      await exit(5000)
      if (child.signalCode !== 'SIGKILL') throw new Error(`pid ${pid} did not die of SIGKILL`)
      if (await isListening(options.port))
        throw new Error(`port ${options.port} still accepts connections after killing ${pid}`)
    },
    async stop() {
      if (exited()) return
      child.kill('SIGTERM')
      await exit(10_000)
      if (!exited()) child.kill('SIGKILL')
      await exit(5000)
    },
  }
}

/**
 * Refuses to signal anything but our own child running `node …/main.js serve --data-dir <ours>`:
 * its parent is this process and its command line is the one we spawned (no npm, no shell).
 */
export function assertServeProcess(pid: number, dataDir: string): void {
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  const parent = /^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  const isServe =
    argv[0] === process.execPath &&
    argv[1] === CLI &&
    argv[2] === 'serve' &&
    argv[argv.indexOf('--data-dir') + 1] === dataDir &&
    parent === String(process.pid)
  if (!isServe)
    throw new Error(`pid ${pid} is not our serve process: ${argv.join(' ')} (parent ${parent})`)
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.setTimeout(2000)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => {
      resolve(false)
    })
  })
}

/** Resident memory and open descriptors of a running process, from /proc. */
export function processFootprint(pid: number): { rssKiB: number; fds: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  return {
    rssKiB: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN),
    fds: fs.readdirSync(`/proc/${pid}/fd`).length,
  }
}

export interface Credentials {
  clientId: string
  clientSecret: string
}

/** The admin credentials `serve` saved on first start (TOKENMINT_PROFILE points at the file). */
export function savedAdminCredentials(profileFile: string, tenant: string): Credentials {
  const profile = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as {
    tenants: Record<string, { client_id: string; client_secret: string }>
  }
  const saved = profile.tenants[tenant]
  if (saved === undefined) throw new Error(`${profileFile} has no credentials for ${tenant}`)
  return { clientId: saved.client_id, clientSecret: saved.client_secret }
}

/** A client credentials request; `jti` is set when a token reached us (a complete 200). */
export async function requestToken(
  tokenEndpoint: string,
  client: Credentials,
  audience: string,
): Promise<{ status: number; jti?: string }> {
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      audience,
    }),
    signal: AbortSignal.timeout(10_000),
  })
  if (response.status !== 200) {
    await response.body?.cancel()
    return { status: response.status }
  }
  const body = (await response.json()) as { access_token: string }
  const jti = decodeJwt(body.access_token).jti
  if (jti === undefined) throw new Error('a token without jti')
  return { status: 200, jti }
}

export type AdminCall = (
  method: string,
  route: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<Response>

/**
 * Admin API calls with the root tenant's admin credentials. The token survives a restart (the
 * keys are stored); a refused one is fetched again. GETs retry a failed connection twice, since
 * a pooled socket to a killed process fails once.
 */
export function adminClient(url: () => string, tenant: string, admin: Credentials): AdminCall {
  let token: string | undefined
  const fetchToken = async () => {
    const response = await fetch(`${url()}/t/${tenant}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: admin.clientId,
        client_secret: admin.clientSecret,
        audience: 'urn:tokenmint:admin',
      }),
      signal: AbortSignal.timeout(10_000),
    })
    if (!response.ok) throw new Error(`admin token refused: ${response.status}`)
    return ((await response.json()) as { access_token: string }).access_token
  }
  const once = async (method: string, route: string, body: unknown, headers = {}) => {
    token ??= await fetchToken()
    return fetch(`${url()}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    })
  }
  return async (method, route, body, headers) => {
    for (let attempt = 0; ; attempt++) {
      try {
        let response = await once(method, route, body, headers)
        if (response.status === 401) {
          token = undefined
          response = await once(method, route, body, headers)
        }
        return response
      } catch (error) {
        token = undefined
        if (method !== 'GET' || attempt >= 2) throw error
        await sleep(100)
      }
    }
  }
}

/** Every jti of a `token.issued` audit record of this client (since `since`), all pages. */
export async function auditedJtis(
  admin: AdminCall,
  tenant: string,
  clientId: string,
  since?: Date,
): Promise<Set<string>> {
  const jtis = new Set<string>()
  let cursor: string | null = null
  // Bounded: 10 million records at 1000 a page.
  for (let page = 0; page < 10_000; page++) {
    const query = new URLSearchParams({ client_id: clientId, type: 'token.issued', limit: '1000' })
    if (since !== undefined) query.set('since', since.toISOString())
    if (cursor !== null) query.set('cursor', cursor)
    const response = await admin('GET', `/admin/v1/tenants/${tenant}/audit?${query.toString()}`)
    if (!response.ok) throw new Error(`audit read: ${response.status} ${await response.text()}`)
    const body = (await response.json()) as {
      items: { data: { jti?: string } }[]
      next_cursor: string | null
    }
    for (const event of body.items) if (event.data.jti !== undefined) jtis.add(event.data.jti)
    cursor = body.next_cursor
    if (cursor === null) return jtis
  }
  throw new Error('audit paging did not end')
}
