import http from 'node:http'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { basic, createApplication, type ApplicationFixture } from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'
import { createResourceServer, createTenant } from '../support/tenants.js'

interface FeedPage {
  entries: { cursor: string; tenant: string; type: string; client_id: string; jti?: string }[]
  next_cursor: string | null
  has_more: boolean
}

describe('the deployment-wide revocation feed, GET /oauth/revocations', () => {
  let server: TestServer
  let globex: TestServer
  let rootReader: { clientId: string; clientSecret: string }
  let globexReader: { clientId: string; clientSecret: string }

  beforeAll(async () => {
    server = await startServer()
    globex = await createTenant(server, 'globex')
    rootReader = await createResourceServer(server)
    globexReader = await createResourceServer(globex)
  })
  afterAll(() => server.stop())

  const revoke = (tenant: TestServer, app: ApplicationFixture) =>
    tenant.admin_('POST', `/admin/v1/tenants/${tenant.tenant}/applications/${app.clientId}/revoke`)
  const read = async (url: string, who = rootReader, since?: string) => {
    const response = await fetch(`${url}${since === undefined ? '' : `?since=${since}`}`, {
      headers: { authorization: basic(who.clientId, who.clientSecret) },
    })
    expect(response.status).toBe(200)
    return (await response.json()) as FeedPage
  }

  it("lists every tenant's revocations in cursor order, each naming its tenant", async () => {
    const start = (await read(`${server.url}/oauth/revocations`)).next_cursor ?? undefined
    const acmeApp = await createApplication(server)
    const globexApp = await createApplication(globex)
    expect((await revoke(server, acmeApp)).status).toBe(200)
    expect((await revoke(globex, globexApp)).status).toBe(200)

    const page = await read(`${server.url}/oauth/revocations`, rootReader, start)
    const mine = page.entries.filter((e) =>
      [acmeApp.clientId, globexApp.clientId].includes(e.client_id),
    )
    expect(mine).toEqual([
      expect.objectContaining({ tenant: 'acme', type: 'application', client_id: acmeApp.clientId }),
      expect.objectContaining({
        tenant: 'globex',
        type: 'application',
        client_id: globexApp.clientId,
      }),
    ])
    const cursors = page.entries.map((e) => Number(e.cursor))
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b))
    // The cursor pages on: nothing after the last entry.
    const rest = await read(`${server.url}/oauth/revocations`, rootReader, page.next_cursor!)
    expect(rest).toEqual({ entries: [], next_cursor: page.next_cursor, has_more: false })

    // A tenant's own feed keeps to its tenant, and names it too.
    const own = await read(`${globex.issuer}/oauth/revocations`, globexReader, start)
    expect(own.entries.map((e) => e.client_id)).toEqual([globexApp.clientId])
    expect(own.entries[0]?.tenant).toBe('globex')
  })

  it("pushes any tenant's revocation live over Server-Sent Events within a second", async () => {
    const victim = await createApplication(globex)
    const events: string[] = []
    const delayMs = await new Promise<number>((resolve, reject) => {
      let revokedAt = 0
      const request = http.get(
        `${server.url}/oauth/revocations`,
        {
          headers: {
            accept: 'text/event-stream',
            authorization: basic(rootReader.clientId, rootReader.clientSecret),
          },
        },
        (response) => {
          expect(response.headers['content-type']).toContain('text/event-stream')
          response.on('data', (chunk: Buffer) => {
            const text = chunk.toString()
            events.push(text)
            if (text.includes('event: ready') && revokedAt === 0) {
              revokedAt = Date.now()
              void revoke(globex, victim)
            }
            if (text.includes(`"client_id":"${victim.clientId}"`)) {
              resolve(Date.now() - revokedAt)
              request.destroy()
            }
          })
        },
      )
      request.on('error', (error) => {
        if (revokedAt === 0) reject(error)
      })
      setTimeout(() => reject(new Error('no live entry within 5 s')), 5000).unref()
    })
    expect(delayMs).toBeLessThan(1000)
    expect(events.join('')).toMatch(
      new RegExp(`id: \\d+\\nevent: revocation\\ndata: \\{[^\\n]*"tenant":"globex"`),
    )
  })

  it("refuses another tenant's resource server, as it refuses a wrong secret", async () => {
    const url = `${server.url}/oauth/revocations`
    const cases: { description: string; authorization?: string; status: number; error: string }[] =
      [
        {
          description: "a non-root tenant's resource server",
          authorization: basic(globexReader.clientId, globexReader.clientSecret),
          status: 401,
          error: 'invalid_client',
        },
        {
          description: "the root tenant's resource server with a wrong secret",
          authorization: basic(rootReader.clientId, globexReader.clientSecret),
          status: 401,
          error: 'invalid_client',
        },
        { description: 'no credentials', status: 401, error: 'invalid_client' },
        {
          description: "a non-root tenant's admin application",
          authorization: basic(globex.admin.clientId, globex.admin.clientSecret),
          status: 401,
          error: 'invalid_client',
        },
      ]
    const wrongSecret = (await (
      await fetch(url, { headers: { authorization: cases[1]!.authorization! } })
    ).json()) as { error_description: string }
    for (const { description, authorization, status, error } of cases) {
      for (const accept of ['application/json', 'text/event-stream']) {
        const response = await fetch(url, {
          headers: { accept, ...(authorization !== undefined && { authorization }) },
        })
        expect(response.status, `${description}, ${accept}`).toBe(status)
        expect(response.headers.get('www-authenticate'), description).toMatch(/^Basic/)
        const body = (await response.json()) as { error: string; error_description: string }
        expect(body.error, description).toBe(error)
        if (authorization !== undefined) {
          // Alike whatever failed: nothing tells a non-root application from a wrong secret.
          expect(body.error_description, description).toBe(wrongSecret.error_description)
        }
      }
    }
  })

  it('refuses a root-tenant application without introspection, and a cursor it did not issue', async () => {
    const plain = await createApplication(server)
    const refused = await fetch(`${server.url}/oauth/revocations`, {
      headers: { authorization: basic(plain.clientId, plain.clientSecret) },
    })
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { error: string }).error).toBe('unauthorized_client')
    const badCursor = await fetch(`${server.url}/oauth/revocations?since=abc`, {
      headers: { authorization: basic(rootReader.clientId, rootReader.clientSecret) },
    })
    expect(badCursor.status).toBe(400)
  })
})
