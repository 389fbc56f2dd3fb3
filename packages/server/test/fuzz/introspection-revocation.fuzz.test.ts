import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startServer, type TestServer } from '../support/server.js'
import { oauthRequests } from './oauth-requests.js'
import { FUZZ_SERVER_OPTIONS, fuzz, prepareFuzzContext, type FuzzContext } from './support.js'

describe('introspection and revocation under hostile input', () => {
  let server: TestServer
  let context: FuzzContext

  beforeAll(async () => {
    server = await startServer(FUZZ_SERVER_OPTIONS)
    // The OAuth endpoints need no admin victims: their setup stays short.
    context = await prepareFuzzContext(server, { withVictims: false })
  })
  afterAll(() => server.stop())

  it('answers mutated introspection requests within the invariants (RFC 7662)', async () => {
    expect(await fuzz(context, oauthRequests(context, 'introspect'))).toEqual([])
  })

  it('answers mutated revocation requests within the invariants (RFC 7009)', async () => {
    expect(await fuzz(context, oauthRequests(context, 'revoke'))).toEqual([])
  })
})
