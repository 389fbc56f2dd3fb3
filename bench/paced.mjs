// The paced load generator, in its own process: a fixed offered rate, printing one JSON line.
//
// Written by hand because autocannon's overallRate releases each second's budget in bursts, so
// its latency at "half the peak" measured the queue behind a burst rather than the server.
// Here requests leave on an even schedule (checked every millisecond) over up to `connections`
// keep-alive sockets, and each latency is measured from the request's scheduled time, so a
// stalled server is not hidden by requests that were never sent (coordinated omission).
import http from 'node:http'

const [, , url, authorization, connections, seconds, rate, body = 'grant_type=client_credentials'] =
  process.argv
const target = new URL(url)
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connections) })
const intervalMs = 1000 / Number(rate)
const durationMs = Number(seconds) * 1000
const latencies = []
let non2xx = 0
let sent = 0
let done = 0

function fire(scheduledAt) {
  const request = http.request(
    {
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      agent,
      headers: {
        authorization,
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
      },
    },
    (response) => {
      response.resume()
      response.on('end', () => {
        latencies.push(performance.now() - scheduledAt)
        if (response.statusCode < 200 || response.statusCode >= 300) non2xx++
        done++
      })
    },
  )
  request.on('error', () => {
    non2xx++
    done++
  })
  request.end(body)
}

const started = performance.now()
await new Promise((resolve) => {
  const timer = setInterval(() => {
    const elapsed = performance.now() - started
    const due = Math.min(Math.floor(elapsed / intervalMs), Math.floor(durationMs / intervalMs))
    while (sent < due) fire(started + sent++ * intervalMs)
    if (elapsed >= durationMs) {
      clearInterval(timer)
      resolve()
    }
  }, 1)
})
// Bounded wait for the requests still in flight.
for (let i = 0; i < 500 && done < sent; i++) await new Promise((r) => setTimeout(r, 10))
const elapsedS = (performance.now() - started) / 1000
latencies.sort((a, b) => a - b)
const at = (q) =>
  Math.round(
    (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 100,
  ) / 100
process.stdout.write(
  JSON.stringify({
    rps: done / elapsedS,
    total: done,
    non2xx: non2xx + (sent - done),
    p50: at(0.5),
    p99: at(0.99),
    max: Math.round((latencies.at(-1) ?? 0) * 100) / 100,
  }) + '\n',
)
agent.destroy()
process.exit(0)
