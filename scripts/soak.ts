// npm run soak -- --minutes M [--database-url postgres://…] [--rate 100] [--concurrency 8]
//
// Runs the built server (`node packages/server/dist/cli/main.js serve`) under a steady load:
// client-credentials token requests paced at --rate per second over 4 applications with at most
// --concurrency in flight, plus one admin client that creates, updates, rotates, revokes and
// deletes applications in a loop (100 ms between calls). Every minute it prints the server
// process's RSS (/proc/<pid>/status VmRSS), open descriptors (/proc/<pid>/fd), token latency
// p50/p99 in that minute, tokens and errors. --minutes may be fractional (0.5 for a quick check).
//
// Growth rule. RSS and descriptors are sampled every 5 s (every run/24, at least 1 s, in runs
// under 2 minutes). The first minute is warm-up; the baseline is minutes 2–3 and the end is the
// last minute. In runs under 4 minutes the quarters stand in: warm-up, baseline, –, end.
// The run fails (exit 1) if
//   - the median RSS of the end is more than 20% above the median RSS of the baseline,
//   - the most descriptors open in the end exceed the most in the baseline by more than 16
//     (sockets and database files are bounded by the concurrency; a leak only grows),
//   - more than 1% of token requests failed, the server died, or an admin change the server
//     acknowledged is not visible at the end.
// Traffic goes to 127.0.0.1 only; the server, temp dir and Postgres schema are removed on exit.
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'

import { AdminChurn } from '../packages/server/test/support/admin-churn.js'
import { freshPostgresSchema } from '../packages/server/test/support/databases.js'
import {
  adminClient,
  processFootprint,
  removeScratchDir,
  requestToken,
  savedAdminCredentials,
  scratchDir,
  startServe,
  type Credentials,
  type ServeProcess,
} from '../packages/server/test/support/serve-process.js'
import { freePort } from '../packages/server/test/support/server.js'

const TENANT = 'acme'
const RSS_GROWTH_LIMIT = 0.2
const FD_GROWTH_LIMIT = 16
const ERROR_RATE_LIMIT = 0.01

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '8' },
    'database-url': { type: 'string' },
  },
})
const minutes = Number(values.minutes)
const rate = Number(values.rate)
const concurrency = Number(values.concurrency)
const databaseUrl = values['database-url']
const usage = [
  !(minutes > 0 && minutes <= 24 * 60) && '--minutes must be a number above 0, at most 1440',
  !(Number.isInteger(rate) && rate >= 1 && rate <= 10_000) && '--rate must be 1 to 10000',
  !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 256) &&
    '--concurrency must be 1 to 256',
  databaseUrl !== undefined &&
    !/^postgres(ql)?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(
      databaseUrl.replace(/\/\/[^@/]*@/, '//'),
    ) &&
    '--database-url must be a postgres:// URL on 127.0.0.1',
].filter(Boolean)
if (usage.length > 0) {
  console.error(`error: ${usage.join('; ')}`)
  process.exit(2)
}

const interrupt = new AbortController()
let interruptedAt = 0
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    // npm and tsx relay the terminal's signal too: only a later, second one forces the exit.
    if (interrupt.signal.aborted && Date.now() - interruptedAt > 1000) process.exit(130)
    if (interrupt.signal.aborted) return
    interruptedAt = Date.now()
    console.error(`\n${signal}: stopping after cleanup (again to force)`)
    interrupt.abort()
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2
}
const percentile = (sorted: number[], q: number) =>
  sorted.length === 0
    ? NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN)

const runMs = minutes * 60_000
const sampleMs = runMs >= 120_000 ? 5000 : Math.max(1000, runMs / 24)
const windows =
  runMs >= 240_000
    ? { baseline: [60_000, 180_000], end: [runMs - 60_000, runMs] }
    : { baseline: [runMs / 4, runMs / 2], end: [(runMs * 3) / 4, runMs] }

