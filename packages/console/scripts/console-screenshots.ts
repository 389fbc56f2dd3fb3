// Regenerates docs/console/*.png: every page of the console at 1280 px, and the main ones at
// 390 px. Starts a real server on 127.0.0.1 with a seeded tenant and drives Debian's chromium.
// Run: npm run screenshots -w @tokenmint/console (after npm run build).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import type { Page } from 'playwright-core'

import { launchBrowser, openConsole, signIn } from '../test/support/browser.js'
import { createCatalogApi, startConsoleServer } from '../test/support/console-server.js'
import { seedTenant } from '../test/support/seed.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const out = path.resolve(here, '../../../docs/console')
fs.mkdirSync(out, { recursive: true })

const server = await startConsoleServer()
const browser = await launchBrowser()
const written: string[] = []

async function shot(page: Page, name: string, options: { fullPage?: boolean } = {}) {
  await page.waitForLoadState('networkidle')
  // Let the fonts settle and the focus ring of the moved focus show as users see it.
  await page.waitForTimeout(150)
  await page.evaluate(() => {
    window.scrollTo(0, 0)
  })
  const file = path.join(out, `${name}.png`)
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true })
  written.push(path.relative(process.cwd(), file))
}

async function heading(page: Page, name: string | RegExp) {
  await page.getByRole('heading', { level: 1, name }).waitFor()
}

try {
  const api = await createCatalogApi(server.server)
  const seeded = await seedTenant(server.server, api.audience)

  const desktop = await openConsole(browser, server.base, { width: 1280, height: 800 })
  const page = desktop.page
  await page.goto('/console/')
  await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor()
  await page.getByLabel('Tenant').fill(server.owner.tenant)
  await page.getByLabel('Username').fill(server.owner.username)
  await shot(page, 'sign-in', { fullPage: false })
  await signIn(page, server.owner)
  await shot(page, 'applications')

  // The wizard, step by step, ending on the credentials shown once.
  await page.getByRole('link', { name: 'Create OAuth Application' }).first().click()
  await page.getByLabel('Name', { exact: true }).fill('Release pipeline')
  await page.getByLabel('Description').fill('Publishes policy templates on release')
  await shot(page, 'wizard-1-details')
  await page.getByRole('button', { name: 'Next: scopes' }).click()
  await page.getByRole('heading', { name: 'Scopes' }).waitFor()
  await page.getByRole('radio', { name: /Auditor/ }).check()
  await page.getByRole('checkbox', { name: /^Update Assigned Policies/ }).check()
  await shot(page, 'wizard-2-scopes')
  await page.getByRole('button', { name: 'Create application' }).click()
  await page.getByRole('heading', { name: /Credentials for/ }).waitFor()
  await shot(page, 'wizard-3-credentials')
  await page.getByLabel('I have stored this client secret in a secure location').check()
  await page.getByRole('button', { name: 'Close', exact: true }).click()

  await page.goto(`/console/applications/${seeded.clientId}`)
  await heading(page, seeded.appName)
  await shot(page, 'application')
  await page.getByRole('button', { name: 'Edit scopes' }).click()
  await shot(page, 'application-scopes-edit')
  await page.getByRole('button', { name: 'Cancel' }).click()
  await page.getByRole('button', { name: 'Revoke application' }).click()
  await page.getByRole('dialog').waitFor()
  await shot(page, 'application-revoke', { fullPage: false })
  await page.keyboard.press('Escape')

  await page.goto('/console/apis')
  await heading(page, 'APIs')
  await shot(page, 'apis')
  await page.goto(`/console/apis/${seeded.apiId}`)
  await heading(page, 'Compliance API')
  await shot(page, 'api')
  await page.goto('/console/apis/new')
  await heading(page, 'Register an API')
  await page.getByLabel('Name').fill('Reports API')
  await page.getByLabel('Audience').fill('https://reports.example.com')
  await page
    .getByLabel('Import a catalog file')
    .setInputFiles(path.resolve(here, '../../../examples/policies-catalog.yaml'))
  await page.getByRole('heading', { name: 'Preview' }).waitFor()
  await shot(page, 'api-new')
  await page.goto('/console/audit')
  await heading(page, 'Audit log')
  await shot(page, 'audit')
  await page.goto('/console/users')
  await heading(page, 'Users')
  await shot(page, 'users')
  await page.goto('/console/administrators')
  await heading(page, 'Administrators')
  await shot(page, 'administrators')
  await desktop.context.close()

  const phone = await openConsole(browser, server.base, { width: 390, height: 844 })
  await signIn(phone.page, server.owner)
  await shot(phone.page, 'mobile-applications')
  await phone.page.goto(`/console/applications/${seeded.clientId}`)
  await heading(phone.page, seeded.appName)
  await shot(phone.page, 'mobile-application')
  await phone.page.goto('/console/applications/new')
  await phone.page.getByLabel('Name', { exact: true }).fill('Phone check')
  await phone.page.getByRole('button', { name: 'Next: scopes' }).click()
  await phone.page.getByRole('heading', { name: 'Scopes' }).waitFor()
  await shot(phone.page, 'mobile-wizard-scopes')
  await phone.context.close()
  console.log(`wrote ${written.length} screenshots:\n  ${written.join('\n  ')}`)
} finally {
  await browser.close()
  await server.stop()
}
