import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import type { Browser, BrowserContext, FrameLocator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { launchBrowser, runSnippet, scopesOf } from './support/browser.js'
import { DIST } from './support/console-server.js'

// examples/saas-platform as a user runs it: `node examples/saas-platform/start.mjs` starts
// Tokenmint (init, then serve) and the vendor app, as child processes, on free ports.
const START = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../examples/saas-platform/start.mjs',
)
const AUDIENCE = 'https://api.acme-compliance.example'

async function freePort(): Promise<number> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

interface Example {
  acmeUrl: string
  tokenmintUrl: string
  stop(): Promise<void>
}

/** start.mjs in its own process group, so stopping it also reaches Tokenmint and the app. */
async function startExample(): Promise<Example> {
  const [acmePort, tokenmintPort] = [await freePort(), await freePort()]
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'saas-platform-'))
  const child: ChildProcess = spawn(process.execPath, [START], {
    env: {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      ACME_PORT: String(acmePort),
      TOKENMINT_PORT: String(tokenmintPort),
      ACME_DATA_DIR: path.join(dataDir, 'data'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const group = child.pid ?? 0
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-group, signal)
    } catch {
      // Already gone.
    }
  }
  const onExit = () => {
    killGroup('SIGKILL')
  }
  process.once('exit', onExit)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    killGroup('SIGTERM')
    const timer = setTimeout(() => killGroup('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
    // The servers leave with start.mjs; make sure nothing of the group lingers.
    killGroup('SIGKILL')
    process.off('exit', onExit)
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 45_000
  while (!output.includes('Acme Compliance is running.')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`start.mjs did not come up:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    acmeUrl: `http://127.0.0.1:${acmePort}`,
    tokenmintUrl: `http://localhost:${tokenmintPort}`,
    stop,
  }
}

interface Customer {
  name: 'Globex' | 'Initech'
  id: string
  tenant: string
  /** The person the vendor app signs in (fake) and names in the portal link. */
  email: string
  findings: string[]
}

const GLOBEX: Customer = {
  name: 'Globex',
  id: 'cus_globex',
  tenant: 'globex',
  email: 'hank@globex.example',
  findings: ['fnd_g1', 'fnd_g2'],
}
const INITECH: Customer = {
  name: 'Initech',
  id: 'cus_initech',
  tenant: 'initech',
  email: 'bill@initech.example',
  findings: ['fnd_i1', 'fnd_i2', 'fnd_i3'],
}

interface Signed {
  context: BrowserContext
  page: Page
  portal: FrameLocator
  problems: string[]
}

function claimsOf(accessToken: string): Record<string, unknown> {
  return JSON.parse(
    Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'),
  ) as Record<string, unknown>
}

describe('examples/saas-platform: two customers, a shared API and portal links in a frame', () => {
  let example: Example
  let browser: Browser
  const sessions = new Map<string, Signed>()
  const tokens = new Map<string, string>()
  const appNames = new Map<string, string>()

  const findings = (customerId: string, token: string) =>
    fetch(`${example.acmeUrl}/api/customers/${customerId}/findings`, {
      headers: { authorization: `Bearer ${token}` },
    })

  beforeAll(async () => {
    if (!fs.existsSync(path.join(DIST, 'index.html')))
      throw new Error('packages/console/dist is missing: run `npm run build`')
    ;[example, browser] = await Promise.all([startExample(), launchBrowser()])
  }, 60_000)
  afterAll(async () => {
    await browser.close()
    await example.stop()
  })

  /** Signs in to the vendor app as the customer and opens Settings → API access. */
  async function openApiAccess(customer: Customer): Promise<Signed> {
    const context = await browser.newContext({
      baseURL: example.acmeUrl,
      viewport: { width: 1280, height: 1000 },
      reducedMotion: 'reduce',
    })
    context.setDefaultTimeout(10_000)
    const page = await context.newPage()
    const problems: string[] = []
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text())
    })
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    await page.goto('/')
    await page.getByRole('button', { name: customer.name, exact: true }).click()
    await page.getByRole('heading', { name: 'Findings' }).waitFor()
    await page.getByRole('link', { name: 'Settings → API access' }).click()
    const portal = page.frameLocator('#api-access-portal')
    await portal.getByRole('heading', { level: 1, name: 'OAuth Applications' }).waitFor()
    return { context, page, portal, problems }
  }

  /** The console wizard inside the frame: an application granted read:findings. */
  async function createApplication(portal: FrameLocator, name: string) {
    await portal.getByRole('link', { name: 'Create OAuth Application' }).first().click()
    await portal.getByRole('heading', { name: 'Details' }).waitFor()
    await portal.getByLabel('Name', { exact: true }).fill(name)
    await portal.getByLabel('Environment').fill('prod')
    await portal.getByRole('button', { name: 'Next: scopes' }).click()
    await portal.getByRole('heading', { name: 'Scopes' }).waitFor()
    await portal.getByLabel('API', { exact: true }).selectOption(AUDIENCE)
    await portal.getByRole('checkbox', { name: 'read:findings', exact: true }).check()
    await expect
      .poll(() => portal.locator('.scope-summary code').allTextContents())
      .toEqual(['read:findings'])
    await portal.getByRole('button', { name: 'Create application' }).click()
    await portal.getByRole('heading', { name: `Credentials for ${name}` }).waitFor()
    const secret = (await portal.locator('#created-client-secret').textContent()) ?? ''
    const curl = (await portal.locator('#snippet-curl').textContent()) ?? ''
    await portal.getByLabel('I have stored this client secret in a secure location').check()
    await portal.getByRole('button', { name: 'Close', exact: true }).click()
    await portal.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor()
    return { secret, curl }
  }

  it('each customer, signed in to the vendor app, creates an application in the embedded portal; its curl gets a token that reads only its own findings', async () => {
    for (const customer of [GLOBEX, INITECH]) {
      const signed = await openApiAccess(customer)
      sessions.set(customer.id, signed)
      // The console in the frame is the customer's tenant, branded as the vendor's product.
      await expect
        .poll(() => signed.portal.locator('.brand-text').textContent())
        .toBe('Acme Compliance')
      expect(await signed.portal.locator('.tenant').textContent()).toContain(customer.tenant)
      // The link's return_url is the console's way back, out of the frame.
      expect(
        await signed.portal.getByRole('link', { name: /^Back to / }).getAttribute('href'),
      ).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
      // Signed in by the portal link as the vendor's signed-in person, with the role it gave.
      expect(await signed.portal.locator('.account-name').textContent()).toBe(
        `${customer.email} admin`,
      )

      const name = `${customer.name} SIEM export`
      appNames.set(customer.id, name)
      const { secret, curl } = await createApplication(signed.portal, name)
      expect(curl).toContain(`${example.tokenmintUrl}/t/${customer.tenant}/oauth/token`)
      expect(curl).toContain(AUDIENCE)
      expect(curl).not.toContain(secret)

      const response = await runSnippet(curl, secret)
      expect(scopesOf(response)).toEqual(['read:findings'])
      const token = String(response['access_token'])
      expect(claimsOf(token)).toMatchObject({ tenant: customer.tenant, account_id: customer.id })
      tokens.set(customer.id, token)

      const answer = await findings(customer.id, token)
      expect(answer.status).toBe(200)
      const body = (await answer.json()) as { customer: string; items: { id: string }[] }
      expect(body.customer).toBe(customer.id)
      expect(body.items.map((f) => f.id)).toEqual(customer.findings)
      expect(signed.problems).toEqual([])
    }
  }, 60_000)

  it("refuses Globex's token on Initech's findings, and Initech's on Globex's (403)", async () => {
    const globexToken = tokens.get(GLOBEX.id)!
    const initechToken = tokens.get(INITECH.id)!
    const crossed = await findings(INITECH.id, globexToken)
    expect(crossed.status).toBe(403)
    expect(await crossed.json()).toMatchObject({ error: 'access_denied' })
    expect((await findings(GLOBEX.id, initechToken)).status).toBe(403)
    // Both tokens still work on their own customer.
    expect((await findings(GLOBEX.id, globexToken)).status).toBe(200)
    expect((await findings(INITECH.id, initechToken)).status).toBe(200)
  })

  it("stops accepting Globex's token within a second of revoking its application in Globex's portal", async () => {
    const { portal } = sessions.get(GLOBEX.id)!
    const name = appNames.get(GLOBEX.id)!
    const globexToken = tokens.get(GLOBEX.id)!
    await portal.getByRole('button', { name: 'Revoke application' }).click()
    await portal
      .getByRole('dialog', { name: `Revoke ${name}?` })
      .getByRole('button', { name: 'Revoke now' })
      .click()
    const clicked = performance.now()
    let status = 0
    let elapsedMs = 0
    for (let i = 0; i < 100; i++) {
      status = (await findings(GLOBEX.id, globexToken)).status
      elapsedMs = performance.now() - clicked
      if (status === 401 || elapsedMs > 3000) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(status).toBe(401)
    expect(elapsedMs).toBeLessThan(1000)
    await portal.locator('h1 .badge', { hasText: 'Revoked' }).waitFor()
    // Initech's application is another tenant's: untouched.
    expect((await findings(INITECH.id, tokens.get(INITECH.id)!)).status).toBe(200)
  })

  it('refuses to be framed by an origin it was not configured with, and its CSP names only the vendor', async () => {
    const csp = (await fetch(`${example.tokenmintUrl}/console/`)).headers.get(
      'content-security-policy',
    )
    const ancestors = csp
      ?.split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .find(([name]) => name === 'frame-ancestors')
    expect(ancestors).toEqual(['frame-ancestors', "'self'", example.acmeUrl])

    const other = http.createServer((_request, response) => {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          `<!doctype html><title>Elsewhere</title><iframe id="console" src="${example.tokenmintUrl}/console/"></iframe>`,
        )
    })
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      const refusals: string[] = []
      page.on('console', (message) => {
        if (/frame-ancestors/.test(message.text())) refusals.push(message.text())
      })
      const consoleLoaded = page.waitForResponse((response) =>
        response.url().startsWith(`${example.tokenmintUrl}/console/`),
      )
      await page.goto(otherUrl)
      await consoleLoaded
      await expect.poll(() => refusals.length).toBeGreaterThan(0)
      expect(refusals[0]).toContain(`"frame-ancestors 'self' ${example.acmeUrl}"`)
      const frame = page.frames().find((f) => f !== page.mainFrame())
      // Chromium put its error page in place of the refused document: no console, no script.
      expect(frame?.url()).toBe('chrome-error://chromewebdata/')
      expect(await frame?.locator('#app').count()).toBe(0)
    } finally {
      await context.close()
      await new Promise((resolve) => other.close(resolve))
    }
  })
})
