import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startServer, type TestServer } from '../support/server.js'
import { adminRequests } from './admin-requests.js'
import { consoleSessionRequests } from './console-requests.js'
import {
  FUZZ_RUNS,
  FUZZ_SERVER_OPTIONS,
  fuzz,
  prepareFuzzContext,
  type FuzzContext,
} from './support.js'

describe('console API under hostile input: sign-in, sessions and CSRF', () => {
  let server: TestServer
  let context: FuzzContext

  beforeAll(async () => {
    server = await startServer(FUZZ_SERVER_OPTIONS)
    context = await prepareFuzzContext(server)
  })
  afterAll(() => server.stop())

  it('refuses every mangled sign-in, session read and sign-out, echoing no password', async () => {
    const runs = Math.ceil(FUZZ_RUNS * 1.5)
    expect(await fuzz(context, consoleSessionRequests(context), { runs })).toEqual([])
  })

  it('lets no admin call through without the session and its CSRF token, and changes nothing it refused', async () => {
    const runs = Math.ceil(FUZZ_RUNS * 1.5)
    expect(await fuzz(context, adminRequests(context, 'console'), { runs })).toEqual([])
  })
})
