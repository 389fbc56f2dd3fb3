// The load generator, in its own process: autocannon against one URL, printing one JSON line.
// Closed loop at a concurrency, or (with a rate) a fixed offered rate over the connections.
import autocannon from 'autocannon'

const [, , url, authorization, connections, seconds, rate, body = 'grant_type=client_credentials'] =
  process.argv
const result = await autocannon({
  url,
  method: 'POST',
  headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
  body,
  connections: Number(connections),
  duration: Number(seconds),
  // A fixed offered rate, spread evenly over the connections: overallRate releases each
  // second's budget in bursts, so its latencies measured the queue behind a burst.
  ...(rate !== undefined && rate !== '0' && { connectionRate: Number(rate) / Number(connections) }),
})
process.stdout.write(
  JSON.stringify({
    rps: result.requests.average,
    total: result.requests.total,
    non2xx: result.non2xx + result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
  }) + '\n',
)
