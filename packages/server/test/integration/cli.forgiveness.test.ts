import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { freePort, temporaryDir } from '../support/server.js'

const run = promisify(execFile)
const BIN = path.resolve(import.meta.dirname, '../../bin/tokenmint.js')

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

interface Grant {
  audience: string
  scopes: string[]
}

/** Issue 18: what a new user hit on day one, each mistake now forgiven or explained. */
describe('a CLI that forgives mistakes', () => {
  let dir: string
  let url: string
  let port: number
  let profile: string
  let server: ChildProcess
  let firstStart = ''
  let env: NodeJS.ProcessEnv
  let oldSecret: string

  const cliIn = async (extraEnv: NodeJS.ProcessEnv, args: string[]): Promise<Outcome> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
        env: { ...env, ...extraEnv },
        cwd: dir,
      })
      return { code: 0, stdout, stderr }
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string }
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
    }
  }
  const cli = (...args: string[]) => cliIn({}, args)
  const ok = async (...args: string[]) => {
    const result = await cli(...args)
    expect(result.code, result.stderr).toBe(0)
    return result.stdout
  }
  const json = async <T>(...args: string[]) => JSON.parse(await ok(...args, '--json')) as T
  /** Runs the CLI at a terminal (a pty from util-linux `script`) and types `input` into it. */
  const atTerminal = (input: string, ...args: string[]) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ')
      const child = spawn('script', ['-qec', command, '/dev/null'], { env, cwd: dir })
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
      child.on('close', (code) => {
        resolve({ code, output })
      })
      child.stdin.end(input)
    })
  const createApp = (...args: string[]) =>
    json<{ client_id: string; client_secret: string; grants: Grant[] }>('apps', 'create', ...args)

  beforeAll(async () => {
    dir = temporaryDir()
    port = await freePort()
    url = `http://127.0.0.1:${port}`
    profile = path.join(dir, 'profile.json')
    // Nothing from the developer's shell: the profile alone says where the server is.
    const unset = [
      'TOKENMINT_URL',
      'TOKENMINT_TENANT',
      'TOKENMINT_PROFILE_NAME',
      'TOKENMINT_CLIENT_ID',
      'TOKENMINT_CLIENT_SECRET',
      'COLUMNS',
    ]
    env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !unset.includes(k))),
      TOKENMINT_PROFILE: profile,
      TOKENMINT_LOG_LEVEL: 'warn',
      TOKENMINT_METRICS_LISTEN: '127.0.0.1:0',
    }
    // An earlier server on the same address saved its admin secret in the profile...
    const earlier = JSON.parse(
      await ok('init', '--data-dir', path.join(dir, 'earlier'), '--public-url', url, '--json'),
    ) as { admin: { client_secret: string } }
    oldSecret = earlier.admin.client_secret
    // ...and a new data dir's first start on that address saves another one.
    server = spawn(
      process.execPath,
      [BIN, 'serve', '--data-dir', path.join(dir, 'data'), '--port', String(port)],
      { env: { ...env, TOKENMINT_HOST: '127.0.0.1' }, cwd: dir },
    )
    server.stdout?.on('data', (chunk: Buffer) => (firstStart += chunk.toString()))
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await ok(
      'apis',
      'create',
      '--audience',
      'https://a.example.com',
      '--name',
      'A',
      '--scopes',
      'read:a write:a',
    )
    // --scope is accepted as the same option as --scopes.
    await ok(
      'apis',
      'create',
      '--audience',
      'https://b.example.com',
      '--name',
      'B',
      '--scope',
      'read:b,write:b',
    )
  }, 30_000)
  afterAll(() => {
    server.kill('SIGTERM')
  })

  describe('profiles', () => {
    it('keeps the admin secret of an earlier server when a first start saves another, and says where', () => {
      expect(firstStart).toContain('were kept as profile "default-previous"')
      const saved = JSON.parse(fs.readFileSync(profile, 'utf8')) as {
        default: string
        profiles: Record<string, { client_secret: string; url: string }>
        tenants: Record<string, { client_secret: string }>
      }
      expect(saved.profiles['default-previous']?.client_secret).toBe(oldSecret)
      expect(saved.profiles['default']?.client_secret).not.toBe(oldSecret)
      expect(saved.default).toBe('default')
      // The first format's fields still name the default profile's credentials.
      expect(saved.tenants['default']?.client_secret).toBe(saved.profiles['default']?.client_secret)
    })

    it('keeps the first secret when init runs twice for the same server', async () => {
      const own = { TOKENMINT_PROFILE: path.join(dir, 'twice.json') }
      const first = JSON.parse(
        (await cliIn(own, ['init', '--data-dir', path.join(dir, 'one'), '--json'])).stdout,
      ) as { admin: { client_secret: string }; previous_profile: string | null }
      expect(first.previous_profile).toBeNull()
      const second = await cliIn(own, ['init', '--data-dir', path.join(dir, 'two')])
      expect(second.code, second.stderr).toBe(0)
      expect(second.stdout).toMatch(/kept as profile "default-previous"/)
      const saved = JSON.parse(fs.readFileSync(own.TOKENMINT_PROFILE, 'utf8')) as {
        profiles: Record<string, { client_secret: string }>
      }
      expect(saved.profiles['default-previous']?.client_secret).toBe(first.admin.client_secret)
    })

    it('reads a profile in the first format, and takes localhost for 127.0.0.1', async () => {
      const current = JSON.parse(fs.readFileSync(profile, 'utf8')) as {
        profiles: Record<string, { client_id: string; client_secret: string }>
      }
      const legacy = path.join(dir, 'legacy.json')
      fs.writeFileSync(
        legacy,
        JSON.stringify({
          url,
          tenant: 'default',
          tenants: { default: current.profiles['default'] },
        }),
      )
      const listed = await cliIn({ TOKENMINT_PROFILE: legacy }, [
        '--url',
        `http://localhost:${port}`,
        'apis',
        'list',
        '--json',
      ])
      expect(listed.code, listed.stderr).toBe(0)
      expect(listed.stdout).toContain('https://a.example.com')
    })

    it('says a server that is not running is unreachable (exit 4), not that credentials are missing', async () => {
      const closed = `http://127.0.0.1:${await freePort()}`
      const result = await cli('--url', closed, 'apps', 'list')
      expect(result.code).toBe(4)
      expect(result.stderr).toBe(`error: the server at ${closed} is unreachable\n`)
    })

    it('picks a saved profile by name, and names the saved ones for an unknown name', async () => {
      expect((await cliIn({ TOKENMINT_PROFILE_NAME: 'default' }, ['apis', 'list'])).code).toBe(0)
      const stale = await cli('--profile', 'default-previous', 'apis', 'list')
      expect(stale.code).toBe(3)
      expect(stale.stderr).toMatch(
        /^error: the admin credentials of profile "default-previous" were refused/,
      )
      const unknown = await cli('--profile', 'nope', 'apis', 'list')
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toMatch(/no profile "nope" .*saved: default, default-previous/)
    })
  })

  describe('apps create and update with grants on several APIs', () => {
    it('grants several APIs with --api-scopes, and updates only the API named', async () => {
      const app = await createApp(
        '--name',
        'two apis',
        '--api-scopes',
        'https://a.example.com=read:a,write:a',
        '--api-scopes',
        'https://b.example.com=read:b write:b',
      )
      expect(app.grants).toEqual([
        { audience: 'https://a.example.com', scopes: ['read:a', 'write:a'] },
        { audience: 'https://b.example.com', scopes: ['read:b', 'write:b'] },
      ])
      const shorthand = await json<{ grants: Grant[] }>(
        'apps',
        'update',
        app.client_id,
        '--audience',
        'https://a.example.com',
        '--scope',
        'read:a',
      )
      expect(shorthand.grants).toEqual([
        { audience: 'https://a.example.com', scopes: ['read:a'] },
        { audience: 'https://b.example.com', scopes: ['read:b', 'write:b'] },
      ])
      const named = await json<{ grants: Grant[] }>(
        'apps',
        'update',
        app.client_id,
        '--api-scopes',
        'https://b.example.com=write:b',
      )
      expect(named.grants).toEqual([
        { audience: 'https://a.example.com', scopes: ['read:a'] },
        { audience: 'https://b.example.com', scopes: ['write:b'] },
      ])
      const renamed = await json<{ name: string; grants: Grant[] }>(
        'apps',
        'update',
        app.client_id,
        '--name',
        'renamed',
      )
      expect(renamed.name).toBe('renamed')
      expect(renamed.grants).toEqual(named.grants)

      // One API's grant taken away, the other kept; removing what it does not hold is refused.
      const removed = await json<{ grants: Grant[] }>(
        'apps',
        'update',
        app.client_id,
        '--remove-api',
        'https://a.example.com',
      )
      expect(removed.grants).toEqual([{ audience: 'https://b.example.com', scopes: ['write:b'] }])
      const again = await cli(
        'apps',
        'update',
        app.client_id,
        '--remove-api',
        'https://a.example.com',
      )
      expect(again.code).toBe(1)
      expect(again.stderr).toContain('holds no scopes on https://a.example.com')
      const both = await cli(
        'apps',
        'update',
        app.client_id,
        '--remove-api',
        'https://b.example.com',
        '--api-scopes',
        'https://b.example.com=read:b',
      )
      expect(both.stderr).toContain('both granted and removed')
      const shown = await json<{ grants: Grant[] }>('apps', 'show', app.client_id)
      expect(shown.grants).toEqual(removed.grants)
    })

    it('refuses an API named twice and a malformed --api-scopes, changing nothing', async () => {
      const app = await createApp('--name', 'once', '--api-scopes', 'https://a.example.com=read:a')
      const twice = await cli(
        'apps',
        'update',
        app.client_id,
        '--audience',
        'https://a.example.com',
        '--scopes',
        'write:a',
        '--api-scopes',
        'https://a.example.com=read:a',
      )
      expect(twice.code).toBe(1)
      expect(twice.stderr).toMatch(/https:\/\/a\.example\.com is named twice/)
      const malformed = await cli('apps', 'update', app.client_id, '--api-scopes', 'read:a')
      expect(malformed.stderr).toMatch(/--api-scopes takes AUDIENCE=SCOPES/)
      const shown = await json<{ grants: Grant[] }>('apps', 'show', app.client_id)
      expect(shown.grants).toEqual(app.grants)
    })

    it('documents --scopes on apis and apps, and accepts --scope as the same option', async () => {
      for (const group of ['apis', 'apps']) {
        const help = await ok(group, 'create', '--help')
        expect(help).toMatch(/--scopes <scopes>/)
        expect(help).not.toMatch(/--scope </)
      }
      const app = await createApp(
        '--name',
        'alias',
        '--audience',
        'https://b.example.com',
        '--scopes',
        'read:b',
      )
      expect(app.grants).toEqual([{ audience: 'https://b.example.com', scopes: ['read:b'] }])
    })
  })

  describe('--json', () => {
    it('is accepted before the command as well as after it', async () => {
      const app = await createApp('--name', 'json anywhere')
      const before = JSON.parse(await ok('--json', 'apps', 'show', app.client_id)) as {
        client_id: string
      }
      expect(before.client_id).toBe(app.client_id)
    })

    it('prints errors as JSON on stderr, with the exit code', async () => {
      const refused = await cli('--json', 'apps', 'show', 'tmc_nope')
      expect(refused.code).toBe(3)
      const body = JSON.parse(refused.stderr) as { error: { message: string; exit_code: number } }
      expect(body.error.exit_code).toBe(3)
      expect(body.error.message).toMatch(/not found/)
      const typo = await cli('apps', 'lsit', '--json')
      expect(typo.code).toBe(1)
      expect(JSON.parse(typo.stderr)).toEqual({
        error: { message: "unknown command 'lsit' (Did you mean list?)", exit_code: 1 },
      })
    })
  })

  describe('help and typos', () => {
    it('describes every command in --help', async () => {
      const top = await ok('--help')
      const entries = (help: string) => {
        const section = help.split('\nCommands:\n')[1] ?? ''
        return section.split('\n').filter((line) => /^ {2}\S/.test(line))
      }
      const groups = entries(top).map((line) => line.trim().split(/\s/)[0] ?? '')
      expect(groups).toContain('apps')
      const undescribed: string[] = []
      for (const line of entries(top)) if (!/\S {2,}\S/.test(line.trim())) undescribed.push(line)
      for (const group of groups.filter((g) => g !== 'help')) {
        for (const line of entries(await ok(group, '--help')))
          if (!/\S {2,}\S/.test(line.trim())) undescribed.push(`${group}: ${line.trim()}`)
      }
      expect(undescribed).toEqual([])
    })

    it('answers a typo with one line and a suggestion, not the whole usage', async () => {
      const typo = await cli('apps', 'lsit')
      expect(typo.code).toBe(1)
      expect(typo.stderr).toBe(
        "error: unknown command 'lsit' (did you mean list?); see tokenmint apps --help\n",
      )
      const option = await cli('apps', 'list', '--limt', '5')
      expect(option.stderr.trim().split('\n')).toHaveLength(1)
      expect(option.stderr).toMatch(/unknown option '--limt' \(did you mean --limit\?\)/)
      // A key id is a thumbprint: one in 64 starts with "-" and reads as an option.
      const kid = await cli('apps', 'keys', 'remove', 'tmc_x', '-35VhOOLnvMEp7O2IyrvmaUSke2U')
      expect(kid.stderr).toMatch(/put -- before it: tokenmint apps keys remove … -- -35Vh/)
    })
  })

  describe('revoke and delete', () => {
    it('asks at a terminal, and changes nothing without the name or yes', async () => {
      const app = await createApp('--name', 'careful')
      const declined = await atTerminal('no\n', 'apps', 'delete', app.client_id)
      expect(declined.output).toMatch(/Delete careful \(prod, tmc_\w+\)\?/)
      expect(declined.code).toBe(1)
      expect(declined.output).toMatch(/nothing was done/)
      expect((await json<{ status: string }>('apps', 'show', app.client_id)).status).toBe('active')

      const revoked = await atTerminal('careful\n', 'apps', 'revoke', app.client_id)
      expect(revoked.code, revoked.output).toBe(0)
      expect(revoked.output).toMatch(/Revoked careful/)
      const deleted = await atTerminal('yes\n', 'apps', 'delete', app.client_id)
      expect(deleted.code, deleted.output).toBe(0)
      expect((await cli('apps', 'show', app.client_id)).code).toBe(3)
    })

    it('goes ahead without asking with --yes, or without a terminal', async () => {
      const first = await createApp('--name', 'scripted')
      const withYes = await atTerminal('', 'apps', 'revoke', first.client_id, '--yes')
      expect(withYes.code, withYes.output).toBe(0)
      expect(withYes.output).not.toMatch(/Type the name/)
      const second = await createApp('--name', 'piped')
      expect(await ok('apps', 'delete', second.client_id)).toMatch(/Deleted/)
    })
  })

  describe('tables', () => {
    it('fits apps list in 100 columns without a terminal, keeping client ids whole', async () => {
      const app = await createApp(
        '--name',
        'a very long application name that would push every other column far to the right',
        '--api-scopes',
        'https://a.example.com=read:a write:a',
        '--api-scopes',
        'https://b.example.com=read:b write:b',
      )
      const lines = (await ok('apps', 'list')).trimEnd().split('\n')
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100)
      const row = lines.find((l) => l.startsWith(app.client_id))
      expect(row).toContain('…')
      const wide = (await cliIn({ COLUMNS: '160' }, ['apps', 'list'])).stdout.split('\n')
      expect(Math.max(...wide.map((l) => l.length))).toBeLessThanOrEqual(160)
      expect(wide.find((l) => l.startsWith(app.client_id))).toContain('that would push')
    })

    it('prints the audit log as a table, and JSON lines with --json', async () => {
      const app = await createApp(
        '--name',
        'audited',
        '--api-scopes',
        'https://a.example.com=read:a',
      )
      await ok('apps', 'update', app.client_id, '--environment', 'stage')
      const narrow = (await ok('audit', '--app', app.client_id)).trimEnd().split('\n')
      expect(Math.max(...narrow.map((l) => l.length))).toBeLessThanOrEqual(100)
      expect(narrow.join('\n')).toContain(app.client_id)
      const wide = await cliIn({ COLUMNS: '160' }, ['audit', '--app', app.client_id])
      const human = wide.stdout.trimEnd().split('\n')
      expect(human[0]).toMatch(/^TIME \(UTC\)\s+TYPE\s+ACTOR\s+CLIENT\s+SUMMARY$/)
      expect(human.join('\n')).toMatch(/application\.updated\s+.*changed environment/)
      expect(human.join('\n')).toMatch(/application\.created\s+.*audited \(prod\)/)
      expect(human.join('\n')).not.toContain('{"')
      const lines = (await ok('audit', '--app', app.client_id, '--json')).trim().split('\n')
      expect(lines.map((l) => (JSON.parse(l) as { type: string }).type)).toContain(
        'application.created',
      )
    })
  })

  describe('token', () => {
    it('says an issuer without /t/<tenant> is wrong (exit 1), not that the server is unreachable', async () => {
      const app = await createApp(
        '--name',
        'minter',
        '--api-scopes',
        'https://a.example.com=read:a',
      )
      const result = await cliIn({ TOKENMINT_CLIENT_SECRET: app.client_secret }, [
        'token',
        '--issuer',
        url,
        '--client-id',
        app.client_id,
      ])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`--issuer ${url}/t/<tenant> (e.g. ${url}/t/default)`)
      expect(result.stderr).not.toMatch(/unreachable/)
    })
  })
})
