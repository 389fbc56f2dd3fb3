import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ConsoleClient } from '../support/console-client.js'
import { startServer, type TestServer } from '../support/server.js'

// Who may do what with the audit log, by every road (console session of each role, an API token
// holding only read:audit, the owner's API token), and the same requests sent at once.
describe('audit log permissions and parallel requests', () => {
  let server: TestServer
  const consoles: Record<'owner' | 'admin' | 'viewer', ConsoleClient> = {} as never
  let readerToken = ''

  beforeAll(async () => {
    server = await startServer({ env: { TOKENMINT_OUTBOUND_ALLOW: '127.0.0.1' } })
    if (server.owner === undefined) throw new Error('first start creates an owner')
    consoles.owner = new ConsoleClient(server)
    expect((await consoles.owner.signIn('acme', 'owner', server.owner.password)).status).toBe(200)
    for (const role of ['admin', 'viewer'] as const) {
      const created = await consoles.owner.call('POST', '/admin/v1/tenants/acme/administrators', {
        username: `a-${role}`,
        role,
      })
      const { password } = (await created.json()) as { password: string }
      consoles[role] = new ConsoleClient(server)
      expect((await consoles[role].signIn('acme', `a-${role}`, password)).status).toBe(200)
    }
    const reader = (await (
      await server.admin_('POST', '/admin/v1/tenants/acme/applications', {
        name: 'audit-reader',
        grants: [{ audience: 'urn:tokenmint:admin', scopes: ['read:audit'] }],
      })
    ).json()) as { client_id: string; client_secret: string }
    const token = await fetch(server.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: reader.client_id,
        client_secret: reader.client_secret,
        audience: 'urn:tokenmint:admin',
      }),
    })
    readerToken = ((await token.json()) as { access_token: string }).access_token
  })
  afterAll(() => server.stop())

  const sink = { kind: 'syslog', url: 'syslog+tls://127.0.0.1:9' }
  const roads = {
    'owner (console)': (m: string, p: string, b?: unknown) => consoles.owner.call(m, p, b),
    'admin (console)': (m: string, p: string, b?: unknown) => consoles.admin.call(m, p, b),
    'viewer (console)': (m: string, p: string, b?: unknown) => consoles.viewer.call(m, p, b),
    'read:audit token': (m: string, p: string, b?: unknown) =>
      fetch(`${server.url}${p}`, {
        method: m,
        headers: {
          authorization: `Bearer ${readerToken}`,
          ...(b !== undefined && { 'content-type': 'application/json' }),
        },
        ...(b !== undefined && { body: JSON.stringify(b) }),
      }),
    'owner (API token)': (m: string, p: string, b?: unknown) => server.admin_(m, p, b),
  }
  // Reading, verifying, exporting and asking for a checkpoint need read:audit (every role);
  // rotating the audit key and adding a sink also need update:keys (owners only).
  const expected: Record<keyof typeof roads, { read: number; write: number }> = {
    'owner (console)': { read: 200, write: 200 },
    'admin (console)': { read: 200, write: 403 },
    'viewer (console)': { read: 200, write: 403 },
    'read:audit token': { read: 200, write: 403 },
    'owner (API token)': { read: 200, write: 200 },
  }

  it.each(Object.keys(roads) as (keyof typeof roads)[])('%s', async (name) => {
    const call = roads[name]
    const base = '/admin/v1/tenants/acme/audit'
    for (const path of ['/verify', '/checkpoints', '/sinks', '/export', '/stream'])
      expect((await call('GET', `${base}${path}`)).status, path).toBe(expected[name].read)
    expect((await call('POST', `${base}/checkpoints`)).status).toBe(201)
    const rotate = await call('POST', `${base}/keys/rotate`)
    expect(rotate.status).toBe(expected[name].write)
    const added = await call('POST', `${base}/sinks`, sink)
    expect(added.status).toBe(expected[name].write === 200 ? 201 : 403)
    if (added.status === 201) {
      const { sink: created } = (await added.json()) as { sink: { id: string } }
      expect((await call('DELETE', `${base}/sinks/${created.id}`)).status).toBe(204)
    } else {
      const listed = (await (await server.admin_('GET', `${base}/sinks`)).json()) as {
        items: unknown[]
      }
      expect(listed.items).toEqual([])
    }
  })

  it('creates one audit key pair however many first requests arrive together, and signs every parallel checkpoint', async () => {
    const created = await server.admin_('POST', '/admin/v1/tenants', { id: 'globex' })
    expect(created.status).toBe(201)
    const issuer = `${server.url}/t/globex`
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        fetch(`${issuer}/.well-known/audit-keys.json`).then(async (r) =>
          ((await r.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid),
        ),
      ),
    )
    const kids = new Set(answers.flat())
    expect(kids.size).toBe(2)
    for (const answer of answers) expect(answer.sort()).toEqual([...kids].sort())

    const checkpoints = await Promise.all(
      Array.from({ length: 8 }, () =>
        server.admin_('POST', '/admin/v1/tenants/acme/audit/checkpoints'),
      ),
    )
    expect(checkpoints.map((r) => r.status)).toEqual(Array(8).fill(201))
    const report = (await (
      await server.admin_('GET', '/admin/v1/tenants/acme/audit/verify')
    ).json()) as { ok: boolean; checkpoints_checked: number }
    expect(report.ok).toBe(true)
    expect(report.checkpoints_checked).toBeGreaterThanOrEqual(8)
  })
})
