import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { removeScratchDir, scratchDir } from '../support/serve-process.js'
import { freePort } from '../support/server.js'

const run = promisify(execFile)
const ROOT = path.resolve(import.meta.dirname, '../../../..')
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const MINUTE = 60_000

/**
 * What someone who downloads a release does: `npm run pack`, then `npm install` of the three
 * tarballs into an empty project outside the workspace (third-party dependencies come from the
 * registry; better-sqlite3 builds from source), then the CLI, a token request, both libraries
 * from ES and CommonJS modules, and their types.
 */
describe('the release tarballs, installed outside the workspace', () => {
  let dir: string
  let tarballs: string[]
  let installOutput: string
  let installSeconds: number
  let server: ChildProcess | undefined
  let serverOutput = ''
  let url: string
  let init: {
    tenant: string
    issuer: string
    token_endpoint: string
    admin: { client_id: string; client_secret: string }
  }
  /** The environment of a user's shell: none of the variables `npm test` set for us. */
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !/^(npm_|VITEST|INIT_CWD$|NODE_ENV$|TOKENMINT_)/i.test(name),
      ),
    )
    await run('npm', ['run', 'pack', '--silent'], { cwd: ROOT, env, timeout: 10 * MINUTE })
    tarballs = fs
      .readdirSync(path.join(ROOT, 'release'))
      .filter((name) => name.endsWith('.tgz'))
      .sort()
      .map((name) => path.join(ROOT, 'release', name))

    dir = scratchDir('tokenmint-release-')
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'release-check', version: '1.0.0', private: true }),
    )
    const started = performance.now()
    const installed = await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel', 'warn', ...tarballs],
      { cwd: dir, env, timeout: 12 * MINUTE, maxBuffer: 16 * 1024 * 1024 },
    )
    installSeconds = Math.round((performance.now() - started) / 1000)
    installOutput = installed.stdout + installed.stderr

    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    env = {
      ...env,
      TOKENMINT_PROFILE: path.join(dir, 'profile.json'),
      TOKENMINT_LOG_LEVEL: 'warn',
      TOKENMINT_METRICS_LISTEN: '127.0.0.1:0',
    }
    const dataDir = path.join(dir, 'data')
    const initialised = await run(
      'npx',
      ['--no', 'tokenmint', 'init', '--data-dir', dataDir, '--public-url', url, '--json'],
      { cwd: dir, env, timeout: MINUTE },
    )
    init = JSON.parse(initialised.stdout) as typeof init

    // node itself runs the installed bin link: no npm or shell between us and the server's pid.
    server = spawn(
      process.execPath,
      [
        path.join(dir, 'node_modules', '.bin', 'tokenmint'),
        'serve',
        '--data-dir',
        dataDir,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--public-url',
        url,
      ],
      { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    server.stdout?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()))
    server.stderr?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()))
    for (let i = 0; i < 200; i++) {
      if ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok) return
      if (server.exitCode !== null) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`tokenmint serve did not become ready:\n${serverOutput}`)
  }, 20 * MINUTE)

  afterAll(async () => {
    const child = server
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise<boolean>((resolve) => child.once('exit', () => resolve(true)))
      child.kill('SIGTERM')
      const drained = await Promise.race([
        exited,
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
      ])
      if (!drained) child.kill('SIGKILL')
    }
    // Undefined when beforeAll failed before making it.
    if ((dir as string | undefined) !== undefined) removeScratchDir(dir)
  }, MINUTE)

  /** Runs a file of the temp project with node, with the admin credentials in its environment. */
  const runScript = (file: string, source: string) => {
    fs.writeFileSync(path.join(dir, file), source)
    return run(process.execPath, [file], {
      cwd: dir,
      timeout: MINUTE,
      env: {
        ...env,
        ISSUER: init.issuer,
        CLIENT_ID: init.admin.client_id,
        CLIENT_SECRET: init.admin.client_secret,
      },
    })
  }

  it('packs the three packages, and they install from the tarballs alone', () => {
    console.log(`release install: ${installSeconds} s for npm install of the tarballs`)
    expect(tarballs.map((file) => path.basename(file))).toEqual([
      expect.stringMatching(/^tokenmint-client-\d+\.\d+\.\d+\.tgz$/),
      expect.stringMatching(/^tokenmint-server-\d+\.\d+\.\d+\.tgz$/),
      expect.stringMatching(/^tokenmint-verify-\d+\.\d+\.\d+\.tgz$/),
    ])
    // Every dependency supports the Node.js versions the packages claim.
    expect(installOutput).not.toContain('EBADENGINE')
    // The server's dependency on @tokenmint/client is met by the sibling tarball, once.
    const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; resolved?: string }>
    }
    expect(lock.packages['node_modules/@tokenmint/client']?.resolved).toMatch(
      /^file:.*tokenmint-client-[\d.]+\.tgz$/,
    )
    expect(
      Object.keys(lock.packages).filter((key) => key.endsWith('node_modules/@tokenmint/client')),
    ).toEqual(['node_modules/@tokenmint/client'])
    expect(lock.packages['node_modules/@tokenmint/console']).toBeUndefined()
  })

  it('runs `tokenmint init` and `serve`, and issues a token to a plain HTTP request', async () => {
    expect(init.issuer).toBe(`${url}/t/default`)
    const response = await fetch(init.token_endpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${init.admin.client_id}:${init.admin.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = (await response.json()) as { access_token: string; token_type: string }
    expect(body.token_type).toBe('Bearer')
    expect(body.access_token.split('.')).toHaveLength(3)
  })

  it('serves the console it carries, the admin API docs, and redirects / to the console', async () => {
    const page = await fetch(`${url}/console/`)
    expect(page.status).toBe(200)
    const html = await page.text()
    const scripts = [...html.matchAll(/src="(\/console\/assets\/[^"]+\.js)"/g)].map((m) => m[1])
    expect(scripts.length).toBeGreaterThan(0)
    for (const script of scripts) expect((await fetch(`${url}${script!}`)).status).toBe(200)
    expect((await fetch(`${url}/admin/v1/docs`)).status).toBe(200)
    const root = await fetch(`${url}/`, { redirect: 'manual' })
    expect(root.status).toBe(302)
    expect(root.headers.get('location')).toBe('/console/')
  })

  it('gets and verifies a token from an ES module', async () => {
    const { stdout } = await runScript(
      'check.mjs',
      `import { createTokenSource } from '@tokenmint/client'
import { createVerifier } from '@tokenmint/verify'

const { ISSUER: issuer, CLIENT_ID: clientId, CLIENT_SECRET: clientSecret } = process.env
const tokens = createTokenSource({ issuer, clientId, clientSecret })
const { accessToken } = await tokens.getToken()
const verifier = createVerifier({ issuer, audience: 'urn:tokenmint:admin' })
const claims = await verifier.verify(accessToken)
verifier.close()
console.log(JSON.stringify({ client_id: claims.client_id, iss: claims.iss }))
`,
    )
    expect(JSON.parse(stdout)).toEqual({ client_id: init.admin.client_id, iss: init.issuer })
  })

  it('gets and verifies a token from a CommonJS module (require)', async () => {
    const { stdout, stderr } = await runScript(
      'check.cjs',
      `const { createTokenSource } = require('@tokenmint/client')
const { createVerifier, TokenVerificationError } = require('@tokenmint/verify')

async function main() {
  const { ISSUER: issuer, CLIENT_ID: clientId, CLIENT_SECRET: clientSecret } = process.env
  const tokens = createTokenSource({ issuer, clientId, clientSecret })
  const { accessToken } = await tokens.getToken()
  const verifier = createVerifier({ issuer, audience: 'urn:tokenmint:admin' })
  const claims = await verifier.verify(accessToken)
  const refused = await verifier.verify(accessToken + 'x').catch((error) => error)
  verifier.close()
  console.log(JSON.stringify({
    client_id: claims.client_id,
    refused: refused instanceof TokenVerificationError,
  }))
}
main().catch((error) => {
  console.error(error)
  process.exit(1)
})
`,
    )
    expect(JSON.parse(stdout)).toEqual({ client_id: init.admin.client_id, refused: true })
    expect(stderr).not.toContain('Warning')
  })

  it('ships types that a TypeScript project checks against, from ESM and CommonJS', async () => {
    const source = `import { createTokenSource, type TokenSource } from '@tokenmint/client'
import { createVerifier, type AccessTokenClaims } from '@tokenmint/verify'

export async function check(issuer: string, clientId: string, clientSecret: string): Promise<string> {
  const tokens: TokenSource = createTokenSource({ issuer, clientId, clientSecret, scope: 'read:apis' })
  const { accessToken, expiresAt } = await tokens.getToken()
  const verifier = createVerifier({ issuer, audience: 'urn:tokenmint:admin' })
  const claims: AccessTokenClaims = await verifier.verify(accessToken)
  // @ts-expect-error: the types are real, not any
  createTokenSource({ issuer: 42, clientId })
  return \`\${claims.client_id} \${claims.scopes.join(' ')} \${expiresAt.toISOString()}\`
}
`
    fs.writeFileSync(path.join(dir, 'check-types.ts'), source)
    fs.writeFileSync(path.join(dir, 'check-types-cjs.cts'), source)
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          types: [],
        },
        files: ['check-types.ts', 'check-types-cjs.cts'],
      }),
    )
    const result = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], {
      cwd: dir,
      timeout: MINUTE,
    }).catch((error: unknown) => error as { stdout: string; code: number })
    expect('code' in result ? result.stdout : '').toBe('')
  })
})
