import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startServer, type TestServer } from '../support/server.js'
import { adminRequests } from './admin-requests.js'
import {
  FUZZ_RUNS,
  FUZZ_SERVER_OPTIONS,
  fuzz,
  prepareFuzzContext,
  type FuzzContext,
} from './support.js'

describe('admin API under hostile input: every route of its OpenAPI document', () => {
  let server: TestServer
  let context: FuzzContext

  beforeAll(async () => {
    server = await startServer(FUZZ_SERVER_OPTIONS)
    context = await prepareFuzzContext(server)
  })
  afterAll(() => server.stop())

  it('answers generated and mutated calls with problem details, never a 5xx or a leak', async () => {
    // The state checks (counts, protected objects) run every 25 calls inside fuzz().
    const problems = await fuzz(context, adminRequests(context, 'bearer'), { runs: FUZZ_RUNS * 3 })
    expect(problems).toEqual([])
  })
})
