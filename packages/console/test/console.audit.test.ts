import SQLite from 'better-sqlite3'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  launchBrowser,
  openConsole,
  seriousViolations,
  signIn,
  type ConsolePage,
} from './support/browser.js'
import { startConsoleServer, type ConsoleTestServer } from './support/console-server.js'

describe('console: the audit log proves it is complete (issue 22)', () => {
  let server: ConsoleTestServer
  let browser: Browser
  let tab: ConsolePage | undefined

  beforeAll(async () => {
    // Sinks may reach 127.0.0.1 (nothing listens on the port they name: they keep failing).
    ;[server, browser] = await Promise.all([
      startConsoleServer({ env: { TOKENMINT_OUTBOUND_ALLOW: '127.0.0.1' } }),
      launchBrowser(),
    ])
  })
  afterAll(async () => {
    expect(tab?.problems).toEqual([])
    expect(tab?.foreignRequests).toEqual([])
    await browser.close()
    await server.stop()
  })

  it('shows the latest checkpoint, verifies the chain, and names a record edited in the database', async () => {
    tab = await openConsole(browser, server.base)
    const { page } = tab
    await signIn(page, server.owner)
    await page.goto(`${server.base}/console/audit`)
    const card = page.getByRole('region', { name: 'Tamper evidence' })
    await card.getByText('No signed checkpoint yet').waitFor()

    const checkpoint = await server.server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/audit/checkpoints`,
    )
    const { seq } = (await checkpoint.json()) as { seq: number }
    await page.reload()
    await card.getByText(`Latest signed checkpoint: record #${String(seq)}`).waitFor()

    await card.getByRole('button', { name: 'Verify the log' }).click()
    await card.getByText(/Verified up to #\d+/).waitFor()
    expect(await card.textContent()).toMatch(/nothing changed/)
    expect(await seriousViolations(page)).toEqual([])

    // Someone with the database edits a record: the next check names it.
    const sqlite = new SQLite(server.server.databaseUrl.replace(/^sqlite:/, ''))
    sqlite.pragma('busy_timeout = 5000')
    sqlite.exec(`update audit_events set actor = 'client:nobody' where seq = 2`)
    sqlite.close()
    await card.getByRole('button', { name: 'Verify the log' }).click()
    const alert = card.getByRole('alert')
    await alert.waitFor()
    expect(await alert.textContent()).toContain('The log was altered: it verifies only up to #1')
    expect(await alert.textContent()).toContain(
      'record #2 was changed: its content no longer matches its hash',
    )
    expect(await seriousViolations(page)).toEqual([])
  })

  it("shows each sink's delivery, and a receiver that keeps failing", async () => {
    const { page } = tab ?? (await openConsole(browser, server.base))
    const added = await server.server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/audit/sinks`,
      { kind: 'syslog', url: 'syslog+tls://127.0.0.1:9', start: 'beginning' },
    )
    expect(added.status).toBe(201)
    await page.goto(`${server.base}/console/audit`)
    const sinks = page.getByRole('region', { name: 'Sinks', exact: true })
    const row = sinks.getByRole('row', { name: /syslog\+tls:\/\/127\.0\.0\.1:9/ })
    await row.waitFor()
    for (let i = 0; i < 50 && !/Retrying after/.test((await row.textContent()) ?? ''); i++) {
      await page.waitForTimeout(200)
      await sinks.getByRole('button', { name: 'Refresh' }).click()
    }
    expect(await row.textContent()).toMatch(/Retrying after \d+ failed attempts?: .*127\.0\.0\.1:9/)
    expect(await seriousViolations(page)).toEqual([])
  })
})
