import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  launchBrowser,
  openConsole,
  seriousViolations,
  signIn,
  type ConsolePage,
} from './support/browser.js'
import {
  createCatalogApi,
  startConsoleServer,
  unique,
  type ConsoleTestServer,
} from './support/console-server.js'

interface AppView {
  client_id: string
  name: string
  expires_at: string | null
  built_in: boolean
  status: string
}

/** No horizontal scrolling of the page itself (tables may scroll inside their own region). */
function pageOverflow(page: Page): Promise<number> {
  return page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  )
}

describe('console: forgives mistakes (issue 18)', () => {
  let server: ConsoleTestServer
  let browser: Browser
  let audience: string
  const tabs: ConsolePage[] = []
  const base = () => `/admin/v1/tenants/${server.tenant}`

  async function adminJson<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await server.server.admin_(method, path, body)
    if (response.status >= 300)
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
    return (await response.json()) as T
  }

  async function createApp(body: Record<string, unknown>) {
    return adminJson<AppView & { client_secret: string }>('POST', `${base()}/applications`, {
      environment: 'prod',
      ...body,
    })
  }

  function mint(clientId: string, secret: string): Promise<Response> {
    return fetch(server.server.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
      }),
    })
  }

  async function tab(options: { width?: number; timezoneId?: string } = {}) {
    const opened = await openConsole(browser, server.base, options)
    tabs.push(opened)
    return opened
  }

  async function builtInApp(): Promise<AppView> {
    const list = await adminJson<{ items: AppView[] }>('GET', `${base()}/applications?limit=200`)
    const found = list.items.find((a) => a.built_in)
    if (found === undefined) throw new Error('the tenant has no built-in admin application')
    return found
  }

  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startConsoleServer(), launchBrowser()])
    audience = (await createCatalogApi(server.server)).audience
  })
  afterAll(async () => {
    for (const t of tabs) {
      expect(t.problems).toEqual([])
      expect(t.foreignRequests).toEqual([])
    }
    await browser.close()
    await server.stop()
  })

  it('warns before the breadcrumb, the sidebar or Back leave the credentials step, and lets go only once the secret is confirmed stored', async () => {
    const { page } = await tab()
    await signIn(page, server.owner)
    await page.getByRole('link', { name: 'Create OAuth Application' }).first().click()
    const name = unique('Guarded')
    await page.getByLabel('Name', { exact: true }).fill(name)
    await page.getByRole('button', { name: 'Next: scopes' }).click()
    await page.getByLabel('API', { exact: true }).selectOption(audience)
    await page.getByRole('radio', { name: /Auditor/ }).check()
    await page.getByRole('button', { name: 'Create application' }).click()
    const credentials = page.getByRole('heading', { name: `Credentials for ${name}` })
    await credentials.waitFor()
    const secret = (await page.locator('#created-client-secret').textContent()) ?? ''
    expect(secret).toMatch(/^tms_/)

    // The breadcrumb: held, with a warning; staying keeps the secret on screen.
    await page.locator('.breadcrumb').getByRole('link', { name: 'OAuth Applications' }).click()
    const guard = page.getByRole('dialog', { name: 'Leave without the client secret?' })
    await guard.waitFor()
    expect(await guard.textContent()).toMatch(/shown only on this page/)
    expect(await seriousViolations(page)).toEqual([])
    expect(await guard.getByRole('button', { name: 'Leave this page' }).isDisabled()).toBe(true)
    await guard.getByRole('button', { name: 'Stay and copy the secret' }).click()
    await guard.waitFor({ state: 'hidden' })
    expect(await credentials.isVisible()).toBe(true)
    expect(page.url()).toMatch(/\/console\/applications\/new$/)
    expect(await page.locator('#created-client-secret').textContent()).toBe(secret)

    // Back: the address comes back and the same question is asked.
    await page.evaluate(() => {
      window.history.back()
    })
    await guard.waitFor()
    expect(page.url()).toMatch(/\/console\/applications\/new$/)
    await guard.getByRole('button', { name: 'Stay and copy the secret' }).click()
    await guard.waitFor({ state: 'hidden' })
    expect(await credentials.isVisible()).toBe(true)

    // Signing out would lose it too: the same question.
    await page.getByRole('button', { name: 'Sign out' }).click()
    await guard.waitFor()
    await guard.getByRole('button', { name: 'Stay and copy the secret' }).click()
    await guard.waitFor({ state: 'hidden' })
    expect(await credentials.isVisible()).toBe(true)

    // The sidebar: leaving needs the same confirmation as the wizard's own Close button.
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Audit log' })
      .click()
    await guard.waitFor()
    const leave = guard.getByRole('button', { name: 'Leave this page' })
    expect(await leave.isDisabled()).toBe(true)
    await guard.getByLabel('I have stored this client secret in a secure location').check()
    await leave.click()
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor()

    // Once away, navigation is free again.
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'APIs' })
      .click()
    await page.getByRole('heading', { level: 1, name: 'APIs' }).waitFor()
  }, 90_000)

  it('saves a custom expiry as the end of that day in the browser’s time zone, says which zone, and sends the exact instant', async () => {
    const { page } = await tab({ timezoneId: 'America/Los_Angeles' })
    await signIn(page, server.owner)
    await page.goto('/console/applications/new')
    const name = unique('Zoned')
    await page.getByLabel('Name', { exact: true }).fill(name)
    const date = page.locator('#app-expires-on')
    await date.fill('2027-03-31')
    // The label names the zone, and the hint the exact end, in that zone.
    const label = (await page.locator('label[for="app-expires-on"]').textContent()) ?? ''
    expect(label).toContain('America/Los_Angeles')
    const hint = (await page.locator('#app-expires-on-hint').textContent()) ?? ''
    expect(hint).toMatch(/2027/)
    expect(hint).toMatch(/11:59\s?PM|23:59/)
    expect(hint).toContain('America/Los_Angeles')
    await page.getByRole('button', { name: 'Next: scopes' }).click()
    await page.getByLabel('API', { exact: true }).selectOption(audience)
    await page.getByRole('radio', { name: /Auditor/ }).check()

    const sent = page.waitForRequest(
      (r) => r.method() === 'POST' && r.url().endsWith(`${base()}/applications`),
    )
    await page.getByRole('button', { name: 'Create application' }).click()
    const body = (await sent).postDataJSON() as { expires_at: string }
    // Pacific daylight time on 31 March 2027: UTC-7, given with its offset.
    expect(body.expires_at).toBe('2027-03-31T23:59:59.999-07:00')
    await page.getByLabel('I have stored this client secret in a secure location').check()
    await page.getByRole('button', { name: 'Close', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor()
    const clientId = page.url().split('/').pop() ?? ''

    const stored = await adminJson<AppView>('GET', `${base()}/applications/${clientId}`)
    expect(stored.expires_at).toBe('2027-04-01T06:59:59.999Z')
    const shown = (await page.locator('#details dd time').first().textContent()) ?? ''
    expect(shown).toMatch(/Mar 31, 2027/)
    expect(shown).toContain('America/Los_Angeles')

    // Editing shows the local day (not the UTC one, 1 April), and saving other details keeps the
    // exact instant.
    await page.getByRole('button', { name: 'Edit details' }).click()
    expect(await page.locator('#app-expires-on').inputValue()).toBe('2027-03-31')
    await page.getByLabel('Description').fill('Now with a description')
    await page.getByRole('button', { name: 'Save details' }).click()
    await page.getByText('Details saved.').waitFor()
    const kept = await adminJson<AppView>('GET', `${base()}/applications/${clientId}`)
    expect(kept.expires_at).toBe('2027-04-01T06:59:59.999Z')
  }, 90_000)

  it('a revoked application warns of no client still using a secret, shows no token request, and its Activity shows the revocation at once', async () => {
    const app = await createApp({
      name: unique('Soon revoked'),
      grants: [{ audience, preset: 'read-only' }],
    })
    expect((await mint(app.client_id, app.client_secret)).status).toBe(200)
    await adminJson('POST', `${base()}/applications/${app.client_id}/rotate-secret`, {
      overlap_seconds: 86_400,
    })
    const { page } = await tab()
    await signIn(page, server.owner)
    await page.goto(`/console/applications/${app.client_id}`)
    await page.getByRole('heading', { level: 1, name: new RegExp(app.name) }).waitFor()
    // Before: the old secret is still in use, which is worth a warning.
    await page
      .getByText(/a client still uses it/)
      .first()
      .waitFor()
    expect(await page.locator('#snippet-curl').count()).toBe(1)

    await page.getByRole('button', { name: 'Revoke application' }).click()
    await page
      .getByRole('dialog', { name: `Revoke ${app.name}?` })
      .getByRole('button', { name: 'Revoke now' })
      .click()
    await page.locator('h1 .badge', { hasText: 'Revoked' }).waitFor()
    await page.locator('#activity').getByText('Application revoked').waitFor()
    expect(await page.getByText(/still uses/).count()).toBe(0)
    expect(await page.getByText(/before the overlap ends/).count()).toBe(0)
    expect(await page.locator('#snippet-curl').count()).toBe(0)
    expect(await page.locator('#token-request').textContent()).toMatch(/revoked/)

    // The server says the same to every client of the admin API.
    const view = await adminJson<{
      warnings?: string[]
      secrets: { still_in_use: boolean }[]
    }>('GET', `${base()}/applications/${app.client_id}`)
    expect(view.warnings).toBeUndefined()
    expect(view.secrets.every((s) => !s.still_in_use)).toBe(true)
  }, 90_000)

  it('shows an introspection-only application as API credentials with their real use', async () => {
    const app = await createApp({ name: unique('Resource server'), can_introspect: true })
    const { page } = await tab()
    await signIn(page, server.owner)
    await page.goto(`/console/applications/${app.client_id}`)
    await page.getByRole('heading', { level: 1, name: new RegExp(app.name) }).waitFor()
    expect(await page.locator('h1').textContent()).toContain('API credentials')
    const text = (await page.locator('main').textContent()) ?? ''
    expect(text).toContain(
      'used by a resource server to introspect tokens and follow the revocation feed',
    )
    expect(text).not.toContain('cannot get a token')
    expect(await page.locator('#token-request').textContent()).toContain('/oauth/introspect')
    expect(await page.locator('#snippet-curl').count()).toBe(0)

    await page.goto(`/console/applications?q=${encodeURIComponent(app.name)}`)
    const row = page.getByRole('row', { name: new RegExp(app.name) })
    await row.waitFor()
    expect(await row.textContent()).toContain('API credentials')
    expect(await row.textContent()).not.toContain('0 scopes')
  }, 60_000)

  it('keeps the built-in admin application apart and protected, and offers the admin API only to owners behind a warning', async () => {
    const builtIn = await builtInApp()
    await createApp({ name: unique('Customer'), grants: [{ audience, preset: 'read-only' }] })

    // Owner: its own section, a badge, and a warning that the CLI depends on it.
    const owner = (await tab()).page
    await signIn(owner, server.owner)
    const customers = owner.getByRole('region', { name: 'Applications', exact: true })
    await customers.waitFor()
    expect(await customers.textContent()).not.toContain(builtIn.client_id)
    const section = owner.getByRole('region', { name: 'Built-in applications' })
    expect(await section.textContent()).toContain(builtIn.client_id)
    expect(await section.textContent()).toContain('Built-in')
    await section.getByRole('link', { name: builtIn.name }).click()
    await owner.getByRole('heading', { level: 1, name: new RegExp(builtIn.name) }).waitFor()
    expect(await owner.locator('#danger').textContent()).toContain(
      'The tokenmint CLI depends on this application',
    )
    await owner.getByRole('button', { name: 'Revoke application' }).click()
    const revoke = owner.getByRole('dialog', { name: `Revoke ${builtIn.name}?` })
    expect(await revoke.textContent()).toMatch(/tokenmint CLI stops working/)
    await revoke.getByRole('button', { name: 'Cancel' }).click()

    // Owner's wizard: the admin API is there but never preselected, and granting it asks first.
    await owner.goto('/console/applications/new')
    await owner.getByLabel('Name', { exact: true }).fill(unique('Automation'))
    await owner.getByRole('button', { name: 'Next: scopes' }).click()
    const apiSelect = owner.getByLabel('API', { exact: true })
    expect(await apiSelect.inputValue()).toBe(audience)
    expect(await owner.getByText(/Tokenmint's own admin API/).count()).toBe(0)
    await apiSelect.selectOption('urn:tokenmint:admin')
    await owner.getByText(/Tokenmint's own admin API/).waitFor()
    expect(await seriousViolations(owner)).toEqual([])
    await owner.locator('.scope-picker input[type=checkbox]').first().check()
    const create = owner.getByRole('button', { name: 'Create application' })
    expect(await create.isDisabled()).toBe(true)
    await owner
      .getByLabel('I understand this application will be able to administer the tenant')
      .check()
    expect(await create.isDisabled()).toBe(false)

    // An admin (not an owner): no revoke or delete, and no admin API in the wizard.
    const admin = (await tab()).page
    await signIn(admin, await server.createAdministrator('admin'))
    await admin.goto(`/console/applications/${builtIn.client_id}`)
    await admin.getByRole('heading', { level: 1, name: new RegExp(builtIn.name) }).waitFor()
    expect(await admin.getByRole('button', { name: 'Revoke application' }).count()).toBe(0)
    expect(await admin.getByRole('button', { name: 'Delete application' }).count()).toBe(0)
    expect(await admin.getByText(/Only an owner may change it/).count()).toBe(1)
    await admin.goto('/console/applications/new')
    await admin.getByLabel('Name', { exact: true }).fill(unique('Not admin'))
    await admin.getByRole('button', { name: 'Next: scopes' }).click()
    const values = await admin
      .getByLabel('API', { exact: true })
      .locator('option')
      .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))
    expect(values).toContain(audience)
    expect(values).not.toContain('urn:tokenmint:admin')
  }, 90_000)

  for (const width of [1280, 390]) {
    it(`lays the audit log out at ${width} px: names for actors, whole words, the CLI's own tokens hidden behind a toggle, administrator events filterable`, async () => {
      const builtIn = await builtInApp()
      const app = await createApp({
        name: unique('Audited integration'),
        grants: [{ audience, preset: 'read-only' }],
      })
      expect((await mint(app.client_id, app.client_secret)).status).toBe(200)
      for (let i = 0; i < 4; i++)
        expect(
          (await mint(server.server.admin.clientId, server.server.admin.clientSecret)).status,
        ).toBe(200)
      // A failed console sign-in: an administrator event.
      const failed = await fetch(`${server.base}/console/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...server.owner, password: 'not the password' }),
      })
      expect(failed.status).toBe(401)

      const { page } = await tab({ width })
      await signIn(page, server.owner)
      await page.goto('/console/audit')
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor()
      const table = page.getByRole('region', { name: 'Audit events' })
      await table.waitFor()
      await page.waitForLoadState('networkidle')

      // The CLI's own tokens: hidden by default, and counted; shown on request.
      const cliRows = () =>
        table
          .locator('tbody tr')
          .filter({ has: page.locator('.actor', { hasText: `${builtIn.name} (CLI)` }) })
          .filter({ hasText: 'Token issued' })
          .count()
      await expect
        .poll(() => page.locator('.audit-options [role=status]').textContent())
        .toMatch(/^\d+ tokens the CLI issued to itself are hidden on this page\.$/)
      expect(await cliRows()).toBe(0)
      const toggle = page.getByLabel('Show each token the CLI issued to itself')
      await toggle.check()
      await expect.poll(cliRows).toBeGreaterThanOrEqual(4)
      await toggle.uncheck()
      await expect.poll(cliRows).toBe(0)

      // Actors by name, not id; the application column by name too.
      const actors = await table.locator('td.actor').allTextContents()
      expect(actors).toContain(app.name)
      expect(actors.some((a) => a.includes('(console)'))).toBe(true)
      expect(actors.some((a) => a.startsWith('client:'))).toBe(false)

      expect(await seriousViolations(page)).toEqual([])
      // Layout: no page scrolls sideways, the By column is readable and no word is split.
      expect(await pageOverflow(page)).toBeLessThanOrEqual(0)
      expect(await table.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0)
      const layout = await page.evaluate(() => {
        const cells = [...document.querySelectorAll<HTMLElement>('.audit-table td')]
        const actorWidths = [
          ...document.querySelectorAll<HTMLElement>('.audit-table td.actor'),
        ].map((td) => td.getBoundingClientRect().width)
        const split: string[] = []
        for (const cell of cells) {
          const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT)
          for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
            const text = node.textContent ?? ''
            // Words, and the parts of ids between the places a line may break (- _ / . :).
            for (const word of text.matchAll(/[^\s\-_/.:]+/g)) {
              if (word[0].length > 24) continue // an unbroken id may break; a word must not
              const range = document.createRange()
              range.setStart(node, word.index)
              range.setEnd(node, word.index + word[0].length)
              const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)))
              if (lines.size > 1) split.push(word[0])
            }
          }
        }
        return { actorWidths, split }
      })
      expect(layout.split).toEqual([])
      expect(Math.min(...layout.actorWidths)).toBeGreaterThanOrEqual(width === 1280 ? 120 : 150)

      // Administrator events are in the type filter, and filter.
      const type = page.getByLabel('Event type')
      const options = await type.locator('option').allTextContents()
      for (const label of [
        'Administrator sign-in failed',
        'Administrator signed in',
        'Administrator created',
      ])
        expect(options).toContain(label)
      await type.selectOption('administrator.sign_in_failed')
      await page.getByRole('button', { name: 'Apply filters' }).click()
      // Waits for the filtered page itself: the unfiltered one already held such a row.
      await expect
        .poll(async () => [
          ...new Set(await table.locator('td[data-label="Event"]').allTextContents()),
        ])
        .toEqual(['Administrator sign-in failed'])
    }, 90_000)
  }

  it('prefills the last tenant on sign-in, says the scope notice once, lines up the scope matrix and draws whole-number usage filling its card', async () => {
    const { page } = await tab()
    await signIn(page, server.owner)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor()
    await page.reload()
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor()
    expect(await page.getByLabel('Tenant').inputValue()).toBe(server.tenant)
    expect(await page.locator('#signin-tenant-hint').textContent()).toMatch(/last signed in/)
    await page.getByLabel('Username').fill(server.owner.username)
    await page.getByLabel('Password').fill(server.owner.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { level: 1, name: 'OAuth Applications' }).waitFor()

    // Three tokens: a peak of 3 on a 0–5 axis, whose middle would be "2.5".
    const app = await createApp({
      name: unique('Charted'),
      grants: [{ audience, preset: 'read-only' }],
    })
    for (let i = 0; i < 3; i++)
      expect((await mint(app.client_id, app.client_secret)).status).toBe(200)
    await page.goto(`/console/applications/${app.client_id}`)
    await page.getByRole('heading', { level: 1, name: new RegExp(app.name) }).waitFor()
    const ticks = await page.locator('#usage svg text.usage-axis').allTextContents()
    expect(ticks.length).toBeGreaterThan(0)
    for (const tick of ticks.filter((t) => !t.includes('-'))) expect(tick).toMatch(/^\d+$/)
    const fill = await page.evaluate(() => {
      const card = document.querySelector<HTMLElement>('#usage')
      const svg = document.querySelector<SVGSVGElement>('#usage svg')
      if (card === null || svg === null) return 0
      const style = getComputedStyle(card)
      const inner =
        card.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
      return svg.getBoundingClientRect().width / inner
    })
    expect(fill).toBeGreaterThan(0.98)

    // The scope notice says "revoke the application" once, as a link.
    await page.getByRole('button', { name: 'Edit scopes' }).click()
    await page.getByRole('checkbox', { name: /^Read Devices/ }).uncheck()
    await page.getByRole('button', { name: 'Save scopes' }).click()
    await page.getByRole('button', { name: 'Edit scopes' }).waitFor()
    const notice =
      (await page.locator('#scopes .alert, #scopes [role=status]').first().textContent()) ?? ''
    expect(notice.match(/revoke the application/gi)?.length).toBe(1)
    expect(notice.match(/tokens already issued/gi)?.length).toBe(1)

    // The matrix: every category's action columns at the same x.
    await page.getByRole('button', { name: 'Edit scopes' }).click()
    for (const summary of await page.locator('details.category:not([open]) > summary').all())
      await summary.click()
    const columns = await page.evaluate(() =>
      [...document.querySelectorAll('details.category table.scope-table')].map((table) =>
        [...table.querySelectorAll('thead th')].map((th) =>
          Math.round(th.getBoundingClientRect().left),
        ),
      ),
    )
    expect(columns.length).toBeGreaterThan(1)
    for (const c of columns) expect(c).toEqual(columns[0])
  }, 90_000)
})
