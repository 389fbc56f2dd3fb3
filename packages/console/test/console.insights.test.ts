import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { generateClientSecret } from '../../server/src/crypto/secret-format.js'
import { launchBrowser, openConsole, seriousViolations, signIn } from './support/browser.js'
import { startConsoleServer, unique, type ConsoleTestServer } from './support/console-server.js'

describe('console: insights and leaks', () => {
  let server: ConsoleTestServer
  let browser: Browser
  let audience: string

  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startConsoleServer(), launchBrowser()])
    audience = `https://${unique('reports')}.example.com`
    const api = await server.server.admin_('POST', `/admin/v1/tenants/${server.tenant}/apis`, {
      audience,
      name: 'Reports API',
      scopes: ['read:a', 'read:b', 'write:c', 'delete:d'],
    })
    expect(api.status).toBe(201)
  })
  afterAll(async () => {
    await browser.close()
    await server.stop()
  })

  async function createApp(name: string) {
    const response = await server.server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/applications`,
      { name, grants: [{ audience, scopes: ['read:a', 'read:b', 'write:c', 'delete:d'] }] },
    )
    expect(response.status).toBe(201)
    const body = (await response.json()) as { client_id: string; client_secret: string }
    return { clientId: body.client_id, clientSecret: body.client_secret }
  }

  async function mint(app: { clientId: string; clientSecret: string }, scope?: string) {
    const response = await fetch(server.server.tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        ...(scope !== undefined && { scope }),
      }),
    })
    expect(response.status).toBe(200)
    return (await response.json()) as { scope: string }
  }

  it('lists an application’s unused scopes, removes them in one click, and the next token carries only what it uses', async () => {
    const name = unique('Nightly export')
    const app = await createApp(name)
    await mint(app, 'read:a read:b')
    const { page, problems } = await openConsole(browser, server.base)
    await signIn(page, server.owner)
    await page.getByRole('link', { name: 'Insights' }).click()
    await page.getByRole('heading', { level: 1, name: 'Insights' }).waitFor()
    // A fresh application is given time in the 30-day window; all history judges it at once.
    await page.getByLabel('Window').selectOption('0')
    const finding = page.locator('li.finding[data-kind="unused_scopes"]', { hasText: name })
    await finding.waitFor()
    await expect
      .poll(() => finding.textContent(), { timeout: 10_000 })
      .toContain('write:c delete:d')
    expect(await finding.textContent()).not.toContain('read:a')
    expect(await seriousViolations(page)).toEqual([])
    await finding.getByRole('button', { name: 'Remove these scopes' }).click()
    await page
      .getByRole('status')
      .filter({ hasText: `Removed write:c delete:d from ${name}` })
      .waitFor()
    await expect.poll(() => finding.count(), { timeout: 10_000 }).toBe(0)
    const next = await mint(app)
    expect(next.scope.split(' ').sort()).toEqual(['read:a', 'read:b'])
    expect(problems).toEqual([])
  })

  it('shows a leak on the application page with where it was found, and a viewer the findings without the button', async () => {
    const name = unique('Leaky job')
    const app = await createApp(name)
    const reported = await server.server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/leaks`,
      { secret: app.clientSecret, url: 'https://github.com/acme/ops/blob/main/.env' },
    )
    expect(await reported.json()).toMatchObject({ outcome: 'revoked_secret' })
    // A well-formed secret nobody holds changes nothing.
    const unknown = await server.server.admin_('POST', `/admin/v1/tenants/${server.tenant}/leaks`, {
      secret: generateClientSecret(),
    })
    expect(await unknown.json()).toEqual({ outcome: 'unknown' })

    const viewer = await server.createAdministrator('viewer')
    const { page } = await openConsole(browser, server.base, { width: 390, height: 844 })
    await signIn(page, viewer)
    await page.goto(`/console/applications/${app.clientId}`)
    const banner = page.locator('section.insight-banner')
    await banner.waitFor()
    await expect
      .poll(() => banner.textContent(), { timeout: 10_000 })
      .toMatch(/was reported leaked/)
    expect(await banner.textContent()).toContain('https://github.com/acme/ops/blob/main/.env')
    expect(await banner.textContent()).not.toContain(app.clientSecret)
    // Never requested: all four scopes are unused, but a viewer may not remove them.
    expect(await banner.textContent()).toContain('write:c')
    expect(await banner.getByRole('button', { name: 'Remove these scopes' }).count()).toBe(0)
    expect(await seriousViolations(page)).toEqual([])
  })
})
