import { execFile } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

import type { Credentials } from './console-server.js'

const require = createRequire(import.meta.url)
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

/** Debian's chromium, headless; never a downloaded browser. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 30_000,
  })
}

export interface ConsolePage {
  context: BrowserContext
  page: Page
  /** Console messages that report a CSP violation or a script error. */
  problems: string[]
  /** Requests that left for anything but the console's own origin. */
  foreignRequests: string[]
}

export async function openConsole(
  browser: Browser,
  base: string,
  options: { width?: number; height?: number; timezoneId?: string } = {},
): Promise<ConsolePage> {
  const context = await browser.newContext({
    baseURL: base,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    reducedMotion: 'reduce',
    ...(options.timezoneId !== undefined && { timezoneId: options.timezoneId }),
  })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base })
  context.setDefaultTimeout(10_000)
  const page = await context.newPage()
  const problems: string[] = []
  const foreignRequests: string[] = []
  page.on('console', (message) => {
    const text = message.text()
    if (/Content Security Policy|Refused to/i.test(text)) problems.push(text)
  })
  page.on('pageerror', (error) => {
    problems.push(`page error: ${error.message}`)
  })
  page.on('request', (request) => {
    const url = request.url()
    if (!url.startsWith(base) && !url.startsWith('data:') && !url.startsWith('blob:'))
      foreignRequests.push(url)
  })
  return { context, page, problems, foreignRequests }
}

export async function signIn(page: Page, credentials: Credentials): Promise<void> {
  await page.goto('/console/')
  await page.getByLabel('Tenant').fill(credentials.tenant)
  await page.getByLabel('Username').fill(credentials.username)
  await page.getByLabel('Password').fill(credentials.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { level: 1, name: 'OAuth Applications' }).waitFor()
}

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: { target: string[]; html: string }[]
}

/**
 * Runs axe-core on the page and returns the serious and critical violations. The source is
 * evaluated through the DevTools protocol, which the page's CSP (no inline script) allows.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const hasAxe = await page.evaluate(() => 'axe' in window)
  if (!hasAxe) await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }>
        }
      }
    ).axe
    const result = await axe.run(document, { resultTypes: ['violations'] })
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, html: n.html.slice(0, 200) })),
    }))
  })
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

/** Runs a snippet the console showed, in bash, with the secret in CLIENT_SECRET. */
export function runSnippet(command: string, secret: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', command],
      {
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', CLIENT_SECRET: secret },
        timeout: 15_000,
      },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`${error.message}\n${stderr}`))
          return
        }
        try {
          resolve(JSON.parse(stdout) as Record<string, unknown>)
        } catch {
          reject(new Error(`not JSON: ${stdout}`))
        }
      },
    )
  })
}

/** The scopes of the access token in a token response, sorted. */
export function scopesOf(response: Record<string, unknown>): string[] {
  const accessToken = response['access_token']
  if (typeof accessToken !== 'string')
    throw new Error(`no access token in ${JSON.stringify(response)}`)
  const payload = JSON.parse(
    Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'),
  ) as { scope?: string }
  return (payload.scope ?? '')
    .split(' ')
    .filter((s) => s !== '')
    .sort()
}

/**
 * Presses Tab (or Shift+Tab) until the focused element matches, as a keyboard user would;
 * fails after `max` presses. Returns how many presses it took.
 */
export async function tabTo(
  page: Page,
  matches: (element: {
    name: string
    role: string
    tag: string
    id: string
    type: string
  }) => boolean,
  options: { max?: number; backwards?: boolean } = {},
): Promise<number> {
  const max = options.max ?? 80
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press(options.backwards === true ? 'Shift+Tab' : 'Tab')
    const focused = await page.evaluate(() => {
      const el = document.activeElement
      if (el === null) return { name: '', role: '', tag: '', id: '', type: '' }
      const labelled = el.getAttribute('aria-label')
      // Only form controls have labels; other elements answer undefined.
      const labels = (el as Partial<HTMLInputElement>).labels
      const name =
        labelled ??
        (labels !== undefined && labels !== null && labels.length > 0
          ? (labels[0]?.textContent ?? '')
          : el.textContent)
      return {
        name: name.replace(/\s+/g, ' ').trim(),
        role: el.getAttribute('role') ?? '',
        tag: el.tagName.toLowerCase(),
        id: el.id,
        type: (el as HTMLInputElement).type,
      }
    })
    if (matches(focused)) return i
  }
  throw new Error(`focus never reached the element after ${max} presses of Tab`)
}
