import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

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
import { seedTenant, type Seeded } from './support/seed.js'

const CATALOG = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../examples/policies-catalog.yaml',
)

/** No horizontal scrolling of the page itself (tables may scroll inside their own region). */
function pageOverflow(page: Page): Promise<number> {
  return page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  )
}

describe('console: every page is accessible and fits 1280 px and 390 px', () => {
  let server: ConsoleTestServer
  let browser: Browser
  let seeded: Seeded

  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startConsoleServer(), launchBrowser()])
    const api = await createCatalogApi(server.server)
    seeded = await seedTenant(server.server, api.audience)
  })
  afterAll(async () => {
    await browser.close()
    await server.stop()
  })

  const pages = (s: Seeded) => [
    { path: '/applications', heading: 'OAuth Applications' },
    { path: '/applications/new', heading: 'Create OAuth Application' },
    { path: `/applications/${s.clientId}`, heading: s.appName },
    { path: '/apis', heading: 'APIs' },
    { path: `/apis/${s.apiId}`, heading: 'Compliance API' },
    { path: '/apis/new', heading: 'Register an API' },
    { path: '/audit', heading: 'Audit log' },
    { path: '/users', heading: 'Users' },
    { path: '/administrators', heading: 'Administrators' },
  ]

  for (const width of [1280, 390]) {
    it(`has no serious or critical axe violation on any page at ${width} px, and no page scrolls sideways`, async () => {
      const tab: ConsolePage = await openConsole(browser, server.base, { width, height: 900 })
      const { page } = tab
      try {
        await page.goto('/console/')
        await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor()
        expect(await seriousViolations(page), 'sign-in').toEqual([])
        expect(await pageOverflow(page), 'sign-in').toBeLessThanOrEqual(0)
        await signIn(page, server.owner)
        for (const { path, heading } of pages(seeded)) {
          await page.goto(`/console${path}`)
          await page.getByRole('heading', { level: 1, name: heading }).waitFor()
          await page.waitForLoadState('networkidle')
          expect(await seriousViolations(page), path).toEqual([])
          expect(await pageOverflow(page), path).toBeLessThanOrEqual(0)
        }
        // The wizard's second step and the scope picker at this width.
        await page.goto('/console/applications/new')
        await page.getByLabel('Name', { exact: true }).fill('Width check')
        await page.getByRole('button', { name: 'Next: scopes' }).click()
        await page.getByRole('heading', { name: 'Scopes' }).waitFor()
        await page.getByRole('radio', { name: /Full access/ }).check()
        expect(await seriousViolations(page), 'wizard step 2').toEqual([])
        expect(await pageOverflow(page), 'wizard step 2').toBeLessThanOrEqual(0)
        if (width === 390) {
          // The navigation folds into a menu button.
          await page.getByRole('button', { name: 'Menu' }).click()
          await page.getByRole('link', { name: 'Audit log' }).click()
          await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor()
        }
        expect(tab.problems).toEqual([])
        expect(tab.foreignRequests).toEqual([])
      } finally {
        await tab.context.close()
      }
    }, 120_000)
  }

  it('registers an API from a catalog file, and asks before an edit takes scopes away', async () => {
    const tab = await openConsole(browser, server.base)
    const { page } = tab
    try {
      await signIn(page, server.owner)
      await page.getByRole('link', { name: 'APIs', exact: true }).click()
      await page.getByRole('link', { name: 'Register an API' }).click()
      const audience = `https://${unique('imported')}.example.com`
      await page.getByLabel('Name').fill('Imported API')
      await page.getByLabel('Audience').fill(audience)
      await page.getByLabel('Import a catalog file').setInputFiles(CATALOG)
      await page.getByRole('heading', { name: 'Preview' }).waitFor()
      expect(await page.getByRole('table', { name: 'Policies' }).textContent()).toContain(
        'read:assigned-policies',
      )
      await page.getByRole('button', { name: 'Register API' }).click()
      await page.getByRole('heading', { level: 1, name: 'Imported API' }).waitFor()
      expect(await page.getByText('connectors.self:write-resource').count()).toBeGreaterThan(0)
      expect(await page.getByText('Auditor', { exact: true }).count()).toBe(1)

      // Drop the Evidence category: the console names the scopes that go away and asks.
      await page.getByRole('button', { name: 'Edit API' }).click()
      await page.getByRole('button', { name: 'Edit as YAML' }).click()
      const editor = page.getByLabel('Scope catalog')
      await expect.poll(() => editor.inputValue()).toContain('Evidence')
      const yaml = await editor.inputValue()
      const withoutEvidence = yaml
        .replace(/\n {2}- name: Evidence\n[\s\S]*?(?=\ncustom_scopes:)/, '')
        .replace(/, ?create:evidence|create:evidence, ?/g, '')
        .replace(/, ?read:evidence|read:evidence, ?/g, '')
        .replace(/ {6}- (read|create):evidence\n/g, '')
      await editor.fill(withoutEvidence)
      await page.getByRole('button', { name: 'Save API' }).click()
      const confirm = page.getByRole('dialog', { name: 'Remove scopes from this API?' })
      expect(await confirm.textContent()).toContain('delete:evidence')
      expect(await seriousViolations(page)).toEqual([])
      await confirm.getByRole('button', { name: 'Remove scopes and save' }).click()
      await page.getByText(/API saved\. 3 scopes removed/).waitFor()
      expect(tab.problems).toEqual([])
    } finally {
      await tab.context.close()
    }
  }, 60_000)

  it('exports the filtered audit log as JSON lines', async () => {
    const tab = await openConsole(browser, server.base)
    const { page } = tab
    try {
      await signIn(page, server.owner)
      await page.goto(`/console/audit?client_id=${seeded.clientId}&type=token.issued`)
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor()
      expect(await page.getByLabel('Event type').inputValue()).toBe('token.issued')
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export JSON lines' }).click(),
      ])
      expect(download.suggestedFilename()).toMatch(/\.jsonl$/)
      const file = await download.path()
      const lines = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { type: string; client_id: string })
      expect(lines.length).toBeGreaterThanOrEqual(5)
      for (const event of lines) {
        expect(event.type).toBe('token.issued')
        expect(event.client_id).toBe(seeded.clientId)
      }
      await page.getByText(`Exported ${lines.length} events as JSON lines.`).waitFor()
    } finally {
      await tab.context.close()
    }
  }, 60_000)

  it('lets an owner add an administrator whose generated password is shown once and works', async () => {
    const tab = await openConsole(browser, server.base)
    const { page } = tab
    try {
      await signIn(page, server.owner)
      await page.getByRole('link', { name: 'Administrators' }).click()
      await page.getByRole('button', { name: 'Add administrator' }).click()
      const dialog = page.getByRole('dialog', { name: 'Add administrator' })
      const username = unique('auditor')
      await dialog.getByLabel('Username').fill(username)
      await dialog.getByRole('radio', { name: /Viewer/ }).check()
      await dialog.getByRole('button', { name: 'Add administrator' }).click()
      const shown = page.getByRole('dialog', { name: 'Administrator added' })
      const password = (await shown.locator('#new-admin-password').textContent()) ?? ''
      expect(password.length).toBeGreaterThanOrEqual(12)
      await shown.getByRole('button', { name: 'Done' }).click()
      await page.getByRole('cell', { name: username, exact: true }).waitFor()
      await page.getByRole('button', { name: 'Sign out' }).click()
      await signIn(page, { tenant: server.tenant, username, password })
      await page.getByText('You have read-only access.').waitFor()
    } finally {
      await tab.context.close()
    }
  }, 60_000)
})
