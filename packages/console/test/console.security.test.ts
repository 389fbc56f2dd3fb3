import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { launchBrowser, openConsole, signIn } from './support/browser.js'
import {
  createCatalogApi,
  signInHttp,
  startConsoleServer,
  unique,
  type ConsoleTestServer,
} from './support/console-server.js'

describe('console: security', () => {
  let server: ConsoleTestServer
  let browser: Browser
  let audience: string

  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startConsoleServer(), launchBrowser()])
    audience = (await createCatalogApi(server.server)).audience
  })
  afterAll(async () => {
    await browser.close()
    await server.stop()
  })

  const appsPath = () => `/admin/v1/tenants/${server.tenant}/applications`

  async function countApplications(cookie: string): Promise<number> {
    const response = await fetch(`${server.base}${appsPath()}?limit=200`, { headers: { cookie } })
    expect(response.status).toBe(200)
    return ((await response.json()) as { items: unknown[] }).items.length
  }

  async function createApp(name: string): Promise<{ client_id: string; client_secret: string }> {
    const response = await server.server.admin_('POST', appsPath(), {
      name,
      grants: [{ audience, preset: 'read-only' }],
    })
    expect(response.status).toBe(201)
    return (await response.json()) as { client_id: string; client_secret: string }
  }

  it('serves the console with a strict CSP, no-referrer and nosniff, and no inline script', async () => {
    const response = await fetch(`${server.base}/console/applications`)
    expect(response.status).toBe(200)
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    const html = await response.text()
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
    expect(scripts.length).toBeGreaterThan(0)
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\/console\//)
      expect(body?.trim()).toBe('')
    }
    expect(html).not.toMatch(/\sstyle=|https?:\/\//)
  })

  it('refuses a state-changing request without the CSRF token, and changes nothing', async () => {
    const session = await signInHttp(server.base, server.owner)
    const before = await countApplications(session.cookie)
    const attempts: Record<string, string>[] = [
      { cookie: session.cookie },
      { cookie: session.cookie, 'x-csrf-token': 'not-the-token' },
    ]
    for (const headers of attempts) {
      const response = await fetch(`${server.base}${appsPath()}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'forged' }),
      })
      expect(response.status).toBe(403)
      expect(response.headers.get('content-type')).toMatch(/problem\+json/)
    }
    const signOut = await fetch(`${server.base}/console/api/session`, {
      method: 'DELETE',
      headers: { cookie: session.cookie },
    })
    expect(signOut.status).toBe(403)
    expect(await countApplications(session.cookie)).toBe(before)
    // The same request with the token goes through: the refusal was the CSRF check.
    const allowed = await fetch(`${server.base}${appsPath()}`, {
      method: 'POST',
      headers: {
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: unique('with-csrf') }),
    })
    expect(allowed.status).toBe(201)
  })

  it('sets the session cookie HttpOnly and SameSite=Strict, out of reach of scripts', async () => {
    const session = await signInHttp(server.base, server.owner)
    expect(session.setCookie).toMatch(/HttpOnly/i)
    expect(session.setCookie).toMatch(/SameSite=Strict/i)
    expect(session.setCookie).toMatch(/Path=\//i)
    const tab = await openConsole(browser, server.base)
    try {
      await signIn(tab.page, server.owner)
      const cookies = await tab.context.cookies()
      expect(cookies.length).toBeGreaterThan(0)
      for (const cookie of cookies) {
        expect(cookie.httpOnly).toBe(true)
        expect(cookie.sameSite).toBe('Strict')
      }
      expect(await tab.page.evaluate(() => document.cookie)).toBe('')
    } finally {
      await tab.context.close()
    }
  })

  it('gives one message for every failed sign-in', async () => {
    const tab = await openConsole(browser, server.base)
    try {
      const messages: string[] = []
      for (const attempt of [
        { ...server.owner, password: 'wrong password' },
        { ...server.owner, username: 'nobody' },
        { ...server.owner, tenant: 'no-such-tenant' },
      ]) {
        await tab.page.goto('/console/')
        await tab.page.getByLabel('Tenant').fill(attempt.tenant)
        await tab.page.getByLabel('Username').fill(attempt.username)
        await tab.page.getByLabel('Password').fill(attempt.password)
        await tab.page.getByRole('button', { name: 'Sign in' }).click()
        messages.push((await tab.page.getByRole('alert').textContent()) ?? '')
      }
      expect(new Set(messages).size).toBe(1)
      expect(messages[0]).toMatch(/tenant, username or password is incorrect/i)
    } finally {
      await tab.context.close()
    }
  })

  it('ends the session at sign-out: the old cookie opens nothing any more', async () => {
    const tab = await openConsole(browser, server.base)
    try {
      await signIn(tab.page, server.owner)
      const cookie = (await tab.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
      expect(
        (await fetch(`${server.base}/console/api/session`, { headers: { cookie } })).status,
      ).toBe(200)
      await tab.page.getByRole('button', { name: 'Sign out' }).click()
      await tab.page.getByRole('heading', { name: 'Sign in to the console' }).waitFor()
      await tab.page.getByText('You have signed out.').waitFor()
      expect(
        (await fetch(`${server.base}/console/api/session`, { headers: { cookie } })).status,
      ).toBe(401)
      expect((await fetch(`${server.base}${appsPath()}`, { headers: { cookie } })).status).toBe(401)
      // Reloading does not bring it back.
      await tab.page.goto('/console/applications')
      await tab.page.getByRole('heading', { name: 'Sign in to the console' }).waitFor()
    } finally {
      await tab.context.close()
    }
  })

  it('sends the browser back to sign-in when the session ends on the server (expiry, sign-out elsewhere)', async () => {
    const tab = await openConsole(browser, server.base)
    try {
      await signIn(tab.page, server.owner)
      const cookie = (await tab.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
      const current = (await (
        await fetch(`${server.base}/console/api/session`, { headers: { cookie } })
      ).json()) as { csrf_token: string }
      const ended = await fetch(`${server.base}/console/api/session`, {
        method: 'DELETE',
        headers: { cookie, 'x-csrf-token': current.csrf_token },
      })
      expect(ended.status).toBe(204)
      await tab.page.getByRole('link', { name: 'APIs' }).click()
      await tab.page.getByRole('heading', { name: 'Sign in to the console' }).waitFor()
      await tab.page.getByText('Your session has ended. Sign in again to continue.').waitFor()
    } finally {
      await tab.context.close()
    }
  })

  it('shows a viewer no control that changes anything, and the server refuses a viewer’s change', async () => {
    const app = await createApp(unique('viewer-target'))
    const viewer = await server.createAdministrator('viewer')
    const tab = await openConsole(browser, server.base)
    try {
      const { page } = tab
      await signIn(page, viewer)
      await page.getByText('You have read-only access.').waitFor()
      expect(await page.getByRole('link', { name: 'Create OAuth Application' }).count()).toBe(0)
      expect(await page.getByRole('link', { name: 'Administrators' }).count()).toBe(0)
      await page.goto(`/console/applications/${app.client_id}`)
      await page.getByRole('heading', { name: 'Details' }).waitFor()
      expect(await page.locator('main button').allTextContents()).toEqual(
        expect.not.arrayContaining([
          'Edit details',
          'Edit scopes',
          'Rotate secret',
          'End overlap now',
          'Revoke application',
          'Delete application',
        ]),
      )
      for (const label of [
        'Edit details',
        'Edit scopes',
        'Rotate secret',
        'Revoke application',
        'Delete application',
      ])
        expect(await page.getByRole('button', { name: label }).count(), label).toBe(0)
      await page.goto('/console/apis')
      await page.getByRole('heading', { level: 1, name: 'APIs' }).waitFor()
      expect(await page.getByRole('link', { name: 'Register an API' }).count()).toBe(0)
      await page.goto('/console/users')
      await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor()
      expect(await page.getByRole('button', { name: 'Create user' }).count()).toBe(0)

      const session = await signInHttp(server.base, viewer)
      const before = await countApplications(session.cookie)
      const refused = await fetch(`${server.base}${appsPath()}`, {
        method: 'POST',
        headers: {
          cookie: session.cookie,
          'x-csrf-token': session.csrf,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name: 'by a viewer' }),
      })
      expect(refused.status).toBe(403)
      const revoke = await fetch(`${server.base}${appsPath()}/${app.client_id}/revoke`, {
        method: 'POST',
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
      })
      expect(revoke.status).toBe(403)
      expect(await countApplications(session.cookie)).toBe(before)
      const after = await server.server.admin_('GET', `${appsPath()}/${app.client_id}`)
      expect(((await after.json()) as { status: string }).status).toBe('active')
    } finally {
      await tab.context.close()
    }
  })

  it('shows an administrator of one tenant nothing of another', async () => {
    const other = unique('beta').toLowerCase()
    const admin = await server.createTenant(other)
    const token = (await (
      await fetch(`${server.server.url}/t/${other}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: admin.clientId,
          client_secret: admin.clientSecret,
          audience: 'urn:tokenmint:admin',
        }),
      })
    ).json()) as { access_token: string }
    const secretName = unique('Other tenant secret app')
    const created = await fetch(`${server.server.url}/admin/v1/tenants/${other}/applications`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token.access_token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: secretName }),
    })
    expect(created.status).toBe(201)
    const otherApp = (await created.json()) as { client_id: string }

    const session = await signInHttp(server.base, server.owner)
    for (const path of [
      `/admin/v1/tenants/${other}/applications`,
      `/admin/v1/tenants/${other}/applications/${otherApp.client_id}`,
      `/admin/v1/tenants/${other}/audit`,
      `/admin/v1/tenants/${server.tenant}/applications/${otherApp.client_id}`,
    ]) {
      const response = await fetch(`${server.base}${path}`, { headers: { cookie: session.cookie } })
      expect([401, 403, 404], path).toContain(response.status)
      const body = await response.text()
      expect(body, path).not.toContain(secretName)
    }
    const forged = await fetch(`${server.base}/admin/v1/tenants/${other}/applications`, {
      method: 'POST',
      headers: {
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'cross-tenant' }),
    })
    expect([401, 403, 404]).toContain(forged.status)

    const tab = await openConsole(browser, server.base)
    try {
      await signIn(tab.page, server.owner)
      expect(await tab.page.getByText(secretName).count()).toBe(0)
      await tab.page.goto(`/console/applications/${otherApp.client_id}`)
      await tab.page.getByRole('heading', { name: 'Application not available' }).waitFor()
      expect(await tab.page.getByText(secretName).count()).toBe(0)
    } finally {
      await tab.context.close()
    }
  })

  it('renders an application named <img src=x onerror=alert(1)> as text', async () => {
    const name = '<img src=x onerror=alert(1)>'
    const app = await createApp(name)
    await server.server.admin_('PATCH', `${appsPath()}/${app.client_id}`, {
      description: '<script>alert(2)</script>',
    })
    const tab = await openConsole(browser, server.base)
    const dialogs: string[] = []
    tab.page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    try {
      await signIn(tab.page, server.owner)
      await tab.page.getByRole('link', { name, exact: true }).waitFor()
      expect(await tab.page.locator('img').count()).toBe(0)
      await tab.page.getByRole('link', { name, exact: true }).click()
      await tab.page.getByRole('heading', { level: 1, name }).waitFor()
      expect(await tab.page.getByText('<script>alert(2)</script>').count()).toBeGreaterThan(0)
      expect(await tab.page.locator('img, main script').count()).toBe(0)
      await tab.page.getByRole('button', { name: 'Delete application' }).click()
      await tab.page.getByRole('dialog', { name: `Delete ${name}?` }).waitFor()
      expect(await tab.page.locator('img').count()).toBe(0)
      expect(dialogs).toEqual([])
      expect(tab.problems).toEqual([])
    } finally {
      await tab.context.close()
    }
  })
})
