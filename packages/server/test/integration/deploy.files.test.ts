import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'

import { parse } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { basic, postForm } from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'

const run = promisify(execFile)
const DEPLOY = path.resolve(import.meta.dirname, '../../../../deploy')
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((file) =>
  fs.existsSync(file),
)

/** The metric families a PromQL expression reads (histogram series named by their family). */
function metricsIn(expression: string): string[] {
  return [...expression.matchAll(/\btokenmint_[a-z0-9_]+/g)].map((match) =>
    match[0].replace(/_(bucket|sum|count)$/, ''),
  )
}

interface Panel {
  title: string
  targets?: { expr: string }[]
  panels?: Panel[]
}

describe('deploy/: the alert rules and the dashboard read metrics the server serves', () => {
  let server: TestServer
  let families: Set<string>

  beforeAll(async () => {
    server = await startServer()
    // One issued and one refused token, so every labelled family has a series.
    const token = await server.adminToken()
    expect(token).toBeTruthy()
    await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic(server.admin.clientId, 'tms_wrong') },
    )
    const text = await (await fetch(`${server.metricsUrl!}/metrics`)).text()
    families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!))
  })
  afterAll(() => server.stop())

  it('alerts only on metrics that exist', () => {
    const rules = parse(
      fs.readFileSync(path.join(DEPLOY, 'prometheus/tokenmint-alerts.yml'), 'utf8'),
    ) as { groups: { rules: { alert: string; expr: string }[] }[] }
    const used = rules.groups.flatMap((group) =>
      group.rules.map((rule) => ({ name: rule.alert, metrics: metricsIn(rule.expr) })),
    )
    expect(used.length).toBeGreaterThan(10)
    for (const rule of used) {
      expect(
        rule.metrics.filter((metric) => !families.has(metric)),
        rule.name,
      ).toEqual([])
    }
    expect(used.flatMap((rule) => rule.metrics)).toEqual(
      expect.arrayContaining([
        'tokenmint_storage_up',
        'tokenmint_tokens_refused_total',
        'tokenmint_token_request_duration_seconds',
      ]),
    )
  })

  it('draws only metrics that exist, on a dashboard Grafana can import', () => {
    const dashboard = JSON.parse(
      fs.readFileSync(path.join(DEPLOY, 'grafana/tokenmint.json'), 'utf8'),
    ) as { uid: string; title: string; panels: Panel[] }
    expect(dashboard.uid).toBe('tokenmint')
    const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])])
    const drawn = panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({
        title: panel.title,
        expr: target.expr,
        metrics: metricsIn(target.expr),
      })),
    )
    expect(drawn.length).toBeGreaterThan(20)
    for (const target of drawn) {
      // Prometheus's own `up` aside, every query reads a Tokenmint metric.
      expect(target.metrics.length > 0 || /^count\(up\{/.test(target.expr), target.title).toBe(true)
      expect(
        target.metrics.filter((metric) => !families.has(metric)),
        target.title,
      ).toEqual([])
    }
  })

  it.skipIf(PROMTOOL === undefined)('passes promtool check rules and its rule tests', async () => {
    const cwd = path.join(DEPLOY, 'prometheus')
    const checked = await run(PROMTOOL!, ['check', 'rules', 'tokenmint-alerts.yml'], { cwd })
    expect(checked.stdout).toContain('SUCCESS')
    const tested = await run(PROMTOOL!, ['test', 'rules', 'tokenmint-alerts.test.yml'], { cwd })
    expect(tested.stdout).toContain('SUCCESS')
  })
})

const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((file) =>
  fs.existsSync(file),
)

describe('deploy/systemd/tokenmint.service', () => {
  const unit = fs.readFileSync(path.join(DEPLOY, 'systemd/tokenmint.service'), 'utf8')
  const settings = new Set(unit.split('\n').filter((line) => /^[A-Z]\w+=/.test(line)))

  it('runs unprivileged, sandboxed, with its data dir the only writable place', () => {
    for (const setting of [
      'DynamicUser=yes',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'ReadWritePaths=/var/lib/tokenmint',
      'Environment=TOKENMINT_DATA_DIR=/var/lib/tokenmint',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
      'SystemCallFilter=@system-service',
      'EnvironmentFile=/etc/tokenmint/tokenmint.env',
      'KillSignal=SIGTERM',
    ]) {
      expect(settings.has(setting), setting).toBe(true)
    }
    // V8's JIT needs writable-then-executable memory: Node.js aborts under it.
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute=yes/m)
  })

  it.skipIf(SYSTEMD_ANALYZE === undefined)('passes systemd-analyze verify', async () => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env['TMPDIR'] ?? '/tmp'), 'unit-'))
    try {
      // The unit names the installed bin, absent here: point ExecStart at node itself.
      const file = path.join(dir, 'tokenmint.service')
      fs.writeFileSync(
        file,
        unit.replace(/^ExecStart=.*$/m, `ExecStart=${process.execPath} --version`),
      )
      const verified = await run(SYSTEMD_ANALYZE!, ['verify', file])
      expect(verified.stderr).toBe('')
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
