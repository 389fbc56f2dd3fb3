import fs from 'node:fs'

import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startServer, type TestServer } from '../support/server.js'

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

/** Every same-origin script and stylesheet a page loads. */
function assetsOf(html: string, base: string): URL[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"/g)]
    .map((match) => new URL(match[1]!, base))
    .filter((url) => /\.(?:js|css)$/.test(url.pathname))
}

describe('the admin API docs page and the root address', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server.stop())

  it('renders the OpenAPI document at /admin/v1/docs, every asset from this server', async () => {
    const response = await fetch(`${server.url}/admin/v1/docs`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/html')
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('upgrade-insecure-requests')
    const html = await response.text()
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).not.toMatch(/<script>[^<]/) // no inline script: the CSP would refuse it

    const assets = assetsOf(html, `${server.url}/admin/v1/docs/`)
    expect(assets.map((url) => url.pathname)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/swagger-ui-bundle\.js$/),
        expect.stringMatching(/swagger-initializer\.js$/),
        expect.stringMatching(/swagger-ui\.css$/),
      ]),
    )
    for (const asset of assets) {
      expect(asset.origin).toBe(server.url)
      const loaded = await fetch(asset)
      expect(loaded.status, asset.pathname).toBe(200)
      expect(loaded.headers.get('content-security-policy')).toBe(csp)
    }
  })

  it('points the page at the admin API document, which does not list the docs routes', async () => {
    const initializer = await fetch(`${server.url}/admin/v1/docs/static/swagger-initializer.js`)
    expect(initializer.status).toBe(200)
    const script = await initializer.text()
    expect(script).toContain("url: resolveUrl('./json')")
    // No call to the public validator service.
    expect(script).toContain('"validatorUrl":null')
    const rendered = await fetch(`${server.url}/admin/v1/docs/json`)
    expect(rendered.status).toBe(200)
    const published = await fetch(`${server.url}/admin/v1/openapi.json`)
    const spec = (await published.json()) as {
      info: { title: string }
      paths: Record<string, unknown>
    }
    expect(await rendered.json()).toEqual(spec)
    expect(spec.info.title).toBe('Tokenmint Admin API')
    expect(Object.keys(spec.paths)).toContain('/admin/v1/tenants')
    expect(Object.keys(spec.paths).filter((p) => p.startsWith('/admin/v1/docs'))).toEqual([])
  })

  it.skipIf(!fs.existsSync(CHROMIUM))(
    'draws the operations in a browser, with no CSP refusal and no request elsewhere',
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
        timeout: 30_000,
      })
      try {
        const page = await browser.newPage()
        const problems: string[] = []
        const foreign: string[] = []
        page.on('console', (message) => {
          if (/Content Security Policy|Refused to/i.test(message.text()))
            problems.push(message.text())
        })
        page.on('pageerror', (error) => problems.push(error.message))
        page.on('request', (request) => {
          if (!/^(data|blob):/.test(request.url()) && !request.url().startsWith(server.url))
            foreign.push(request.url())
        })
        await page.goto(`${server.url}/admin/v1/docs`)
        await page.locator('.swagger-ui .info .title').getByText('Tokenmint Admin API').waitFor()
        await page
          .locator('.opblock-summary-path', { hasText: '/admin/v1/tenants' })
          .first()
          .waitFor()
        expect(problems).toEqual([])
        expect(foreign).toEqual([])
      } finally {
        await browser.close()
      }
    },
  )

  it('redirects / to the console', async () => {
    const response = await fetch(`${server.url}/`, { redirect: 'manual' })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/console/')
    expect((await fetch(`${server.url}/console/`)).status).toBe(200)
  })
})
