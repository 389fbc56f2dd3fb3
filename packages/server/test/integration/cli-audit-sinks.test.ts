import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { CLI, cliEnvFor } from '../support/serve-process.js'
import { startServer, type TestServer } from '../support/server.js'

const run = promisify(execFile)

describe('tokenmint audit sinks add', () => {
  let server: TestServer
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    server = await startServer()
    env = cliEnvFor(server)
  })
  afterAll(() => server.stop())

  it('takes the sink URL as an argument, beside the global --url that names the server', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        CLI,
        '--url',
        server.url,
        'audit',
        'sinks',
        'add',
        'https://siem.example.com/tokenmint',
        '--kind',
        'https',
        '--json',
      ],
      { env },
    )
    const created = JSON.parse(stdout) as { sink: { url: string }; secret: string }
    expect(created.sink.url).toBe('https://siem.example.com/tokenmint')
    expect(created.secret).toMatch(/^whsec_/)
    const listed = JSON.parse(
      (await run(process.execPath, [CLI, 'audit', 'sinks', '--url', server.url, '--json'], { env }))
        .stdout,
    ) as { url: string }[]
    expect(listed.map((s) => s.url)).toContain('https://siem.example.com/tokenmint')
  })
})
