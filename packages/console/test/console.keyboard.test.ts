import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  launchBrowser,
  openConsole,
  runSnippet,
  scopesOf,
  tabTo,
  type ConsolePage,
} from './support/browser.js'
import {
  createCatalogApi,
  startConsoleServer,
  unique,
  type ConsoleTestServer,
} from './support/console-server.js'

/** A new page moves focus to its h1, as a page load would; wait for that before tabbing on. */
const headingFocused = (page: Page) =>
  expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1')

const focusedName = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement
    const labels = (el as HTMLInputElement | null)?.labels
    return (
      el?.getAttribute('aria-label') ??
      (labels !== null && labels !== undefined && labels.length > 0
        ? labels[0]?.textContent
        : el?.textContent) ??
      ''
    )
      .replace(/\s+/g, ' ')
      .trim()
  })

describe('console: the same flow with the keyboard only', () => {
  let server: ConsoleTestServer
  let browser: Browser
  let tab: ConsolePage

  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startConsoleServer(), launchBrowser()])
    await createCatalogApi(server.server)
    tab = await openConsole(browser, server.base)
  })
  afterAll(async () => {
    await browser.close()
    await server.stop()
  })

  it('signs in, runs the whole wizard, edits, rotates, revokes and deletes without a mouse', async () => {
    const { page } = tab
    const press = (key: string) => page.keyboard.press(key)
    const type = (text: string) => page.keyboard.type(text)
    const button = (name: string | RegExp) => (el: { name: string; tag: string }) =>
      (el.tag === 'button' || el.tag === 'a') &&
      (typeof name === 'string' ? el.name === name : name.test(el.name))

    // Sign in: the tenant field has focus on arrival.
    await page.goto('/console/')
    await page.getByLabel('Tenant').waitFor()
    await expect.poll(() => focusedName(page)).toBe('Tenant')
    await type(server.owner.tenant)
    await press('Tab')
    await type(server.owner.username)
    await press('Tab')
    await type(server.owner.password)
    await press('Enter')
    await page.getByRole('heading', { level: 1, name: 'OAuth Applications' }).waitFor()

    // Focus lands on the page's heading, as after a page load; the create button is next.
    await expect.poll(() => focusedName(page)).toBe('OAuth Applications')
    await tabTo(page, button('Create OAuth Application'))
    await press('Enter')
    await page.getByRole('heading', { name: 'Details' }).waitFor()
    await headingFocused(page)

    // 1. Details
    const name = unique('Scanner')
    await tabTo(page, (el) => el.id === 'app-name')
    await type(name)
    await tabTo(page, (el) => el.id === 'app-environment')
    await press('Control+A')
    await type('stage')
    await press('Enter')
    await page.getByRole('heading', { name: 'Scopes' }).waitFor()
    await expect.poll(() => focusedName(page)).toBe('Scopes')

    // 2. Scopes: the Scanner preset with the arrow keys, then one scope with Space.
    await tabTo(page, (el) => el.type === 'radio')
    for (let i = 0; i < 6 && !/^Scanner/.test(await focusedName(page)); i++)
      await press('ArrowRight')
    await expect.poll(() => focusedName(page)).toMatch(/^Scanner/)
    await tabTo(
      page,
      (el) => el.type === 'checkbox' && el.name.startsWith('Read Assigned Policies'),
    )
    await press('Space')
    const picked = [
      'read:devices',
      'read:personnel',
      'create:evidence',
      'read:assigned-policies',
    ].sort()
    await expect.poll(() => page.locator('.scope-summary code').count()).toBe(picked.length)
    await tabTo(page, button('Create application'))
    await press('Enter')

    // 3. Credentials: copy the curl command with Enter, confirm with Space, close with Enter.
    await page.getByRole('heading', { name: `Credentials for ${name}` }).waitFor()
    const secret = (await page.locator('#created-client-secret').textContent()) ?? ''
    await tabTo(page, button('Copy curl command (JSON body)'))
    await press('Enter')
    const curl = await page.evaluate(() => navigator.clipboard.readText())
    expect(curl).toContain('curl')
    expect(scopesOf(await runSnippet(curl, secret))).toEqual(picked)
    await tabTo(page, (el) => el.type === 'checkbox' && /I have stored/.test(el.name))
    await press('Space')
    await tabTo(page, button('Close'))
    await press('Enter')
    await page.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor()
    await headingFocused(page)

    // Edit scopes: take read:personnel away.
    await tabTo(page, button('Edit scopes'))
    await press('Enter')
    await tabTo(page, (el) => el.type === 'checkbox' && el.name.startsWith('Read Personnel'))
    await press('Space')
    await tabTo(page, button('Save scopes'))
    await press('Enter')
    // The form closes once the server has answered. (While the request is in flight the submit
    // button reads "Saving…", so waiting for "Save scopes" to go away is not enough.)
    await page.getByRole('button', { name: 'Edit scopes' }).waitFor()
    await page.getByText(/revoke the application to end them now/).waitFor()
    const edited = picked.filter((s) => s !== 'read:personnel')
    const newCurl = (await page.locator('#snippet-curl').textContent()) ?? ''
    expect(scopesOf(await runSnippet(newCurl, secret))).toEqual(edited)

    // Rotate with the default overlap; the confirm button has focus in the dialog.
    await tabTo(page, button('Rotate secret'))
    await press('Enter')
    await page.getByRole('dialog', { name: 'Rotate the client secret?' }).waitFor()
    await expect.poll(() => focusedName(page)).toBe('Rotate secret')
    await press('Enter')
    const rotated = page.getByRole('dialog', { name: 'New client secret' })
    await rotated.waitFor()
    const newSecret = (await rotated.locator('#created-client-secret').textContent()) ?? ''
    await tabTo(page, (el) => el.type === 'checkbox' && /I have stored/.test(el.name))
    await press('Space')
    await tabTo(page, button('Done'))
    await press('Enter')
    await page.getByText(/previous secret keeps working/).waitFor()
    expect((await runSnippet(newCurl, newSecret))['access_token']).toBeTypeOf('string')

    // Revoke, then Escape-free confirmation with Tab and Enter.
    await tabTo(page, button('Revoke application'))
    await press('Enter')
    await page.getByRole('dialog', { name: `Revoke ${name}?` }).waitFor()
    await tabTo(page, button('Revoke now'))
    await press('Enter')
    await page.locator('h1 .badge', { hasText: 'Revoked' }).waitFor()
    expect((await runSnippet(newCurl, newSecret))['error']).toBe('invalid_client')

    // Delete: type the name in the dialog.
    await tabTo(page, button('Delete application'))
    await press('Enter')
    await page.getByRole('dialog', { name: `Delete ${name}?` }).waitFor()
    await tabTo(page, (el) => el.tag === 'input' && /to confirm/.test(el.name))
    await type(name)
    await tabTo(page, button('Delete application'))
    await press('Enter')
    await page.getByText(`Deleted “${name}”.`).waitFor()

    await page.getByRole('heading', { level: 1, name: 'OAuth Applications' }).waitFor()
    expect(tab.problems).toEqual([])
  }, 120_000)
})
