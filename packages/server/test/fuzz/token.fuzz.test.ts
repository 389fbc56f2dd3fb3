import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startServer, type TestServer } from '../support/server.js'
import { oauthRequests } from './oauth-requests.js'
import {
  FUZZ_RUNS,
  FUZZ_SERVER_OPTIONS,
  fuzz,
  prepareFuzzContext,
  type FuzzContext,
} from './support.js'

describe('token endpoint under hostile input: never a 5xx, a leak, or a token it must refuse', () => {
  let server: TestServer
  let context: FuzzContext

  beforeAll(async () => {
    server = await startServer(FUZZ_SERVER_OPTIONS)
    // The OAuth endpoints need no admin victims: their setup stays short.
    context = await prepareFuzzContext(server, { withVictims: false })
  })
  afterAll(() => server.stop())

  it('answers mutated requests to {issuer}/oauth/token within the invariants', async () => {
    expect(await fuzz(context, oauthRequests(context, 'token'), { runs: FUZZ_RUNS * 2 })).toEqual(
      [],
    )
  })

  it('answers mutated requests to the tenant-less /oauth/token within the invariants', async () => {
    expect(await fuzz(context, oauthRequests(context, 'token-global'))).toEqual([])
  })
})
