import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { basic, createApi, createApplication, postForm } from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'

/** The address audit records and per-IP limits see, behind a load balancer or not. */
async function auditedIp(server: TestServer, forwardedFor: string): Promise<unknown> {
  const api = await createApi(server)
  const app = await createApplication(server, {
    grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
  })
  const minted = await postForm(
    server.tokenEndpoint,
    { grant_type: 'client_credentials' },
    { authorization: basic(app.clientId, app.clientSecret), 'x-forwarded-for': forwardedFor },
  )
  expect(minted.status).toBe(200)
  await server.services.audit.drain()
  const audit = (await (
    await server.admin_(
      'GET',
      `/admin/v1/tenants/${server.tenant}/audit?client_id=${app.clientId}&type=token.issued`,
    )
  ).json()) as { items: { data: { ip?: string } }[] }
  return audit.items[0]?.data.ip
}

describe('TOKENMINT_TRUST_PROXY', () => {
  let direct: TestServer
  let behindProxy: TestServer

  beforeAll(async () => {
    direct = await startServer()
    behindProxy = await startServer({ env: { TOKENMINT_TRUST_PROXY: '127.0.0.1' } })
  })
  afterAll(async () => {
    await direct.stop()
    await behindProxy.stop()
  })

  it('ignores X-Forwarded-For by default, so a client cannot choose its own address', async () => {
    expect(await auditedIp(direct, '203.0.113.9')).toBe('127.0.0.1')
  })

  it('takes the client address from a trusted load balancer', async () => {
    expect(await auditedIp(behindProxy, '203.0.113.9')).toBe('203.0.113.9')
  })
})
