import https from 'node:https'
import type { AddressInfo } from 'node:net'

import type { Browser } from 'playwright-core'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { makeTestCertificate } from '../../server/test/support/certificate.js'
import { temporaryDir } from '../../server/test/support/server.js'
import { launchBrowser, openConsole, seriousViolations, signIn } from './support/browser.js'
import { startConsoleServer, type ConsoleTestServer } from './support/console-server.js'

interface Received {
  headers: Record<string, string>
  body: string
}

describe('console: webhooks', () => {
  let server: ConsoleTestServer
  let browser: Browser
  let receiver: https.Server
  let receiverUrl: string
  const received: Received[] = []

  beforeAll(async () => {
    const { cert, key, certFile } = makeTestCertificate(
      temporaryDir(),
      'tokenmint console webhook test',
      'IP:127.0.0.1',
    )
    receiver = https.createServer({ cert, key }, (req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (body += chunk))
      req.on('end', () => {
        const headers: Record<string, string> = {}
        for (const [name, value] of Object.entries(req.headers))
          if (typeof value === 'string') headers[name] = value
        received.push({ headers, body })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    receiverUrl = `https://127.0.0.1:${String((receiver.address() as AddressInfo).port)}/hooks`
    ;[server, browser] = await Promise.all([
      startConsoleServer({
        env: { TOKENMINT_OUTBOUND_CA_FILE: certFile, TOKENMINT_OUTBOUND_ALLOW: '127.0.0.1' },
      }),
      launchBrowser(),
    ])
  })
  afterAll(async () => {
    await browser.close()
    await server.stop()
    await new Promise((resolve) => receiver.close(resolve))
  })

  it('adds an endpoint, shows its secret once, sends a signed test event and logs the delivery; a viewer only reads', async () => {
    const { page, problems } = await openConsole(browser, server.base)
    await signIn(page, server.owner)
    await page.getByRole('link', { name: 'Webhooks' }).click()
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor()
    // http:// is refused next to the field, with the reason.
    await page.getByLabel('URL').fill('http://127.0.0.1/hooks')
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    await expect
      .poll(() => page.locator('.field-error').textContent(), { timeout: 10_000 })
      .toMatch(/https/)
    await page.getByLabel('URL').fill(receiverUrl)
    await page.getByRole('checkbox', { name: /Application created/ }).check()
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    const secret = (await page.locator('#webhook-secret').textContent()) ?? ''
    expect(secret).toMatch(/^whsec_/)
    expect(await seriousViolations(page)).toEqual([])

    const card = page.locator('section.webhook', { hasText: '127.0.0.1' })
    await card.getByRole('button', { name: 'Send test event' }).click()
    await expect.poll(() => received.length, { timeout: 10_000 }).toBeGreaterThan(0)
    const delivered = received[0]
    if (delivered === undefined) throw new Error('nothing received')
    // The receiver checks it with the reference Standard Webhooks library.
    const payload = new Webhook(secret).verify(delivered.body, delivered.headers) as {
      type: string
    }
    expect(payload.type).toBe('webhook.test')
    await expect
      .poll(
        async () => {
          await card.getByLabel('Deliveries').selectOption('delivered')
          return card.locator('tr[data-status="delivered"]').count()
        },
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0)
    expect(problems).toEqual([])

    const viewer = await server.createAdministrator('viewer')
    const other = await openConsole(browser, server.base)
    await signIn(other.page, viewer)
    await other.page.goto('/console/webhooks')
    await other.page.locator('section.webhook').waitFor()
    expect(await other.page.getByRole('button', { name: 'Send test event' }).count()).toBe(0)
    expect(await other.page.getByRole('button', { name: 'Add endpoint' }).count()).toBe(0)
    expect(await other.page.content()).not.toContain(secret)
  })
})
