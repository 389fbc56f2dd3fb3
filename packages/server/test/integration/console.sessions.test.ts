import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ConsoleClient } from '../support/console-client.js'
import { startServer, type TestServer } from '../support/server.js'

describe('console sign-in and sessions', () => {
  let clock = Date.now()
  let server: TestServer
  let owner: { username: string; password: string }
  const apps = '/admin/v1/tenants/acme/applications'

  beforeAll(async () => {
    server = await startServer({
      now: () => new Date(clock),
      env: { TOKENMINT_CONSOLE_IDLE_TIMEOUT: '600' },
    })
    if (server.owner === undefined) throw new Error('first start creates an owner')
    owner = server.owner
  })
  afterAll(() => server.stop())

  it('signs the first owner in with a cookie a script cannot read or send cross-site', async () => {
    const browser = new ConsoleClient(server)
    const response = await browser.signIn('acme', owner.username, owner.password)
    expect(response.status).toBe(200)
    const body = (await response.json()) as Record<string, unknown>
    expect(body['administrator']).toMatchObject({
      username: 'owner',
      role: 'owner',
      tenant: 'acme',
    })
    const cookie = browser.lastSetCookie ?? ''
    expect(cookie).toMatch(/^tokenmint_session=[A-Za-z0-9_-]{43};/)
    expect(cookie).toMatch(/; HttpOnly/i)
    expect(cookie).toMatch(/; SameSite=Strict/i)
    expect(cookie).toMatch(/; Path=\//i)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')

    const who = await browser.call('GET', '/console/api/session')
    expect(who.status).toBe(200)
    expect(((await who.json()) as { csrf_token: string }).csrf_token).toBe(browser.csrf)
    expect((await browser.call('GET', apps)).status).toBe(200)
  })

  it('gives one answer for an unknown tenant, an unknown name and a wrong password', async () => {
    const browser = new ConsoleClient(server)
    const answers = await Promise.all([
      browser.signIn('nope', owner.username, owner.password),
      browser.signIn('acme', 'nobody', owner.password),
      browser.signIn('acme', owner.username, `${owner.password}x`),
    ])
    const bodies = await Promise.all(answers.map((r) => r.json() as Promise<{ detail: string }>))
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401])
    expect(new Set(bodies.map((b) => b.detail))).toEqual(
      new Set(['the tenant, username or password is incorrect']),
    )
    expect(answers.every((r) => r.headers.get('set-cookie') === null)).toBe(true)
  })

  it('refuses a change without the CSRF token or from another origin, and allows it with', async () => {
    const browser = new ConsoleClient(server)
    await browser.signIn('acme', owner.username, owner.password)
    const api = { audience: 'https://csrf.example', name: 'CSRF', scopes: ['read:x'] }
    const without = await browser.call('POST', '/admin/v1/tenants/acme/apis', api, { csrf: false })
    expect(without.status).toBe(403)
    expect(((await without.json()) as { detail: string }).detail).toMatch(/CSRF/)
    const wrongOrigin = await browser.call('POST', '/admin/v1/tenants/acme/apis', api, {
      origin: 'https://evil.example',
    })
    expect(wrongOrigin.status).toBe(403)
    const listed = (await (await server.admin_('GET', '/admin/v1/tenants/acme/apis')).json()) as {
      items: { audience: string }[]
    }
    expect(listed.items.map((a) => a.audience)).not.toContain(api.audience)

    const created = await browser.call('POST', '/admin/v1/tenants/acme/apis', api, {
      origin: server.url,
    })
    expect(created.status).toBe(201)
    const audit = (await (
      await server.admin_('GET', '/admin/v1/tenants/acme/audit?type=api.created')
    ).json()) as { items: { actor: string }[] }
    expect(audit.items[0]?.actor).toBe('admin:owner')
  })

  it('lets a viewer read everything but change nothing', async () => {
    const created = await server.admin_('POST', '/admin/v1/tenants/acme/administrators', {
      username: 'vera',
      role: 'viewer',
    })
    expect(created.status).toBe(201)
    const { password } = (await created.json()) as { password: string }
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/)
    const viewer = new ConsoleClient(server)
    expect((await viewer.signIn('acme', 'VERA', password)).status).toBe(200)
    expect((await viewer.call('GET', apps)).status).toBe(200)
    expect((await viewer.call('GET', '/admin/v1/tenants/acme/audit')).status).toBe(200)
    for (const [method, path, body] of [
      ['POST', apps, { name: 'x', grants: [] }],
      ['POST', '/admin/v1/tenants/acme/apis', { audience: 'https://v', name: 'v', scopes: [] }],
      ['POST', '/admin/v1/tenants/acme/keys/rotate', undefined],
      ['POST', '/admin/v1/tenants/acme/administrators', { username: 'x', role: 'owner' }],
      ['GET', '/admin/v1/tenants/acme/administrators', undefined],
    ] as const) {
      const response = await viewer.call(method, path, body)
      expect(response.status, `${method} ${path}`).toBe(403)
    }
  })

  it('shows an administrator of one tenant nothing of another', async () => {
    const created = await server.admin_('POST', '/admin/v1/tenants', { id: 'globex' })
    const { owner: globexOwner } = (await created.json()) as {
      owner: { username: string; password: string; console_url: string }
    }
    expect(globexOwner.console_url).toBe(`${server.url}/console/`)
    const browser = new ConsoleClient(server)
    expect((await browser.signIn('globex', 'owner', globexOwner.password)).status).toBe(200)
    expect((await browser.call('GET', '/admin/v1/tenants/globex/applications')).status).toBe(200)
    for (const path of [apps, '/admin/v1/tenants/acme/audit', '/admin/v1/tenants']) {
      expect((await browser.call('GET', path)).status, path).toBe(403)
    }
    // The acme owner's password does not open globex either.
    expect((await new ConsoleClient(server).signIn('globex', 'owner', owner.password)).status).toBe(
      401,
    )
  })

  it('ends the session on the server at sign-out', async () => {
    const browser = new ConsoleClient(server)
    await browser.signIn('acme', owner.username, owner.password)
    const stolenCookie = browser.cookie
    expect(
      (await browser.call('DELETE', '/console/api/session', undefined, { csrf: false })).status,
    ).toBe(403)
    const out = await browser.call('DELETE', '/console/api/session')
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toMatch(/tokenmint_session=;.*Expires=Thu, 01 Jan 1970/i)
    // Replaying the old cookie does not bring the session back.
    browser.cookie = stolenCookie
    expect((await browser.call('GET', '/console/api/session')).status).toBe(401)
    expect((await browser.call('GET', apps)).status).toBe(401)
  })

  it('ends a session after the idle timeout and at the absolute expiry', async () => {
    const idle = new ConsoleClient(server)
    await idle.signIn('acme', owner.username, owner.password)
    clock += 599_000
    expect((await idle.call('GET', apps)).status).toBe(200)
    clock += 599_000 // active again just in time: the idle window restarted at the last request
    expect((await idle.call('GET', apps)).status).toBe(200)
    clock += 601_000
    expect((await idle.call('GET', apps)).status).toBe(401)

    const busy = new ConsoleClient(server)
    await busy.signIn('acme', owner.username, owner.password)
    // Active every 5 minutes for 12 hours (the default lifetime): the last request is refused.
    const statuses: number[] = []
    for (let elapsed = 300_000; elapsed <= 12 * 3600_000; elapsed += 300_000) {
      clock += 300_000
      statuses.push((await busy.call('GET', '/console/api/session')).status)
    }
    expect(statuses.slice(0, -1).every((s) => s === 200)).toBe(true)
    expect(statuses.at(-1)).toBe(401)
  })

  it('ends every session of an administrator whose password or status changes', async () => {
    const created = await server.admin_('POST', '/admin/v1/tenants/acme/administrators', {
      username: 'adam',
      role: 'admin',
      password: 'a long and private passphrase',
    })
    expect(created.status).toBe(201)
    expect(await created.json()).not.toHaveProperty('password')
    const browser = new ConsoleClient(server)
    expect((await browser.signIn('acme', 'adam', 'a long and private passphrase')).status).toBe(200)
    const disabled = await server.admin_('PATCH', '/admin/v1/tenants/acme/administrators/adam', {
      status: 'disabled',
    })
    expect(disabled.status).toBe(200)
    expect((await browser.call('GET', apps)).status).toBe(401)
    expect((await browser.signIn('acme', 'adam', 'a long and private passphrase')).status).toBe(401)
  })

  it('keeps at least one active owner', async () => {
    const list = (await (
      await server.admin_('GET', '/admin/v1/tenants/acme/administrators')
    ).json()) as { items: { id: string; username: string; role: string }[] }
    const first = list.items.find((a) => a.username === 'owner')
    expect(first?.role).toBe('owner')
    const path = `/admin/v1/tenants/acme/administrators/${first?.id ?? ''}`
    expect((await server.admin_('PATCH', path, { role: 'viewer' })).status).toBe(409)
    expect((await server.admin_('DELETE', path)).status).toBe(409)
    expect((await new ConsoleClient(server).signIn('acme', 'owner', owner.password)).status).toBe(
      200,
    )
  })

  it('limits failed sign-ins per account, even for the right password afterwards', async () => {
    const created = await server.admin_('POST', '/admin/v1/tenants/acme/administrators', {
      username: 'target',
      role: 'viewer',
    })
    const { password } = (await created.json()) as { password: string }
    const attacker = new ConsoleClient(server)
    for (let i = 0; i < 10; i++) {
      expect((await attacker.signIn('acme', 'target', `guess number ${i}`)).status).toBe(401)
    }
    const limited = await attacker.signIn('acme', 'target', password)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    // Other accounts are unaffected.
    expect((await new ConsoleClient(server).signIn('acme', 'owner', owner.password)).status).toBe(
      200,
    )
  })
})

describe('console cookie over HTTPS', () => {
  it('is __Host- prefixed and Secure when the public URL is https', async () => {
    const server = await startServer({ env: { TOKENMINT_PUBLIC_URL: 'https://auth.example.com' } })
    try {
      const response = await fetch(
        `http://127.0.0.1:${new URL(server.app.listeningOrigin).port}/console/api/session`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            tenant: 'acme',
            username: 'owner',
            password: server.owner?.password ?? '',
          }),
        },
      )
      expect(response.status).toBe(200)
      const cookie = response.headers.get('set-cookie') ?? ''
      expect(cookie).toMatch(/^__Host-tokenmint_session=/)
      expect(cookie).toMatch(/; Secure/i)
      expect(cookie).toMatch(/; Path=\//i)
      expect(cookie).not.toMatch(/Domain=/i)
    } finally {
      await server.stop()
    }
  })
})
