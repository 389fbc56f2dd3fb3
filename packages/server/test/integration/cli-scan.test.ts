import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { generateClientSecret, secretHint } from '../../src/crypto/secret-format.js'
import { EXIT_SECRETS_FOUND } from '../../src/cli/scan.js'
import { basic, createApi, createApplication, postForm } from '../support/fixtures.js'
import { CLI, cliEnvFor, removeScratchDir, scratchDir } from '../support/serve-process.js'
import { startServer } from '../support/server.js'

const run = promisify(execFile)

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

interface ScanReport {
  findings: { path: string; line: number; column: number; hint: string }[]
  files_scanned: number
}

/** A secret whose last character is changed: the right shape, a wrong checksum. */
function withBadChecksum(secret: string): string {
  return secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A')
}

describe('tokenmint scan', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  const secret = generateClientSecret()
  const lookAlike = withBadChecksum(generateClientSecret())
  const inModules = generateClientSecret()
  const inGit = generateClientSecret()

  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    fs.writeFileSync(path.join(dir, file), text)
  }
  const scan = async (...args: string[]): Promise<Outcome> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, 'scan', ...args], {
        env,
        cwd: dir,
      })
      return { code: 0, stdout, stderr }
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string }
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
    }
  }

  beforeAll(() => {
    dir = scratchDir('tokenmint-scan-')
    // Nothing from the developer's shell: scanning needs no server or profile.
    env = {
      ...Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !key.startsWith('TOKENMINT_')),
      ),
      TOKENMINT_PROFILE: path.join(dir, 'profile.json'),
    }
    write('clean/README.md', `# nothing here\ntms_ but too short\n${lookAlike}\n`)
    write(
      'repo/src/config/settings.env',
      `# settings\nCLIENT_ID=tmc_x\n  CLIENT_SECRET=${secret} # oops\n`,
    )
    write('repo/look-alike.txt', `secret: ${lookAlike}\n`)
    // Glued to other base62 characters: part of a longer token, not a client secret.
    write('repo/glued.txt', `x${generateClientSecret()}\n${generateClientSecret()}9\n`)
    write('repo/node_modules/pkg/index.js', `const s = '${inModules}'\n`)
    write('repo/.git/config', `secret = ${inGit}\n`)
    write('repo/image.bin', `\0\0\0${generateClientSecret()}`)
  })
  afterAll(() => {
    removeScratchDir(dir)
  })

  it('finds a secret in a nested file at its line and column, printing only its hint', async () => {
    const result = await scan('repo')
    expect(result.code, result.stderr).toBe(2)
    const where = path.join('repo', 'src', 'config', 'settings.env')
    expect(result.stdout).toContain(`${where}:3:17: ${secretHint(secret)}\n`)
    expect(result.stdout).toContain('1 client secret found in 3 files scanned')
    for (const value of [secret, secret.slice(0, -4), inModules, inGit]) {
      expect(result.stdout).not.toContain(value)
      expect(result.stderr).not.toContain(value)
    }
  })

  it('reports a look-alike with a wrong checksum, or one glued to other characters, as clean', async () => {
    const result = await scan('clean', 'repo/look-alike.txt', 'repo/glued.txt', '--json')
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ findings: [], files_scanned: 3 })
  })

  it('skips node_modules, .git and binary files', async () => {
    const result = await scan('repo', '--json')
    const report = JSON.parse(result.stdout) as ScanReport
    expect(report.findings.map((f) => f.path)).toEqual([
      path.join('repo', 'src', 'config', 'settings.env'),
    ])
    expect(report.files_scanned).toBe(3)
  })

  it('prints findings as JSON: path, line, column and hint', async () => {
    const result = await scan('--json')
    expect(result.code, result.stderr).toBe(2)
    expect(JSON.parse(result.stdout)).toEqual({
      findings: [
        {
          path: path.join('repo', 'src', 'config', 'settings.env'),
          line: 3,
          column: 17,
          hint: secretHint(secret),
        },
      ],
      files_scanned: 4,
    })
  })

  it('exits 0 with a one-line summary when clean', async () => {
    const result = await scan('clean')
    expect(result).toEqual({
      code: 0,
      stdout: 'No client secrets found in 1 file scanned.\n',
      stderr: '',
    })
  })

  it('fails, exiting 1, on a path that does not exist instead of passing it', async () => {
    const result = await scan('clean', 'no-such-dir')
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe('error: cannot scan no-such-dir: ENOENT\n')
  })

  it('with --revoke reports each secret found to the server once, which revokes it', async () => {
    const server = await startServer()
    try {
      const api = await createApi(server)
      const leaked = await createApplication(server, {
        grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
      })
      const mint = () =>
        postForm(
          server.tokenEndpoint,
          { grant_type: 'client_credentials' },
          { authorization: basic(leaked.clientId, leaked.clientSecret) },
        )
      expect((await mint()).status).toBe(200)
      write('deploy/ci.env', `TOKENMINT_SECRET=${leaked.clientSecret}\n`)
      write('deploy/copy.env', `# again\nSECRET=${leaked.clientSecret}\n`)
      const saved = env
      env = cliEnvFor(server)
      let result: Outcome
      try {
        result = await scan('--revoke', '--json', 'deploy')
      } finally {
        env = saved
      }
      expect(result.code).toBe(EXIT_SECRETS_FOUND)
      const report = JSON.parse(result.stdout) as {
        findings: { path: string; outcome?: string; client_id?: string }[]
      }
      expect(report.findings).toHaveLength(2)
      expect(report.findings[0]).toMatchObject({
        outcome: 'revoked_secret',
        client_id: leaked.clientId,
      })
      expect(result.stdout + result.stderr).not.toContain(leaked.clientSecret)
      expect((await mint()).status).toBe(401)
      const leaks = (await (
        await server.admin_(
          'GET',
          `/admin/v1/tenants/${server.tenant}/leaks?client_id=${leaked.clientId}`,
        )
      ).json()) as { items: { url: string; reports: number }[] }
      expect(leaks.items).toHaveLength(1)
      expect(leaks.items[0]?.url).toBe('deploy/ci.env#L1')
      expect(leaks.items[0]?.reports).toBe(1)
    } finally {
      await server.stop()
    }
  })
})
