import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ConsoleClient } from '../support/console-client.js'
import { CLI, cliEnvFor } from '../support/serve-process.js'
import { storageDrivers } from '../support/databases.js'
import { startServer, type TestServer } from '../support/server.js'
import { createTenant } from '../support/tenants.js'

let counter = 0
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++counter}`

describe.each(storageDrivers)('platform mode: portal links (%s)', (_driver, openDatabase) => {
  let server: TestServer
  let customer: TestServer
  let cleanup: () => Promise<void>
  let clockOffsetMs = 0

  beforeAll(async () => {
    const database = await openDatabase()
    cleanup = database.cleanup
    server = await startServer({
      ...(database.databaseUrl !== undefined && { databaseUrl: database.databaseUrl }),
      now: () => new Date(Date.now() + clockOffsetMs),
      env: { TOKENMINT_CONSOLE_FRAME_ANCESTORS: 'https://vendor.example.com' },
    })
    customer = await createTenant(server, unique('customer'))
  })
  afterAll(async () => {
    await server.stop()
    await cleanup()
  })

  const linkFor = (tenant: string, body: Record<string, unknown>) =>
    server.admin_('POST', `/admin/v1/tenants/${tenant}/portal-links`, body)

  async function newLink(body: Record<string, unknown> = {}) {
    const response = await linkFor(customer.tenant, {
      email: `${unique('dana')}@customer.example`,
      name: 'Dana Scully',
      role: 'admin',
      return_url: 'https://vendor.example.com/settings/api',
      ...body,
    })
    expect(response.status, await response.clone().text()).toBe(201)
    const link = (await response.json()) as { url: string; expires_at: string }
    return { ...link, secret: new URL(link.url).hash.slice(1) }
  }

  async function redeem(secret: string) {
    const response = await fetch(`${server.url}/console/api/portal-session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ link: secret }),
    })
    const browser = new ConsoleClient(server)
    if (response.ok) {
      browser.cookie = response.headers.get('set-cookie')?.split(';')[0]
      browser.csrf = ((await response.clone().json()) as { csrf_token: string }).csrf_token
    }
    return { response, browser }
  }

  it('signs the named person in to the tenant once, with the role of the link, audited', async () => {
    const link = await newLink({ role: 'viewer' })
    expect(link.url.startsWith(`${server.url}/console/portal#`)).toBe(true)
    expect(Date.parse(link.expires_at) - Date.now()).toBeLessThanOrEqual(5 * 60_000 + 5_000)
    const first = await redeem(link.secret)
    expect(first.response.status).toBe(200)
    const session = (await first.response.json()) as {
      administrator: { username: string; role: string; tenant: string }
      return_url: string
    }
    expect(session.administrator).toMatchObject({ role: 'viewer', tenant: customer.tenant })
    expect(session.return_url).toBe('https://vendor.example.com/settings/api')
    // Framing is allowed for the configured origin, so the cookie must work in a third-party frame.
    expect(first.response.headers.get('set-cookie')).toMatch(/SameSite=None/i)
    expect(first.response.headers.get('set-cookie')).toMatch(/Partitioned/i)
    expect(first.response.headers.get('set-cookie')).toMatch(/Secure/i)

    // A viewer reads and changes nothing.
    const apps = first.browser.call('GET', `/admin/v1/tenants/${customer.tenant}/applications`)
    expect((await apps).status).toBe(200)
    const create = await first.browser.call(
      'POST',
      `/admin/v1/tenants/${customer.tenant}/applications`,
      { name: 'nope' },
    )
    expect(create.status).toBe(403)
    // Another tenant's data does not exist for this session.
    expect(
      (await first.browser.call('GET', `/admin/v1/tenants/${server.tenant}/applications`)).status,
    ).toBe(403)

    const replay = await redeem(link.secret)
    expect(replay.response.status).toBe(401)
    expect(((await replay.response.json()) as { detail: string }).detail).toMatch(/used/)

    const audit = (await (
      await customer.admin_(
        'GET',
        `/admin/v1/tenants/${customer.tenant}/audit?type=administrator.signed_in`,
      )
    ).json()) as { items: { data: Record<string, unknown> }[] }
    expect(audit.items[0]?.data).toMatchObject({
      via: 'portal_link',
      name: 'Dana Scully',
      email: session.administrator.username,
      role: 'viewer',
      link_created_by: expect.stringMatching(/^client:/) as unknown,
    })
  })

  it('lets exactly one of many simultaneous redemptions of a link through', async () => {
    const link = await newLink()
    const results = await Promise.all(Array.from({ length: 8 }, () => redeem(link.secret)))
    expect(results.map((r) => r.response.status).sort()).toEqual([
      200, 401, 401, 401, 401, 401, 401, 401,
    ])
  })

  it('refuses an expired link, and ends its session with the link policy', async () => {
    const late = await newLink()
    clockOffsetMs = 5 * 60_000 + 1_000
    try {
      expect((await redeem(late.secret)).response.status).toBe(401)
    } finally {
      clockOffsetMs = 0
    }
    const short = await newLink({ session_lifetime_seconds: 300 })
    const { response, browser } = await redeem(short.secret)
    expect(response.status).toBe(200)
    const expiresAt = Date.parse(((await response.json()) as { expires_at: string }).expires_at)
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(300_000 + 5_000)
    clockOffsetMs = 301_000
    try {
      expect(
        (await browser.call('GET', `/admin/v1/tenants/${customer.tenant}/applications`)).status,
      ).toBe(401)
    } finally {
      clockOffsetMs = 0
    }
  })

  it('never makes an owner, never takes over a password account, never signs in by password', async () => {
    expect(
      (await linkFor(customer.tenant, { email: 'x@customer.example', role: 'owner' })).status,
    ).toBe(400)
    // An administrator who signs in with a password: a link naming them is refused.
    const email = `${unique('pat')}@customer.example`
    const made = await customer.admin_(
      'POST',
      `/admin/v1/tenants/${customer.tenant}/administrators`,
      { username: email, role: 'admin' },
    )
    expect(made.status, await made.clone().text()).toBe(201)
    const takeover = await newLink({ email, role: 'viewer' })
    expect((await redeem(takeover.secret)).response.status).toBe(403)
    const link = await newLink()
    const signedIn = await redeem(link.secret)
    const username = ((await signedIn.response.json()) as { administrator: { username: string } })
      .administrator.username
    const byPassword = await new ConsoleClient(server).signIn(
      customer.tenant,
      username,
      '!portal-link',
    )
    expect(byPassword.status).toBe(401)
    for (const bad of ['javascript:alert(1)', 'http://vendor.example.com/x', 'not a url']) {
      expect(
        (
          await linkFor(customer.tenant, {
            email: 'y@customer.example',
            role: 'admin',
            return_url: bad,
          })
        ).status,
        bad,
      ).toBe(400)
    }
  })

  it('is for root credentials with manage:tenants only', async () => {
    const body = { email: 'z@customer.example', role: 'admin' }
    const own = await customer.admin_(
      'POST',
      `/admin/v1/tenants/${customer.tenant}/portal-links`,
      body,
    )
    expect(own.status).toBe(403)
    const narrow = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
      name: unique('narrow'),
      grants: [{ audience: 'urn:tokenmint:admin', scopes: ['read:tenants', 'create:tenants'] }],
    })
    expect(narrow.status).toBe(201)
    const credentials = (await narrow.json()) as { client_id: string; client_secret: string }
    const token = await fetch(server.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: credentials.client_id,
        client_secret: credentials.client_secret,
        audience: 'urn:tokenmint:admin',
      }),
    })
    const accessToken = ((await token.json()) as { access_token: string }).access_token
    const withoutScope = await fetch(
      `${server.url}/admin/v1/tenants/${customer.tenant}/portal-links`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
    )
    expect(withoutScope.status).toBe(403)
    expect(
      (
        await fetch(`${server.url}/admin/v1/tenants/${customer.tenant}/portal-links`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).status,
    ).toBe(401)
    expect((await linkFor('no-such-tenant', body)).status).toBe(404)
  })

  it("is made from the root tenant's console by an owner; its admins and viewers are refused", async () => {
    if (server.owner === undefined) throw new Error('first start creates an owner')
    const owner = new ConsoleClient(server)
    expect((await owner.signIn(server.tenant, 'owner', server.owner.password)).status).toBe(200)
    const consoles: Record<'admin' | 'viewer', ConsoleClient> = {
      admin: new ConsoleClient(server),
      viewer: new ConsoleClient(server),
    }
    for (const role of ['admin', 'viewer'] as const) {
      const created = await owner.call(
        'POST',
        `/admin/v1/tenants/${server.tenant}/administrators`,
        {
          username: unique(`root-${role}`),
          role,
        },
      )
      expect(created.status).toBe(201)
      const { username, password } = (await created.json()) as {
        username: string
        password: string
      }
      expect((await consoles[role].signIn(server.tenant, username, password)).status).toBe(200)
    }
    const path = `/admin/v1/tenants/${customer.tenant}/portal-links`
    const body = () => ({ email: `${unique('console')}@customer.example`, role: 'viewer' })
    for (const role of ['admin', 'viewer'] as const) {
      const refused = await consoles[role].call('POST', path, body())
      expect(refused.status, role).toBe(403)
      expect(await refused.text()).not.toContain('#')
    }
    // Without the CSRF token even the owner's session changes nothing.
    expect((await owner.call('POST', path, body(), { csrf: false })).status).toBe(403)
    const made = await owner.call('POST', path, body())
    expect(made.status, await made.clone().text()).toBe(201)
    const { url } = (await made.json()) as { url: string }
    const { response } = await redeem(new URL(url).hash.slice(1))
    expect(response.status).toBe(200)
  })

  it('is made from the CLI with root credentials: tokenmint tenants portal-link', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        CLI,
        'tenants',
        'portal-link',
        customer.tenant,
        '--email',
        `${unique('cli')}@customer.example`,
        '--role',
        'viewer',
        '--json',
      ],
      { env: cliEnvFor(server) },
    )
    const link = JSON.parse(stdout) as { url: string }
    const { response } = await redeem(new URL(link.url).hash.slice(1))
    expect(response.status).toBe(200)
  })

  it('frames the console only for the configured origins', async () => {
    const page = await fetch(`${server.url}/console/`)
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("frame-ancestors 'self' https://vendor.example.com")
    expect(page.headers.get('x-frame-options')).toBeNull()
    const branding = (await (await fetch(`${server.url}/console/api/branding`)).json()) as {
      product_name: string
    }
    expect(branding.product_name).toBe('Tokenmint')
  })
})
