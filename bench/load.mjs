// The load generator, in its own process, printing one JSON line. Two modes:
// - closed loop at a concurrency (rate 0): autocannon keeps that many requests in flight;
// - open loop at a fixed offered rate: the paced loop below.
//
// Why a hand-written paced loop: autocannon's rate options (`overallRate`, `connectionRate`)
// let each connection send its whole per-second budget back to back at the start of every
// second and then sit idle, so every second began with a burst of rate-many requests and the
// latencies measured the queue behind that burst (p99 ~30 ms even for a bare reference server
// at a third of its capacity). Here request i is sent at start + i/rate over a keep-alive pool
// (undici), and its latency is counted from that scheduled time, not from when a connection
// became free: a server that stalls is charged for every request that waited behind the stall
// (no coordinated omission).
import fs from 'node:fs'

import autocannon from 'autocannon'
import { Pool } from 'undici'

const [
  ,
  ,
  url,
  authorization,
  connections,
  seconds,
  rate = '0',
  body = 'grant_type=client_credentials',
  amount = '0',
] = process.argv
const headers = { authorization, 'content-type': 'application/x-www-form-urlencoded' }
// BENCH_VARIANTS: a file of JSON lines, each `{ headers, body }` for one request, used in turn
// (closed loop only). A signed client assertion or DPoP proof is accepted once, so each request
// needs its own; they are signed before the run, so the generator's cost is not in it.
const variants = process.env.BENCH_VARIANTS
  ? fs
      .readFileSync(process.env.BENCH_VARIANTS, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line))
  : undefined
let nextVariant = 0

const result =
  Number(rate) > 0
    ? await paced(Number(rate), Number(seconds), Number(connections))
    : await closedLoop()
process.stdout.write(JSON.stringify(result) + '\n')

async function closedLoop() {
  const out = await autocannon({
    url,
    method: 'POST',
    headers,
    body,
    ...(variants !== undefined && {
      requests: [
        {
          setupRequest: (request) => {
            const variant = variants[nextVariant++ % variants.length]
            // A null header is one the variant takes away (no Basic with an assertion).
            const merged = { ...headers, ...variant.headers }
            for (const name of Object.keys(merged)) if (merged[name] === null) delete merged[name]
            return { ...request, headers: merged, body: variant.body ?? body }
          },
        },
      ],
    }),
    connections: Number(connections),
    // With an amount the run ends after that many requests (the long run before reading RSS).
    ...(Number(amount) > 0 ? { amount: Number(amount) } : { duration: Number(seconds) }),
  })
  return {
    rps: out.requests.average,
    total: out.requests.total,
    non2xx: out.non2xx + out.errors + out.timeouts,
    p50: out.latency.p50,
    p99: out.latency.p99,
    max: out.latency.max,
  }
}

async function paced(perSecond, durationSeconds, poolSize) {
  const target = new URL(url)
  const pool = new Pool(target.origin, { connections: poolSize, pipelining: 1 })
  // Not measured: the first two seconds open the connections and compile both sides' code
  // paths, and their requests wait on that rather than on the server's steady state.
  const warmUp = await pacedRun(pool, target, perSecond, 2)
  const result = await pacedRun(pool, target, perSecond, durationSeconds)
  await pool.destroy()
  // The server's CPU is read around the whole run, so the caller counts these tokens too.
  return { ...result, warmUpOk: warmUp.total - warmUp.non2xx }
}

async function pacedRun(pool, target, perSecond, durationSeconds) {
  const total = Math.round(perSecond * durationSeconds)
  const latencies = new Float64Array(total)
  const intervalMs = 1000 / perSecond
  let sent = 0
  let done = 0
  let failed = 0
  const started = performance.now() + 20
  let finish
  const finished = new Promise((resolve) => (finish = resolve))

  const send = (scheduledAt) => {
    pool
      .request({ path: target.pathname, method: 'POST', headers, body })
      .then(async (response) => {
        await response.body.dump()
        if (response.statusCode !== 200) failed++
      })
      .catch(() => failed++)
      .finally(() => {
        latencies[done] = performance.now() - scheduledAt
        if (++done === total) finish()
      })
  }
  // Timers fire at ~1 ms granularity; each tick sends every request whose time has come.
  const tick = () => {
    const now = performance.now()
    while (sent < total && started + sent * intervalMs <= now) {
      send(started + sent * intervalMs)
      sent++
    }
    if (sent < total) setTimeout(tick, Math.max(0, started + sent * intervalMs - now))
  }
  setTimeout(tick, 20)
  // Bounded: a server that stops answering ends the run after the duration plus 30 s.
  const deadline = setTimeout(finish, (durationSeconds + 30) * 1000)
  await finished
  clearTimeout(deadline)
  const elapsedS = (performance.now() - started) / 1000
  const sorted = latencies.slice(0, done).sort()
  const at = (q) =>
    Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1))
  return {
    rps: done / elapsedS,
    total: done,
    non2xx: failed + (total - done),
    p50: at(0.5),
    p99: at(0.99),
    max: Number(sorted[sorted.length - 1].toFixed(1)),
  }
}
