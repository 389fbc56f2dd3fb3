import path from 'node:path'

import { AdminChurn } from './admin-churn.js'
import { freshPostgresSchema } from './databases.js'
import {
  adminClient,
  auditedJtis,
  removeScratchDir,
  requestToken,
  savedAdminCredentials,
  scratchDir,
  startServe,
  type Credentials,
  type ServeProcess,
} from './serve-process.js'
import { freePort } from './server.js'

export interface CrashOptions {
  rounds: number
  /** A PostgreSQL database to run on, in a fresh schema dropped at the end; unset: SQLite. */
  databaseUrl?: string
  /** Concurrent token requests, spread over `tokenClients` applications. */
  concurrency?: number
  tokenClients?: number
  /** Each round kills the server this long (uniformly random, ms) after the load starts. */
  killAfterMs?: [number, number]
  /** …and not before this many tokens reached the clients in the round (waits at most 10 s). */
  minTokensBeforeKill?: number
  log?: (line: string) => void
  /** Ends the rounds early (Ctrl-C); the server is stopped and everything removed. */
  signal?: AbortSignal
}

export interface RoundReport {
  round: number
  pid: number
  killedAfterMs: number
  tokens: number
  changes: number
  lostJtis: string[]
  lostChanges: string[]
}

export interface CrashReport {
  database: string
  rounds: RoundReport[]
  tokens: number
  changes: number
  /** From the final check of every round's tokens and every tracked object. */
  lostJtis: string[]
  lostChanges: string[]
  /** Admin calls refused with an unexpected status (not losses, but worth a look). */
  adminErrors: string[]
  /** Token clients refused a token after the last restart. */
  refusedAfterRestart: string[]
}

const TENANT = 'acme'
const countOf = (jtis: Map<string, string[]>) =>
  [...jtis.values()].reduce((sum, list) => sum + list.length, 0)
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })

/**
 * Rounds of: token load from several clients plus admin churn, `kill -9` of the real `serve`
 * process at a random moment, restart on the same data. After each restart every token a
 * client received must have its `token.issued` audit record, and every admin change the server
 * acknowledged must be visible. A final pass checks all rounds again.
 */
