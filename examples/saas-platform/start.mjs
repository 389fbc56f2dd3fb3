// One command for the whole example: Tokenmint (initialised on first start) and Acme Compliance.
//
//   npm run build && node examples/saas-platform/start.mjs
//
// ACME_PORT (default 3000), TOKENMINT_PORT (default 8080) and ACME_DATA_DIR (default
// ./data/saas-platform, git-ignored) change the defaults. Delete the data dir to start over.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { setUp } from './setup.mjs'
import { rootAdmin } from './tokenmint-admin.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const CLI = path.resolve(here, '../../packages/server/dist/cli/main.js')
const VENDOR_APP = path.join(here, 'server.mjs')

const acmePort = Number(process.env.ACME_PORT || 3000)
const tokenmintPort = Number(process.env.TOKENMINT_PORT || 8080)
const dataDir = path.resolve(process.env.ACME_DATA_DIR || 'data/saas-platform')
// Two sites (localhost and 127.0.0.1), so the browser treats the embedded console as a
// third-party frame, as in production (app.acme.example embedding auth.example.net).
const tokenmintUrl = `http://localhost:${tokenmintPort}`
const acmeUrl = `http://127.0.0.1:${acmePort}`
const ROOT_TENANT = 'acme'
const rootFile = path.join(dataDir, 'root-admin.json')

if (!fs.existsSync(CLI)) {
  console.error(`error: ${CLI} is missing: run \`npm run build\` first`)
  process.exit(1)
}

// Only what Tokenmint needs: no TOKENMINT_* setting of this shell (a Postgres URL, say) leaks in.
const baseEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  // The CLI profile `init` writes goes in the data dir, not ~/.config/tokenmint.
  TOKENMINT_PROFILE: path.join(dataDir, 'profile.json'),
}

function run(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${args.join(' ')}: ${stderr || stdout}`)),
    )
  })
}

/**
 * The root tenant's admin credentials. First start: `tokenmint init --json` creates the data dir
 * and the root tenant and prints its admin application's secret, once; it is kept (mode 600).
 */
async function rootCredentials() {
  if (fs.existsSync(rootFile)) return JSON.parse(fs.readFileSync(rootFile, 'utf8'))
  if (fs.existsSync(path.join(dataDir, 'tokenmint.db')))
    throw new Error(`${dataDir} is initialised but ${rootFile} is gone: delete ${dataDir}`)
  const output = await run(
    [CLI, '--tenant', ROOT_TENANT, 'init', '--json', '--data-dir', dataDir],
    { ...baseEnv, TOKENMINT_PUBLIC_URL: tokenmintUrl, TOKENMINT_LOG_LEVEL: 'warn' },
  )
  const initialised = JSON.parse(output)
  fs.writeFileSync(rootFile, JSON.stringify(initialised, null, 2) + '\n', { mode: 0o600 })
  console.log(`Initialised Tokenmint in ${dataDir} (root tenant "${initialised.tenant}").`)
  return initialised
}

const children = new Set()
let stopping = false

/** A long-running child whose output is shown prefixed; its exit stops everything. */
function start(name, args, env) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  const relay = (stream) => (chunk) => {
    for (const line of chunk.toString().split('\n'))
      if (line !== '') stream.write(`[${name}] ${line}\n`)
  }
  child.stdout.on('data', relay(process.stdout))
  child.stderr.on('data', relay(process.stderr))
  child.on('exit', (code, signal) => {
    children.delete(child)
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping`)
      stop(1)
    }
  })
  return child
}

function stop(code = 0) {
  stopping = true
  for (const child of children) child.kill('SIGTERM')
  const timer = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL')
    process.exit(code)
  }, 10_000)
  const check = setInterval(() => {
    if (children.size > 0) return
    clearInterval(check)
    clearTimeout(timer)
    process.exit(code)
  }, 50)
}
process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))

async function waitFor(url, what) {
  for (let i = 0; i < 300; i++) {
    if (stopping) throw new Error(`${what} stopped`)
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined)
    await response?.body?.cancel()
    if (response?.ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${what} did not answer ${url} within 30 s`)
}

try {
  const root = await rootCredentials()
  start('tokenmint', [CLI, '--tenant', ROOT_TENANT, 'serve', '--data-dir', dataDir], {
    ...baseEnv,
    TOKENMINT_HOST: '127.0.0.1',
    TOKENMINT_PORT: String(tokenmintPort),
    TOKENMINT_PUBLIC_URL: tokenmintUrl,
    TOKENMINT_LOG_LEVEL: 'warn',
    TOKENMINT_METRICS_LISTEN: 'off',
    // The vendor's settings page embeds the console: allow that origin, and only it, to frame it.
    TOKENMINT_CONSOLE_FRAME_ANCESTORS: acmeUrl,
    TOKENMINT_CONSOLE_BRANDING: JSON.stringify({
      product_name: 'Acme Compliance',
      logo_url: `${acmeUrl}/logo.svg`,
      accent_color: '#0f5132',
    }),
  })
  await waitFor(`${tokenmintUrl}/readyz`, 'Tokenmint')

  const credentials = {
    url: tokenmintUrl,
    tenant: root.tenant,
    clientId: root.admin.client_id,
    clientSecret: root.admin.client_secret,
  }
  const { audience, feed } = await setUp({
    admin: rootAdmin(credentials),
    stateFile: path.join(dataDir, 'acme-compliance.json'),
    log: (line) => console.log(line),
  })

  start('acme', [VENDOR_APP], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(acmePort),
    PUBLIC_URL: acmeUrl,
    API_AUDIENCE: audience,
    TOKENMINT_URL: tokenmintUrl,
    TOKENMINT_ROOT_TENANT: credentials.tenant,
    TOKENMINT_ROOT_CLIENT_ID: credentials.clientId,
    TOKENMINT_ROOT_CLIENT_SECRET: credentials.clientSecret,
    TOKENMINT_FEED_CLIENT_ID: feed.client_id,
    TOKENMINT_FEED_CLIENT_SECRET: feed.client_secret,
  })
  await waitFor(`${acmeUrl}/healthz`, 'Acme Compliance')

  console.log(`
Acme Compliance is running.
  Acme Compliance (the vendor app): ${acmeUrl}  (sign in as Globex or Initech)
  Tokenmint:                        ${tokenmintUrl}  (root tenant "${credentials.tenant}")
  root admin credentials:           ${rootFile}
  the vendor API:                   GET ${acmeUrl}/api/customers/{customer id}/findings
Ctrl-C stops both.`)
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`)
  stop(1)
}