const dir = scratchDir('tokenmint-soak-')
const postgres = databaseUrl === undefined ? undefined : await freshPostgresSchema(databaseUrl)
let server: ServeProcess | undefined
let failures: string[] = []
try {
  const serveOptions = {
    dataDir: path.join(dir, 'data'),
    port: await freePort(),
    tenant: TENANT,
    ...(postgres !== undefined && { databaseUrl: postgres.url }),
    env: {
      TOKENMINT_PROFILE: path.join(dir, 'profile.json'),
      TOKENMINT_METRICS_LISTEN: 'off',
      TOKENMINT_TOKEN_RATE_LIMIT: '10000000',
    },
  }
  console.log(
    `soak: ${minutes} min at ${rate} tokens/s (≤ ${concurrency} in flight) plus admin churn on ${postgres === undefined ? 'SQLite' : `PostgreSQL schema ${postgres.schema}`}`,
  )
  const live = await startServe(serveOptions)
  server = live
  console.log(`server pid ${live.pid} (${live.url})`)
  const tokenEndpoint = `${live.url}/t/${TENANT}/oauth/token`
  const admin = adminClient(
    () => live.url,
    TENANT,
    savedAdminCredentials(serveOptions.env.TOKENMINT_PROFILE, TENANT),
  )
  const apiBody = { audience: 'https://soak.example.com', name: 'Soak API', scopes: ['read'] }
  const apiResponse = await admin('POST', `/admin/v1/tenants/${TENANT}/apis`, apiBody)
  if (apiResponse.status !== 201) throw new Error(`create API: ${apiResponse.status}`)
  const api = (await apiResponse.json()) as { id: string; audience: string; scopes: string[] }
  const clients: Credentials[] = []
  for (let i = 0; i < 4; i++) {
    const response = await admin('POST', `/admin/v1/tenants/${TENANT}/applications`, {
      name: `soak client ${i}`,
      grants: [{ audience: api.audience, scopes: ['read'] }],
    })
    if (response.status !== 201) throw new Error(`create application: ${response.status}`)
    const created = (await response.json()) as { client_id: string; client_secret: string }
    clients.push({ clientId: created.client_id, clientSecret: created.client_secret })
  }
  const churn = new AdminChurn(admin, {
    tenant: TENANT,
    api,
    createsApis: false,
    pauseMs: 100,
    forgetsDeleted: true,
  })
  churn.track('apis', api.id, { exists: true, name: apiBody.name }, 'create')

  const status = { hasServerDied: false }
  const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
    status.hasServerDied = true
    failures.push(`the server exited (${signal ?? String(code)})`)
  }
  live.child.once('exit', onExit)
  const startedAt = performance.now()
  const elapsed = () => performance.now() - startedAt
  const isOver = () => interrupt.signal.aborted || status.hasServerDied || elapsed() >= runMs

  // One window per minute; the token workers add to the current one.
  let window = { latenciesMs: [] as number[], tokens: 0, errors: new Map<string, number>() }
  let tokens = 0
  let errors = 0
  let ticket = 0
  const intervalMs = 1000 / rate
  const worker = async () => {
    // Bounded by the run's length (isOver) and by a request count far above any rate × time.
    for (let i = 0; i < 100_000_000 && !isOver(); i++) {
      let slot = ticket++
      // After a stall, drop the missed slots rather than send them in a burst.
      if (slot * intervalMs < elapsed() - 1000) {
        ticket = Math.ceil(elapsed() / intervalMs)
        slot = ticket++
      }
      await sleep(slot * intervalMs - elapsed())
      if (isOver()) return
      const client = clients[slot % clients.length] as Credentials
      const sentAt = performance.now()
      const outcome = await requestToken(tokenEndpoint, client, api.audience).then(
        ({ status }) => (status === 200 ? 'ok' : String(status)),
        (error: unknown) => (error instanceof Error ? error.name : 'error'),
      )
      if (outcome === 'ok') {
        window.latenciesMs.push(performance.now() - sentAt)
        window.tokens++
        tokens++
      } else {
        window.errors.set(outcome, (window.errors.get(outcome) ?? 0) + 1)
        errors++
      }
    }
  }
  const load = Array.from({ length: concurrency }, worker)
  const churning = churn.run(isOver, 'soak')

  const samples: { atMs: number; rssKiB: number; fds: number }[] = []
  const sample = () => {
    if (!status.hasServerDied) samples.push({ atMs: elapsed(), ...processFootprint(live.pid) })
  }
  sample()
  let windowStart = 0
  let minute = 0
  let changesBefore = churn.acknowledged
  const report = (windowEnd: number) => {
    minute++
    const latest = samples.at(-1)
    const sorted = window.latenciesMs.sort((a, b) => a - b)
    const errorText = [...window.errors].map(([kind, n]) => `${kind} ×${n}`).join(', ')
    console.log(
      `minute ${minute} (${(windowStart / 1000).toFixed(0)}–${(windowEnd / 1000).toFixed(0)} s): RSS ${latest === undefined ? '?' : mib(latest.rssKiB)}, fds ${latest?.fds ?? '?'}, p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms, tokens ${window.tokens}, errors ${[...window.errors.values()].reduce((a, b) => a + b, 0)}${errorText === '' ? '' : ` (${errorText})`}, admin changes ${churn.acknowledged - changesBefore}`,
    )
    window = { latenciesMs: [], tokens: 0, errors: new Map() }
    windowStart = windowEnd
    changesBefore = churn.acknowledged
  }
  // Bounded: one step per sample interval until the run is over.
  for (let step = 1; !isOver(); step++) {
    await sleep(step * sampleMs - elapsed())
    if (status.hasServerDied) break
    sample()
    if (elapsed() - windowStart >= 60_000 - sampleMs / 2 && elapsed() < runMs - sampleMs / 2)
      report(elapsed())
  }
  await Promise.all([...load, churning])
  sample()
  report(elapsed())

  const lostChanges = status.hasServerDied ? [] : await churn.verify('all')
  failures.push(...lostChanges.map((line) => `lost change: ${line}`))
  const within = ([from, to]: number[]) =>
    samples.filter((s) => s.atMs >= (from ?? 0) && s.atMs <= (to ?? Infinity))
  const baseline = within(windows.baseline)
  const end = within(windows.end)
  const baselineRss = median(baseline.map((s) => s.rssKiB))
  const endRss = median(end.map((s) => s.rssKiB))
  const baselineFds = Math.max(...baseline.map((s) => s.fds))
  const endFds = Math.max(...end.map((s) => s.fds))
  if (interrupt.signal.aborted) failures.push('interrupted')
  if (baseline.length === 0 || end.length === 0) failures.push('too few samples to judge growth')
  if (endRss > baselineRss * (1 + RSS_GROWTH_LIMIT))
    failures.push(
      `RSS grew: end median ${mib(endRss)} > baseline median ${mib(baselineRss)} + ${RSS_GROWTH_LIMIT * 100}%`,
    )
  if (endFds > baselineFds + FD_GROWTH_LIMIT)
    failures.push(`descriptors grew: ${endFds} at the end > ${baselineFds} + ${FD_GROWTH_LIMIT}`)
  if (errors > (tokens + errors) * ERROR_RATE_LIMIT)
    failures.push(`${errors} of ${tokens + errors} token requests failed (> 1%)`)
  if (churn.errors.length > 0) console.log(`admin calls refused: ${churn.errors.join('; ')}`)

  live.child.off('exit', onExit)
  const first = samples[0]
  const last = samples.at(-1)
  console.log(
    `summary: ${(elapsed() / 60_000).toFixed(2)} min, RSS start ${first === undefined ? '?' : mib(first.rssKiB)} end ${last === undefined ? '?' : mib(last.rssKiB)} (baseline median ${mib(baselineRss)}, end median ${mib(endRss)}), fds start ${first?.fds ?? '?'} end ${last?.fds ?? '?'} (baseline max ${baselineFds}, end max ${endFds}), tokens ${tokens}, errors ${errors}, admin changes ${churn.acknowledged}, lost changes ${lostChanges.length}: ${failures.length === 0 ? 'PASS' : `FAIL (${failures.join('; ')})`}`,
  )
} catch (error) {
  failures = [error instanceof Error ? error.message : String(error)]
  console.error(`error: ${failures[0] ?? ''}`)
  if (server !== undefined) console.error(`--- server output ---\n${server.output()}`)
} finally {
  await server?.stop()
  await postgres?.drop()
  removeScratchDir(dir)
}
process.exitCode = failures.length === 0 ? 0 : 1
