import { execFile, spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'

import { createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { basic, postForm, postJson } from '../support/fixtures.js'
import { freePort, temporaryDir } from '../support/server.js'

const run = promisify(execFile)
const BIN = path.resolve(import.meta.dirname, '../../bin/tokenmint.js')

/** The README walkthrough, with the server and every CLI call as separate processes. */
describe('tokenmint CLI against a running server', () => {
  let dir: string
  let url: string
  let server: ChildProcess
  let firstStartOutput = ''
  let env: NodeJS.ProcessEnv

  const cli = async (...args: string[]) => run(process.execPath, [BIN, ...args], { env, cwd: dir })
  const cliFails = async (...args: string[]) => {
    try {
      await cli(...args)
    } catch (error) {
      return error as { code: number; stderr: string; stdout: string }
    }
    throw new Error(`tokenmint ${args.join(' ')} succeeded`)
  }

  const cliWithInput = (input: string, ...args: string[]) =>
    new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { env, cwd: dir })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.on('close', (code) => {
        resolve({ stdout, stderr, code })
      })
      child.stdin.end(input)
    })

  beforeAll(async () => {
    dir = temporaryDir()
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    env = {
      ...process.env,
      TOKENMINT_PROFILE: path.join(dir, 'profile.json'),
      TOKENMINT_LOG_LEVEL: 'warn',
      // Any free port: the default metrics address, 127.0.0.1:9464, would collide between tests.
      TOKENMINT_METRICS_LISTEN: '127.0.0.1:0',
    }
    server = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], { env, cwd: dir })
    server.stdout?.on('data', (chunk: Buffer) => (firstStartOutput += chunk.toString()))
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error('server did not start')
  })
  afterAll(() => {
    server.kill('SIGTERM')
  })

  it('prints the issuer, the admin credentials and next steps on first start', () => {
    expect(firstStartOutput).toContain(`issuer:          ${url}/t/default`)
    expect(firstStartOutput).toMatch(/admin secret:\s+tms_[0-9A-Za-z]{49}/)
    expect(firstStartOutput).toContain('npx tokenmint apis create')
    expect(firstStartOutput).toContain(`web console:     ${url}/console/`)
    expect(firstStartOutput).toMatch(/owner password:\s+[A-Za-z0-9_-]{20}\n/)
  })

  it('manages console administrators: create, list, set a role, disable, delete', async () => {
    const signIn = (username: string, password: string) =>
      fetch(`${url}/console/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: 'default', username, password }),
      })
    const ownerPassword = /owner password:\s+(\S+)/.exec(firstStartOutput)?.[1] ?? ''
    expect((await signIn('owner', ownerPassword)).status).toBe(200)

    const created = JSON.parse(
      (await cli('admins', 'create', '--username', 'grace', '--role', 'viewer', '--json')).stdout,
    ) as { id: string; role: string; password: string }
    expect(created.role).toBe('viewer')
    expect((await signIn('grace', created.password)).status).toBe(200)

    const chosen = await cliWithInput(
      'a passphrase she picked\n',
      'admins',
      'set-password',
      'grace',
    )
    expect(chosen.code, chosen.stderr).toBe(0)
    expect((await signIn('grace', created.password)).status).toBe(401)
    expect((await signIn('grace', 'a passphrase she picked')).status).toBe(200)

    expect((await cli('admins', 'set-role', 'grace', '--role', 'admin')).stdout).toMatch(
      /grace is now admin/,
    )
    const listed = (await cli('admins', 'list')).stdout
    expect(listed).toMatch(/grace\s+admin\s+active/)
    expect(listed).toMatch(/owner\s+owner\s+active/)

    await cli('admins', 'disable', 'grace')
    expect((await signIn('grace', 'a passphrase she picked')).status).toBe(401)
    const lastOwner = await cliFails('admins', 'delete', 'owner')
    expect(lastOwner.stderr).toMatch(/last active owner/)
    await cli('admins', 'delete', 'grace')
    expect((await cli('admins', 'list', '--json')).stdout).not.toContain('grace')
  })

  it('registers an API, creates an application and mints tokens in every documented shape', async () => {
    await cli(
      'apis',
      'create',
      '--audience',
      'https://api.example.com',
      '--name',
      'Policies API',
      '--scopes',
      'read:assigned-policies create:assigned-policies delete:assigned-policies',
    )
    const { stdout } = await cli(
      'apps',
      'create',
      '--name',
      'CI deploy',
      '--environment',
      'prod',
      '--audience',
      'https://api.example.com',
      '--scope',
      'read:assigned-policies create:assigned-policies',
      '--json',
    )
    const app = JSON.parse(stdout) as {
      client_id: string
      client_secret: string
      token_endpoint: string
    }
    expect(app.token_endpoint).toBe(`${url}/t/default/oauth/token`)

    const responses = [
      await postJson(`${url}/oauth/token`, {
        client_id: app.client_id,
        client_secret: app.client_secret,
        audience: 'https://api.example.com',
        grant_type: 'client_credentials',
        scope: 'read:assigned-policies create:assigned-policies',
      }),
      await postForm(`${url}/t/default/oauth/token`, {
        grant_type: 'client_credentials',
        client_id: app.client_id,
        client_secret: app.client_secret,
        scope: 'read:assigned-policies',
      }),
      await postForm(
        `${url}/t/default/oauth/token`,
        { grant_type: 'client_credentials' },
        { authorization: basic(app.client_id, app.client_secret, false) },
      ),
      await postJson(`${url}/oauth/token`, {
        client_id: app.client_id,
        client_secret: app.client_secret,
        scope: 'read:assigned-policies',
        grant_type: 'client_credentials',
      }),
    ]
    const jwks = createRemoteJWKSet(new URL(`${url}/t/default/.well-known/jwks.json`))
    for (const { status, body } of responses) {
      expect(status).toBe(200)
      const { payload } = await jwtVerify(body['access_token'] as string, jwks, {
        issuer: `${url}/t/default`,
        audience: 'https://api.example.com',
        typ: 'at+jwt',
      })
      expect(payload['client_id']).toBe(app.client_id)
    }

    const listed = JSON.parse((await cli('apps', 'list', '--json')).stdout) as {
      items: { name: string }[]
    }
    expect(listed.items.map((a) => a.name)).toContain('CI deploy')
    const shown = (await cli('apps', 'show', app.client_id)).stdout
    expect(shown).toContain('CI deploy (prod)')
    expect(shown).not.toContain(app.client_secret)

    const audit = (
      await cli('audit', '--app', app.client_id, '--type', 'token.issued', '--json')
    ).stdout
      .trim()
      .split('\n')
    expect(audit).toHaveLength(4)
    expect(audit.join('\n')).not.toContain(app.client_secret)
  })

  it('mints a token for CI with the secret from the environment, never a flag', async () => {
    const { stdout } = await cli(
      'apps',
      'create',
      '--name',
      'pipeline',
      '--audience',
      'https://api.example.com',
      '--scope',
      'read:assigned-policies',
      '--json',
    )
    const app = JSON.parse(stdout) as { client_id: string; client_secret: string }
    const minted = await run(
      process.execPath,
      [BIN, 'token', '--token-url', `${url}/t/default/oauth/token`, '--client-id', app.client_id],
      {
        env: { ...env, TOKENMINT_CLIENT_SECRET: app.client_secret },
      },
    )
    expect(minted.stdout.trim().split('.')).toHaveLength(3)
    const viaIssuer = await run(
      process.execPath,
      [BIN, 'token', '--issuer', `${url}/t/default`, '--client-id', app.client_id, '--json'],
      {
        env: { ...env, TOKENMINT_CLIENT_SECRET: app.client_secret },
      },
    )
    expect(JSON.parse(viaIssuer.stdout)).toMatchObject({
      token_type: 'Bearer',
      scope: 'read:assigned-policies',
    })

    const refused = await cliFails(
      'token',
      '--token-url',
      `${url}/t/default/oauth/token`,
      '--client-id',
      app.client_id,
      '--client-secret',
      app.client_secret,
    )
    expect(refused.stderr).toMatch(/^error: never pass a client secret as a flag/)
  })

  it('exits 3 with one line when the server refuses, and 4 when it is unreachable', async () => {
    const notFound = await cliFails('apps', 'show', 'tmc_nope')
    expect(notFound.code).toBe(3)
    expect(notFound.stderr.trim().split('\n')).toHaveLength(1)
    expect(notFound.stderr).toMatch(/^error: .*not found/)
    const unreachable = await cliFails(
      'apps',
      'list',
      '--url',
      'http://127.0.0.1:9',
      '--client-id',
      'tmc_x',
      '--client-secret',
      'tms_y',
    )
    expect(unreachable.code).toBe(4)
    expect(unreachable.stderr).toMatch(
      /^error: the server at http:\/\/127\.0\.0\.1:9 is unreachable/,
    )
  })

  it('refuses an unknown scope when creating an application, naming it', async () => {
    const failure = await cliFails(
      'apps',
      'create',
      '--name',
      'x',
      '--audience',
      'https://api.example.com',
      '--scope',
      'write:everything',
    )
    expect(failure.stderr).toContain('write:everything')
  })

  it('initialises a fresh data dir with the tenant and algorithm asked for, printing JSON', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        BIN,
        'init',
        '--data-dir',
        path.join(dir, 'fresh'),
        '--tenant',
        'initech',
        '--algorithm',
        'EdDSA',
        '--json',
      ],
      {
        env: { ...env, TOKENMINT_PROFILE: path.join(dir, 'fresh-profile.json') },
      },
    )
    const result = JSON.parse(stdout) as {
      tenant: string
      issuer: string
      admin: { client_secret: string }
    }
    expect(result.tenant).toBe('initech')
    expect(result.issuer).toBe('http://127.0.0.1:8080/t/initech')
    expect(result.admin.client_secret).toMatch(/^tms_/)
  })

  it('refuses to initialise a data dir twice', async () => {
    const failure = await cliFails('init', '--data-dir', path.join(dir, 'data'))
    expect(failure.stderr).toMatch(/already initialised/)
    expect(failure.code).toBe(1)
  })

  it('creates another tenant and acts on it with the saved credentials', async () => {
    const created = JSON.parse(
      (await cli('tenants', 'create', '--id', 'globex', '--algorithm', 'EdDSA', '--json')).stdout,
    ) as {
      tenant: { issuer: string }
    }
    expect(created.tenant.issuer).toBe(`${url}/t/globex`)
    const apis = JSON.parse((await cli('--tenant', 'globex', 'apis', 'list', '--json')).stdout) as {
      items: { audience: string }[]
    }
    expect(apis.items.map((a) => a.audience)).toEqual(['urn:tokenmint:admin'])
    const keys = JSON.parse((await cli('--tenant', 'globex', 'keys', 'list', '--json')).stdout) as {
      items: { algorithm: string }[]
    }
    expect(keys.items.every((k) => k.algorithm === 'EdDSA')).toBe(true)
  })

  it('runs the lifecycle from the CLI: catalog, preset, edit, rotate, end overlap, revoke, delete', async () => {
    const catalog = path.resolve(import.meta.dirname, '../../../../examples/policies-catalog.yaml')
    const api = JSON.parse(
      (
        await cli(
          'apis',
          'create',
          '--audience',
          'https://compliance.example.com',
          '--name',
          'Compliance API',
          '--catalog',
          catalog,
          '--json',
        )
      ).stdout,
    ) as { presets: { name: string }[]; scopes: string[] }
    expect(api.presets.map((p) => p.name)).toEqual([
      'read-only',
      'full-access',
      'auditor',
      'scanner',
    ])
    expect(api.scopes).toContain('connectors.self:write-resource')

    const app = JSON.parse(
      (
        await cli(
          'apps',
          'create',
          '--name',
          'scanner',
          '--audience',
          'https://compliance.example.com',
          '--preset',
          'scanner',
          '--json',
        )
      ).stdout,
    ) as { client_id: string; client_secret: string; grants: { scopes: string[] }[] }
    expect(app.grants[0]!.scopes).toEqual(['read:devices', 'read:personnel', 'create:evidence'])

    const updated = JSON.parse(
      (
        await cli(
          'apps',
          'update',
          app.client_id,
          '--audience',
          'https://compliance.example.com',
          '--scope',
          'read:devices',
          '--json',
        )
      ).stdout,
    ) as { grants: { scopes: string[] }[]; notice: string }
    expect(updated.grants[0]!.scopes).toEqual(['read:devices'])
    expect(updated.notice).toMatch(/next token request/)

    const rotated = JSON.parse(
      (await cli('apps', 'rotate-secret', app.client_id, '--overlap', '1h', '--json')).stdout,
    ) as {
      client_secret: string
      previous_secret: { expires_at: string }
    }
    const overlapMs = Date.parse(rotated.previous_secret.expires_at) - Date.now()
    expect(overlapMs).toBeGreaterThan(3500_000)
    expect(overlapMs).toBeLessThanOrEqual(3600_000)
    const token = (secret: string) =>
      postForm(
        `${url}/t/default/oauth/token`,
        { grant_type: 'client_credentials' },
        { authorization: basic(app.client_id, secret) },
      )
    expect((await token(app.client_secret)).status).toBe(200)
    expect((await cli('apps', 'end-overlap', app.client_id)).stdout).toMatch(
      /Ended 1 previous secret/,
    )
    expect((await token(app.client_secret)).status).toBe(401)
    expect((await token(rotated.client_secret)).status).toBe(200)

    expect((await cli('apps', 'revoke', app.client_id)).stdout).toMatch(/Revoked scanner/)
    expect((await token(rotated.client_secret)).status).toBe(401)
    expect((await cli('apps', 'delete', app.client_id)).stdout).toMatch(/Deleted/)
    expect((await cliFails('apps', 'show', app.client_id)).code).toBe(3)
  })

  it('manages users with the password read from stdin, never a flag', async () => {
    await cli(
      'apis',
      'create',
      '--audience',
      'https://scanner.example.com',
      '--name',
      'Scanner API',
      '--scopes',
      'read:findings',
    )
    const created = await cliWithInput(
      'purple staple battery horse\n',
      'users',
      'create',
      '--username',
      'Scanner',
      '--audience',
      'https://scanner.example.com',
      '--scope',
      'read:findings',
      '--json',
    )
    expect(created.code, created.stderr).toBe(0)
    const user = JSON.parse(created.stdout) as { id: string; status: string }
    expect(user.status).toBe('active')
    expect(created.stdout).not.toContain('passphrase')

    const app = JSON.parse(
      (
        await cli(
          'apps',
          'create',
          '--name',
          'legacy scanner',
          '--audience',
          'https://scanner.example.com',
          '--scope',
          'read:findings',
          '--grant',
          'password',
          '--json',
        )
      ).stdout,
    ) as { client_id: string; client_secret: string; warnings: string[] }
    expect(app.warnings[0]).toMatch(/RFC 9700/)
    const login = (password: string) =>
      postForm(
        `${url}/t/default/oauth/token`,
        { grant_type: 'password', username: 'scanner', password },
        { authorization: basic(app.client_id, app.client_secret) },
      )
    expect((await login('purple staple battery horse')).status).toBe(200)

    expect((await cli('users', 'disable', 'scanner')).stdout).toMatch(/Disabled Scanner/)
    expect((await login('purple staple battery horse')).status).toBe(400)
    await cli('users', 'enable', user.id)
    const changed = await cliWithInput(
      'another long passphrase',
      'users',
      'set-password',
      'scanner',
    )
    expect(changed.code).toBe(0)
    expect((await login('another long passphrase')).status).toBe(200)
    const weak = await cliWithInput('short', 'users', 'set-password', 'scanner')
    expect(weak.code).toBe(3)
    expect(weak.stderr).toMatch(/^error: .*at least 12 characters/)
    expect(JSON.parse((await cli('users', 'list', '--json')).stdout).items).toHaveLength(1)
    expect((await cli('users', 'delete', 'scanner')).stdout).toMatch(/Deleted/)
  })
})
