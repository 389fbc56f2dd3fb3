// Measures what the outside probe measured: whether a refused client authentication takes
// longer for a client id that was never seen than for a known id with a wrong secret.
// Not a test (the project never asserts timings); run it by hand and compare the medians:
//   npx tsx packages/server/test/support/measure-client-auth-timing.ts [samples] [options]
// Over HTTP (default) the server runs in a child process, as it would behind a network, so work
// it defers until after a response (audit writes) is not billed to the request that caused it.
//   --alternate  sends the kinds in turn, in a random order per pair (cancels drift better,
//                but bills deferred work to the next request); default: chunks of 100 each.
//   --direct     calls the token endpoint in process, deferred work drained off the clock:
//                the critical path alone, without HTTP and its noise.
//   --control    unknown ids against unknown ids: the method's own noise at the moment.
import { fork } from 'node:child_process'
import { setImmediate as nextTurn } from 'node:timers/promises'

import { generateClientId, generateClientSecret } from '../../src/crypto/secret-format.js'
import { createApplication } from './fixtures.js'
import { startServer, type TestServer } from './server.js'

interface Ready {
  tokenEndpoint: string
  clientId: string
}

async function startMeasuredServer(): Promise<{ server: TestServer; clientId: string }> {
  // A high failure limit: the probe measures authentication, not the throttle. TOKENMINT_*
  // variables set for this script reach the server (e.g. TOKENMINT_AUDIT_TOKENS=off).
  const server = await startServer({
    env: {
      TOKENMINT_FAILED_AUTH_LIMIT: '1000000',
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          (entry): entry is [string, string] =>
            entry[0].startsWith('TOKENMINT_') && entry[1] !== undefined,
        ),
      ),
    },
  })
  return { server, clientId: (await createApplication(server)).clientId }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

function elapsedMicros(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1000
}

/**
 * Busy-waits 0–1 ms: timers fire on the event loop's 1 ms grid, so without this the phase at
 * which a sample starts would depend on what the previous sample left behind (an audit drain).
 */
function randomPhase(): void {
  const until = process.hrtime.bigint() + BigInt(Math.floor(Math.random() * 1_000_000))
  while (process.hrtime.bigint() < until) {
    // spin
  }
}

if (process.argv[2] === 'serve') {
  const { server, clientId } = await startMeasuredServer()
  process.send?.({ tokenEndpoint: server.tokenEndpoint, clientId } satisfies Ready)
  process.once('disconnect', () => void server.stop())
} else {
  const samples = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 3000)
  const alternate = process.argv.includes('--alternate')
  const direct = process.argv.includes('--direct')
  const control = process.argv.includes('--control')

  let knownClientId: string
  let refusalMicros: (clientId: string) => Promise<number>
  let stop: () => Promise<void>
  if (direct) {
    const { server, clientId } = await startMeasuredServer()
    knownClientId = clientId
    refusalMicros = async (id) => {
      const input = {
        tenantId: server.tenant,
        parameters: {
          grant_type: 'client_credentials',
          client_id: id,
          client_secret: generateClientSecret(),
        },
        authorization: undefined,
        ip: '127.0.0.1',
        url: server.tokenEndpoint,
      }
      randomPhase()
      const started = process.hrtime.bigint()
      const outcome = await server.services.tokenEndpoint(input).catch((error: unknown) => error)
      const micros = elapsedMicros(started)
      if (!(outcome instanceof Error)) throw new Error('expected a refusal')
      await server.services.audit.drain()
      await nextTurn()
      return micros
    }
    stop = () => server.stop()
  } else {
    const child = fork(import.meta.filename, ['serve'], { stdio: 'inherit' })
    const ready = await new Promise<Ready>((resolve) => child.once('message', resolve))
    knownClientId = ready.clientId
    refusalMicros = async (id) => {
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: id,
        client_secret: generateClientSecret(),
      }).toString()
      randomPhase()
      const started = process.hrtime.bigint()
      const response = await fetch(ready.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      })
      await response.arrayBuffer()
      const micros = elapsedMicros(started)
      if (response.status !== 401) throw new Error(`expected 401, got ${response.status}`)
      return micros
    }
    stop = () => {
      child.disconnect()
      return Promise.resolve()
    }
  }

  const knownId = () => (control ? generateClientId() : knownClientId)
  const unknown: number[] = []
  const wrongSecret: number[] = []
  const chunk = 100
  const run = async (kind: 'unknown' | 'known', into: number[] | undefined) => {
    for (let i = 0; i < chunk; i++) {
      const micros = await refusalMicros(kind === 'unknown' ? generateClientId() : knownId())
      into?.push(micros)
    }
  }
  // Warm-up, then the kinds in turn, so drift (GC, other processes) falls on both alike.
  await run('unknown', undefined)
  await run('known', undefined)
  if (alternate) {
    for (let i = 0; i < samples; i++) {
      if (Math.random() < 0.5) {
        unknown.push(await refusalMicros(generateClientId()))
        wrongSecret.push(await refusalMicros(knownId()))
      } else {
        wrongSecret.push(await refusalMicros(knownId()))
        unknown.push(await refusalMicros(generateClientId()))
      }
    }
  } else {
    // Chunks in alternating order: deferred work spills over only at chunk edges.
    for (let round = 0; round < samples / chunk; round++) {
      if (round % 2 === 0) {
        await run('unknown', unknown)
        await run('known', wrongSecret)
      } else {
        await run('known', wrongSecret)
        await run('unknown', unknown)
      }
    }
  }
  await stop()

  const unknownMedian = median(unknown)
  const wrongSecretMedian = median(wrongSecret)
  const mode = [direct ? 'direct' : 'HTTP', alternate ? 'alternating' : 'chunks']
  console.log(`samples each:               ${unknown.length} (${mode.join(', ')})`)
  console.log(`unknown client id:          ${unknownMedian.toFixed(1)} µs (median)`)
  console.log(`known id, wrong secret:     ${wrongSecretMedian.toFixed(1)} µs (median)`)
  console.log(`difference (unknown−known): ${(unknownMedian - wrongSecretMedian).toFixed(1)} µs`)
  // Sample i of each kind were sent next to each other (alternating) or in the same round.
  const paired = median(unknown.map((micros, i) => micros - (wrongSecret[i] ?? NaN)))
  console.log(`median of paired differences: ${paired.toFixed(1)} µs`)
  const quantiles = (values: number[]) => {
    const sorted = [...values].sort((x, y) => x - y)
    return [0.1, 0.25, 0.75, 0.9]
      .map((q) => (sorted[Math.floor(sorted.length * q)] ?? NaN).toFixed(0))
      .join(' / ')
  }
  console.log(`p10/p25/p75/p90 unknown:    ${quantiles(unknown)} µs`)
  console.log(`p10/p25/p75/p90 known:      ${quantiles(wrongSecret)} µs`)
  if (control) console.log('(control: both series are unknown client ids)')
}
