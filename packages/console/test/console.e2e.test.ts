import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  launchBrowser,
  openConsole,
  runSnippet,
  scopesOf,
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

describe('console: an application from the wizard to its deletion, with the mouse', () => {
  let server: ConsoleTestServer
  let browser: Browser
  let tab: ConsolePage
  let audience: string

  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startConsoleServer(), launchBrowser()])
    audience = (await createCatalogApi(server.server)).audience
    tab = await openConsole(browser, server.base)
  })
  afterAll(async () => {
    await browser.close()
    await server.stop()
  })

  it('signs in, creates an application with a preset plus a hand-picked scope, and the copied curl command gets a token with exactly those scopes; then edits, rotates, revokes and deletes it', async () => {
    const { page } = tab
    await signIn(page, server.owner)
    expect(await seriousViolations(page)).toEqual([])

    // 1. Details
    await page.getByRole('link', { name: 'Create OAuth Application' }).first().click()
    await page.getByRole('heading', { name: 'Details' }).waitFor()
    const name = unique('CI deploy')
    await page.getByLabel('Name', { exact: true }).fill(name)
    await page.getByLabel('Description').fill('Deploys from the CI pipeline')
    await page.getByLabel('Environment').fill('prod')
    expect(await page.getByLabel('Custom date').isChecked()).toBe(true)
    expect(await seriousViolations(page)).toEqual([])
    await page.getByRole('button', { name: 'Next: scopes' }).click()

    // 2. Scopes: the Auditor preset, then one more scope by hand.
    await page.getByRole('heading', { name: 'Scopes' }).waitFor()
    await page.getByLabel('API', { exact: true }).selectOption(audience)
    await page.getByRole('radio', { name: /Auditor/ }).check()
    await page.getByRole('checkbox', { name: /^Create Evidence/ }).check()
    expect(await page.getByRole('radio', { name: /^Custom/ }).isChecked()).toBe(true)
    const picked = [
      'read:assigned-policies',
      'read:policy-templates',
      'read:evidence',
      'create:evidence',
    ].sort()
    await expect
      .poll(() => page.locator('.scope-summary code').allTextContents())
      .toEqual(expect.arrayContaining(picked))
    expect(await page.locator('.scope-summary code').count()).toBe(picked.length)
    expect(await seriousViolations(page)).toEqual([])
    await page.getByRole('button', { name: 'Create application' }).click()

    // 3. Credentials, shown once.
    await page.getByRole('heading', { name: `Credentials for ${name}` }).waitFor()
    const secret = (await page.locator('#created-client-secret').textContent()) ?? ''
    const clientId = (await page.locator('#created-client-id').textContent()) ?? ''
    expect(secret).toMatch(/^tms_/)
    expect(clientId).toMatch(/^tmc_/)
    await page.getByRole('button', { name: 'Copy curl command (JSON body)' }).click()
    const copied = await page.evaluate(() => navigator.clipboard.readText())
    expect(copied).toBe(await page.locator('#snippet-curl').textContent())
    expect(copied).toContain(clientId)
    expect(copied).toContain(audience)
    expect(copied).not.toContain(secret)
    const close = page.getByRole('button', { name: 'Close', exact: true })
    expect(await close.isDisabled()).toBe(true)
    expect(await seriousViolations(page)).toEqual([])

    const token = await runSnippet(copied, secret)
    expect(scopesOf(token)).toEqual(picked)

    await page.getByLabel('I have stored this client secret in a secure location').check()
    await close.click()

    // The application page.
    await page.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor()
    expect(await seriousViolations(page)).toEqual([])
    expect(await page.locator('#secrets').textContent()).not.toContain(secret)

    // Edit scopes: drop create:evidence, add read:devices.
    await page.getByRole('button', { name: 'Edit scopes' }).click()
    await page.getByRole('checkbox', { name: /^Create Evidence/ }).uncheck()
    await page.locator('summary', { hasText: 'Personnel & Devices' }).click()
    await page.getByRole('checkbox', { name: /^Read Devices/ }).check()
    await page.getByRole('button', { name: 'Save scopes' }).click()
    // The form closes once the server has answered. (While the request is in flight the submit
    // button reads "Saving…", so waiting for "Save scopes" to go away is not enough.)
    await page.getByRole('button', { name: 'Edit scopes' }).waitFor()
    await page.getByText(/revoke the application to end them now/).waitFor()
    const edited = [
      'read:assigned-policies',
      'read:policy-templates',
      'read:evidence',
      'read:devices',
    ].sort()
    const curl = (await page.locator('#snippet-curl').textContent()) ?? ''
    expect(scopesOf(await runSnippet(curl, secret))).toEqual(edited)

    // Rotate with a one-hour overlap: both secrets work meanwhile.
    await page.getByLabel('Overlap').selectOption('3600')
    await page.getByRole('button', { name: 'Rotate secret' }).click()
    await page
      .getByRole('dialog', { name: 'Rotate the client secret?' })
      .getByRole('button', { name: 'Rotate secret' })
      .click()
    const rotatedDialog = page.getByRole('dialog', { name: 'New client secret' })
    const newSecret = (await rotatedDialog.locator('#created-client-secret').textContent()) ?? ''
    expect(newSecret).toMatch(/^tms_/)
    expect(newSecret).not.toBe(secret)
    expect(await seriousViolations(page)).toEqual([])
    await rotatedDialog.getByLabel('I have stored this client secret in a secure location').check()
    await rotatedDialog.getByRole('button', { name: 'Done' }).click()
    await page.getByText(/previous secret keeps working until the overlap ends/).waitFor()
    await expect.poll(() => page.locator('#secrets tbody tr').count()).toBe(2)
    expect((await runSnippet(curl, newSecret))['access_token']).toBeTypeOf('string')
    expect((await runSnippet(curl, secret))['access_token']).toBeTypeOf('string')

    // Revoke: asks first, says it is immediate, and the next token request is refused.
    await page.getByRole('button', { name: 'Revoke application' }).click()
    const revokeDialog = page.getByRole('dialog', { name: `Revoke ${name}?` })
    expect(await revokeDialog.textContent()).toMatch(/takes effect at once/i)
    expect(await seriousViolations(page)).toEqual([])
    await revokeDialog.getByRole('button', { name: 'Revoke now' }).click()
    await page.locator('h1 .badge', { hasText: 'Revoked' }).waitFor()
    const refused = await runSnippet(curl, newSecret)
    expect(refused['error']).toBe('invalid_client')

    // Delete: type the name to confirm.
    await page.getByRole('button', { name: 'Delete application' }).click()
    const deleteDialog = page.getByRole('dialog', { name: `Delete ${name}?` })
    const confirm = deleteDialog.getByRole('button', { name: 'Delete application' })
    expect(await confirm.isDisabled()).toBe(true)
    await deleteDialog.getByLabel(/Type .* to confirm/).fill(name)
    await confirm.click()
    await page.getByText(`Deleted “${name}”.`).waitFor()
    expect(await page.getByRole('link', { name }).count()).toBe(0)

    expect(tab.problems).toEqual([])
    expect(tab.foreignRequests).toEqual([])
  }, 120_000)
})
