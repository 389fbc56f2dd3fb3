import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { basic, createApi, createApplication, postForm } from '../support/fixtures.js'
import { CLI, cliEnvFor } from '../support/serve-process.js'
import { startServer, type TestServer } from '../support/server.js'

const run = promisify(execFile)

describe('tokenmint insights', () => {
  let server: TestServer
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    server = await startServer()
    env = cliEnvFor(server)
  })
  afterAll(() => server.stop())

  const cli = async (...args: string[]) =>
    (await run(process.execPath, [CLI, ...args], { env })).stdout

  it('lists unused scopes with the command that removes them, and removes them', async () => {
    const api = await createApi(server, { scopes: ['read:a', 'write:b'] })
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:a', 'write:b'] }],
    })
    const minted = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials', scope: 'read:a' },
      { authorization: basic(app.clientId, app.clientSecret) },
    )
    expect(minted.status).toBe(200)
    const report = JSON.parse(
      await cli('insights', '--days', '0', '--app', app.clientId, '--json'),
    ) as {
      findings: { kind: string; scopes?: string[] }[]
    }
    expect(report.findings.find((f) => f.kind === 'unused_scopes')?.scopes).toEqual(['write:b'])
    const human = await cli('insights', '--days', '0')
    expect(human).toContain(
      `tokenmint insights remove-unused ${app.clientId} --audience ${api.audience} --scopes write:b`,
    )
    const removed = await cli(
      'insights',
      'remove-unused',
      app.clientId,
      '--audience',
      api.audience,
      '--scopes',
      'write:b',
      '--days',
      '0',
    )
    expect(removed).toContain('Removed write:b')
    const after = JSON.parse(
      await cli('insights', '--days', '0', '--app', app.clientId, '--json'),
    ) as {
      findings: { kind: string }[]
    }
    expect(after.findings.filter((f) => f.kind === 'unused_scopes')).toEqual([])
  })
})
