import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  launchBrowser,
  openConsole,
  seriousViolations,
  signIn,
  tabTo,
  type ConsolePage,
} from './support/browser.js'
import { startConsoleServer, unique, type ConsoleTestServer } from './support/console-server.js'

const CATALOG = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../examples/policies-catalog.yaml',
)

interface ApiView {
  id: string
  audience: string
  scopes: string[]
  catalog: { categories: { name: string; resources: { name: string; slug?: string }[] }[] } | null
}

/** No horizontal scrolling of the page itself. */
function pageOverflow(page: Page): Promise<number> {
  return page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  )
}

/** Every field of the catalog table, in order: text values and checkbox states. */
function tableState(page: Page): Promise<(string | boolean)[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLInputElement>('.catalog-table-editor input')].map((i) =>
      i.type === 'checkbox' ? i.checked : i.value,
    ),
  )
}

function category(page: Page, n: number): Locator {
  return page.getByRole('group', { name: `Category ${n}`, exact: true })
}

function previewScopes(page: Page): Promise<string[]> {
  return page
    .getByRole('list', { name: 'Scopes this API will define' })
    .locator('code')
    .allTextContents()
}

describe('console: the scope catalog as a table (issue 18)', () => {
  let server: ConsoleTestServer
  let browser: Browser
  const tabs: ConsolePage[] = []
  const base = () => `/admin/v1/tenants/${server.tenant}`

  async function getApi(audience: string): Promise<{ status: number; body: ApiView }> {
    const response = await server.server.admin_(
      'GET',
      `${base()}/apis/${encodeURIComponent(audience)}`,
    )
    return { status: response.status, body: (await response.json()) as ApiView }
  }

  async function tab(width = 1280) {
    const opened = await openConsole(browser, server.base, { width })
    tabs.push(opened)
    await signIn(opened.page, server.owner)
    return opened
  }

  async function newApi(page: Page, name: string): Promise<string> {
    await page.goto('/console/apis/new')
    await page.getByRole('heading', { level: 1, name: 'Register an API' }).waitFor()
    const audience = `https://${unique('table')}.example.com`
    await page.getByLabel('Name', { exact: true }).fill(name)
    await page.getByLabel('Audience').fill(audience)
    return audience
  }

  async function addCategory(page: Page, n: number, name: string): Promise<Locator> {
    await page.getByRole('button', { name: 'Add category' }).click()
    const group = category(page, n)
    await group.getByLabel('Category name').fill(name)
    return group
  }

  async function addResource(
    group: Locator,
    n: number,
    fields: { name: string; slug?: string; actions: string[] },
  ): Promise<void> {
    await group.getByRole('button', { name: /^Add resource/ }).click()
    await group.getByLabel(`Resource ${n} name`).fill(fields.name)
    if (fields.slug !== undefined) await group.getByLabel(`Resource ${n} slug`).fill(fields.slug)
    for (const action of ['Read', 'Create', 'Update', 'Delete']) {
      await group
        .getByRole('checkbox', { name: `${action} ${fields.name}`, exact: true })
        .setChecked(fields.actions.includes(action.toLowerCase()))
    }
  }

  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startConsoleServer(), launchBrowser()])
  })
  afterAll(async () => {
    for (const t of tabs) {
      expect(t.problems).toEqual([])
      expect(t.foreignRequests).toEqual([])
    }
    await browser.close()
    await server.stop()
  })

  it('registers an API built entirely in the table, and the server defines exactly its scopes', async () => {
    const { page } = await tab()
    const audience = await newApi(page, 'Table API')
    const inventory = await addCategory(page, 1, 'Inventory')
    await addResource(inventory, 1, { name: 'Devices', actions: ['read', 'update'] })
    await addResource(inventory, 2, {
      name: 'Network Zones',
      actions: ['read', 'create', 'delete'],
    })
    // The slug is the server's slugify(name) until one is typed.
    expect(await inventory.getByLabel('Resource 2 slug').getAttribute('placeholder')).toBe(
      'network-zones',
    )
    const reports = await addCategory(page, 2, 'Reports')
    await addResource(reports, 1, { name: 'Monthly Report', slug: 'reports', actions: ['read'] })
    await page.getByRole('button', { name: 'Add custom scope' }).click()
    await page.getByLabel('Custom scope 1', { exact: true }).fill('export:all')
    await page.getByLabel('Custom scope 1 description').fill('Bulk export')

    const expected = [
      'read:devices',
      'update:devices',
      'read:network-zones',
      'create:network-zones',
      'delete:network-zones',
      'read:reports',
      'export:all',
    ]
    // Live: each row shows its scopes, and the preview lists them all before anything is sent.
    expect(await inventory.getByRole('table').textContent()).toContain('create:network-zones')
    expect(await previewScopes(page)).toEqual(expected)
    expect(await seriousViolations(page)).toEqual([])

    await page.getByRole('button', { name: 'Register API' }).click()
    await page.getByRole('heading', { level: 1, name: 'Table API' }).waitFor()
    const { status, body } = await getApi(audience)
    expect(status).toBe(200)
    expect([...body.scopes].sort()).toEqual([...expected].sort())
    expect(body.catalog?.categories.map((c) => c.name)).toEqual(['Inventory', 'Reports'])
  }, 90_000)

  it('imports a YAML catalog into the table, and switching to YAML and back keeps every field', async () => {
    const { page } = await tab()
    await newApi(page, 'Imported into the table')
    await page.getByRole('button', { name: 'Import YAML' }).click()
    const dialog = page.getByRole('dialog', { name: 'Import YAML' })
    await dialog.getByLabel('YAML or JSON to import').fill(fs.readFileSync(CATALOG, 'utf8'))
    await dialog.getByRole('button', { name: 'Import', exact: true }).click()
    await dialog.waitFor({ state: 'hidden' })
    await page.getByText('Imported 3 categories, 5 resources and 2 custom scopes.').waitFor()

    expect(await category(page, 1).getByLabel('Category name').inputValue()).toBe('Policies')
    expect(await category(page, 2).getByLabel('Category name').inputValue()).toBe(
      'Personnel & Devices',
    )
    const policies = page.getByRole('table', { name: 'Policies resources' })
    expect(await policies.getByLabel('Resource 1 name').inputValue()).toBe('Assigned Policies')
    expect(
      await policies.getByRole('checkbox', { name: 'Delete Assigned Policies' }).isChecked(),
    ).toBe(true)
    expect(
      await policies.getByRole('checkbox', { name: 'Create Policy Templates' }).isChecked(),
    ).toBe(false)
    expect(await category(page, 2).getByLabel('Resource 2 slug').inputValue()).toBe('devices')
    expect(await page.getByLabel('Custom scope 2', { exact: true }).inputValue()).toBe(
      'Resource/base_scope',
    )
    expect(await page.getByLabel('Preset 2 scopes').inputValue()).toBe(
      'read:devices read:personnel create:evidence',
    )
    const imported = await tableState(page)

    await page.getByRole('button', { name: 'Edit as YAML' }).click()
    const yaml = page.getByLabel('Scope catalog (YAML or JSON)')
    await expect.poll(() => yaml.inputValue()).toContain('Assigned Policies')
    expect(await yaml.inputValue()).toContain('connectors.self:write-resource')
    await page.getByRole('button', { name: 'Edit as table' }).click()
    await category(page, 1).waitFor()
    expect(await tableState(page)).toEqual(imported)

    // A change made in YAML shows in the table.
    await page.getByRole('button', { name: 'Edit as YAML' }).click()
    await expect.poll(() => yaml.inputValue()).toContain('What a security scanner needs')
    await yaml.fill(
      (await yaml.inputValue()).replace('What a security scanner needs', 'Nightly scanner'),
    )
    await page.getByRole('button', { name: 'Edit as table' }).click()
    expect(await page.getByLabel('Preset 2 description').inputValue()).toBe('Nightly scanner')
    expect(await tableState(page)).toEqual(
      imported.map((v) => (v === 'What a security scanner needs' ? 'Nightly scanner' : v)),
    )
  }, 90_000)

  it('flags an unusable resource name and a repeated slug beside the fields, and refuses to submit until they are fixed', async () => {
    const { page } = await tab()
    const audience = await newApi(page, 'Checked API')
    const things = await addCategory(page, 1, 'Things')
    await addResource(things, 1, { name: '%%%', actions: ['read'] })
    await addResource(things, 2, { name: 'Widgets', actions: ['read', 'create'] })
    await addResource(things, 3, { name: 'Widgets!', actions: ['read'] })

    const name1 = things.getByLabel('Resource 1 name')
    expect(await name1.getAttribute('aria-invalid')).toBe('true')
    await things
      .getByText('"%%%" gives an empty slug: use letters or digits, or set a slug.')
      .waitFor()
    const slug3 = things.getByLabel('Resource 3 slug')
    expect(await slug3.getAttribute('aria-invalid')).toBe('true')
    await things.getByText('Slug "widgets" is already used by Widgets: set another slug.').waitFor()

    await page.getByRole('button', { name: 'Register API' }).click()
    await page.getByText('The scope catalog has 2 problems to fix, marked above.').waitFor()
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Register an API')
    expect(await name1.evaluate((el) => el === document.activeElement)).toBe(true)
    expect((await getApi(audience)).status).toBe(404)

    await name1.fill('Gadgets')
    await slug3.fill('widgets-v2')
    expect(await things.locator('[aria-invalid="true"]').count()).toBe(0)
    await page.getByRole('button', { name: 'Register API' }).click()
    await page.getByRole('heading', { level: 1, name: 'Checked API' }).waitFor()
    expect((await getApi(audience)).body.scopes).toEqual([
      'read:gadgets',
      'read:widgets',
      'create:widgets',
      'read:widgets-v2',
    ])
  }, 90_000)

  it("edits an existing API's catalog in the table: unticking an action removes its scope", async () => {
    const audience = `https://${unique('orders')}.example.com`
    const created = await server.server.admin_('POST', `${base()}/apis`, {
      audience,
      name: 'Orders API',
      catalog: {
        categories: [
          { name: 'Store', resources: [{ name: 'Orders', actions: ['read', 'create', 'delete'] }] },
        ],
      },
    })
    expect(created.status).toBe(201)
    const { id } = (await created.json()) as ApiView
    const { page } = await tab()
    await page.goto(`/console/apis/${id}`)
    await page.getByRole('heading', { level: 1, name: 'Orders API' }).waitFor()
    await page.getByRole('button', { name: 'Edit API' }).click()
    // An existing catalog opens in the table too.
    await page.getByRole('button', { name: 'Edit as YAML' }).waitFor()
    const store = category(page, 1)
    await store.getByRole('checkbox', { name: 'Delete Orders' }).uncheck()
    expect(await previewScopes(page)).toEqual(['read:orders', 'create:orders'])
    await page.getByRole('button', { name: 'Save API' }).click()
    const confirm = page.getByRole('dialog', { name: 'Remove scopes from this API?' })
    expect(await confirm.textContent()).toContain('delete:orders')
    await confirm.getByRole('button', { name: 'Remove scopes and save' }).click()
    await page.getByText('API saved. 1 scope removed (delete:orders)').waitFor()
    expect((await getApi(audience)).body.scopes).toEqual(['read:orders', 'create:orders'])

    // The browser remembers the table.
    await page.getByRole('button', { name: 'Edit API' }).click()
    expect(await category(page, 1).getByLabel('Category name').inputValue()).toBe('Store')
    expect(await page.getByRole('checkbox', { name: 'Delete Orders' }).isChecked()).toBe(false)
  }, 90_000)

  for (const width of [1280, 390]) {
    it(`is usable by keyboard, has no serious axe violation and does not scroll sideways at ${width} px`, async () => {
      const { page } = await tab(width)
      await newApi(page, 'Keyboard API')
      await page.getByLabel('Audience').focus()
      await tabTo(page, (el) => el.tag === 'button' && el.name === 'Add category')
      const focusedLabel = () =>
        page.evaluate(
          () => (document.activeElement as HTMLInputElement | null)?.labels?.[0]?.textContent ?? '',
        )
      await page.keyboard.press('Enter')
      await expect.poll(focusedLabel).toBe('Category name 1')
      await page.keyboard.type('Billing')
      await tabTo(page, (el) => el.tag === 'button' && el.name === 'Add resource to Billing')
      await page.keyboard.press('Enter')
      await expect.poll(focusedLabel).toBe('Resource 1 Name')
      await page.keyboard.type('Invoices')
      await tabTo(page, (el) => el.type === 'checkbox' && el.name === 'Create Invoices')
      await page.keyboard.press('Space')
      expect(await previewScopes(page)).toEqual(['read:invoices', 'create:invoices'])
      await addResource(category(page, 1), 2, { name: 'Invoices!', actions: ['read'] })
      await page.getByRole('button', { name: 'Add custom scope' }).click()
      await page.getByLabel('Custom scope 1', { exact: true }).fill('bad scope')
      await page.getByRole('button', { name: 'Add preset' }).click()
      await page.getByLabel('Preset 1 name').fill('Clerk')
      await page.getByLabel('Preset 1 scopes').fill('read:invoices')
      await page.getByText('is not a valid scope').waitFor()
      expect(await seriousViolations(page), 'table with errors').toEqual([])
      expect(await pageOverflow(page), 'table with errors').toBeLessThanOrEqual(0)

      await page.getByRole('button', { name: 'Edit as YAML' }).click()
      await page.getByLabel('Scope catalog (YAML or JSON)').waitFor()
      // The same checks, named by place, under the YAML.
      await page.getByText('Custom scope 1: "bad scope" is not a valid scope').waitFor()
      await page.getByText('Category 1, resource 2: Slug "invoices" is already used').waitFor()
      expect(await seriousViolations(page), 'YAML').toEqual([])
      expect(await pageOverflow(page), 'YAML').toBeLessThanOrEqual(0)

      await page.getByRole('button', { name: 'Import YAML' }).click()
      await page.getByRole('dialog', { name: 'Import YAML' }).waitFor()
      expect(await seriousViolations(page), 'import dialog').toEqual([])
      expect(await pageOverflow(page), 'import dialog').toBeLessThanOrEqual(0)
    }, 90_000)
  }
})