export async function runCrashRounds(options: CrashOptions): Promise<CrashReport> {
  const log = options.log ?? (() => undefined)
  const [killMin, killMax] = options.killAfterMs ?? [300, 1500]
  const concurrency = options.concurrency ?? 8
  // A function: TypeScript would otherwise keep the narrowing from the loop's condition.
  const isAborted = () => options.signal?.aborted === true
  const dir = scratchDir('tokenmint-crash-')
  const postgres =
    options.databaseUrl === undefined ? undefined : await freshPostgresSchema(options.databaseUrl)
  let server: ServeProcess | undefined
  try {
    const serveOptions = {
      dataDir: path.join(dir, 'data'),
      port: await freePort(),
      tenant: TENANT,
      ...(postgres !== undefined && { databaseUrl: postgres.url }),
      env: {
        TOKENMINT_PROFILE: path.join(dir, 'profile.json'),
        TOKENMINT_METRICS_LISTEN: 'off',
        // The subject is durability, not quotas: no 429 may hide a token.
        TOKENMINT_TOKEN_RATE_LIMIT: '10000000',
      },
    }
    log(
      `crash-test: ${options.rounds} round(s) on ${postgres === undefined ? 'SQLite' : `PostgreSQL schema ${postgres.schema}`}, data dir ${serveOptions.dataDir}`,
    )
    server = await startServe(serveOptions)
    const tokenEndpoint = `${server.url}/t/${TENANT}/oauth/token`
    const admin = adminClient(
      () => server?.url ?? '',
      TENANT,
      savedAdminCredentials(serveOptions.env.TOKENMINT_PROFILE, TENANT),
    )

    const apiBody = { audience: 'https://load.example.com', name: 'Load API', scopes: ['read'] }
    const apiResponse = await admin('POST', `/admin/v1/tenants/${TENANT}/apis`, apiBody)
    if (apiResponse.status !== 201) throw new Error(`create API: ${apiResponse.status}`)
    const api = (await apiResponse.json()) as { id: string; audience: string; scopes: string[] }
    const churn = new AdminChurn(admin, {
      tenant: TENANT,
      api,
      createsApis: true,
      keepsRevokedEvery: 2,
      pauseMs: 0,
      forgetsDeleted: false,
    })
    churn.track('apis', api.id, { exists: true, name: apiBody.name }, 'create')
    const clients: Credentials[] = []
    for (let i = 0; i < (options.tokenClients ?? 4); i++) {
      const response = await admin('POST', `/admin/v1/tenants/${TENANT}/applications`, {
        name: `token client ${i}`,
        grants: [{ audience: api.audience, scopes: ['read'] }],
      })
      if (response.status !== 201) throw new Error(`create application: ${response.status}`)
      const created = (await response.json()) as {
        client_id: string
        client_secret: string
        secrets: { id: string }[]
      }
      clients.push({ clientId: created.client_id, clientSecret: created.client_secret })
      churn.track(
        'applications',
        created.client_id,
        { exists: true, status: 'active', secretId: created.secrets[0]?.id },
        'create',
      )
    }

    const received = new Map<string, string[]>(clients.map((c) => [c.clientId, []]))
    const rounds: RoundReport[] = []
    for (let round = 1; round <= options.rounds && !isAborted(); round++) {
      const live = server
      const startedAt = new Date()
      const changesBefore = churn.acknowledged
      const thisRound = new Map<string, string[]>(clients.map((c) => [c.clientId, []]))
      let killed = false
      // A function: the workers read what the round sets after its awaits.
      const isKilled = () => killed
      const worker = async (client: Credentials) => {
        // Bounded: 100,000 requests, and the loop ends once the server is gone.
        for (let i = 0; i < 100_000 && !isKilled(); i++) {
          try {
            const { jti } = await requestToken(tokenEndpoint, client, api.audience)
            if (jti !== undefined) thisRound.get(client.clientId)?.push(jti)
          } catch {
            if (isKilled()) return
            await sleep(10)
          }
        }
      }
      const load = Array.from({ length: concurrency }, (_, i) =>
        worker(clients[i % clients.length] as Credentials),
      )
      const churning = churn.run(isKilled, `r${round}`)
      await sleep(killMin + Math.random() * (killMax - killMin), options.signal)
      const enough = options.minTokensBeforeKill ?? 0
      for (let i = 0; i < 1000 && countOf(thisRound) < enough && !isAborted(); i++) await sleep(10)
      if (isAborted()) {
        killed = true
        await Promise.all([...load, churning])
        break
      }
      const killedAfterMs = Date.now() - startedAt.getTime()
      await live.kill9()
      killed = true
      await Promise.all([...load, churning])

      server = await startServe(serveOptions)
      const lostJtis: string[] = []
      let tokens = 0
      for (const [clientId, jtis] of thisRound) {
        tokens += jtis.length
        received.get(clientId)?.push(...jtis)
        // A minute of slack on the same clock: the records were written after startedAt.
        const audited = await auditedJtis(
          admin,
          TENANT,
          clientId,
          new Date(startedAt.getTime() - 60_000),
        )
        lostJtis.push(...jtis.filter((jti) => !audited.has(jti)))
      }
      const lostChanges = await churn.verify('changed')
      const report: RoundReport = {
        round,
        pid: live.pid,
        killedAfterMs,
        tokens,
        changes: churn.acknowledged - changesBefore,
        lostJtis,
        lostChanges,
      }
      rounds.push(report)
      log(
        `round ${round}/${options.rounds}: kill -9 pid ${live.pid} after ${killedAfterMs} ms; tokens received ${tokens}, admin changes acknowledged ${report.changes}, lost jtis ${lostJtis.length}, lost changes ${lostChanges.length}`,
      )
      const losses = [...lostJtis.map((jti) => `lost jti ${jti}`), ...lostChanges]
      for (const line of losses.slice(0, 10)) log(`  ${line}`)
      if (losses.length > 10) log(`  … and ${losses.length - 10} more`)
    }

    // Final pass: every round's tokens against the whole audit log, every object read back.
    // Skipped when interrupted: Ctrl-C reaches the server too (same process group).
    const lostJtis: string[] = []
    const refusedAfterRestart: string[] = []
    for (const client of isAborted() ? [] : clients) {
      const audited = await auditedJtis(admin, TENANT, client.clientId)
      lostJtis.push(...(received.get(client.clientId) ?? []).filter((jti) => !audited.has(jti)))
      // One retry: a pooled connection to the killed process may fail once, as for any client.
      const { status } = await requestToken(tokenEndpoint, client, api.audience).catch(() =>
        requestToken(tokenEndpoint, client, api.audience),
      )
      if (status !== 200) refusedAfterRestart.push(`${client.clientId}: ${status}`)
    }
    const lostChanges = isAborted() ? [] : await churn.verify('all')
    return {
      database: postgres === undefined ? 'SQLite' : 'PostgreSQL',
      rounds,
      tokens: rounds.reduce((sum, r) => sum + r.tokens, 0),
      changes: churn.acknowledged,
      lostJtis,
      lostChanges,
      adminErrors: churn.errors,
      refusedAfterRestart,
    }
  } catch (error) {
    if (server !== undefined && error instanceof Error)
      error.message += `\n--- server output ---\n${server.output()}`
    throw error
  } finally {
    await server?.stop()
    await postgres?.drop()
    removeScratchDir(dir)
  }
}
