// npm run crash-test -- --rounds N [--database-url postgres://…]
//
// Starts the built server (`node packages/server/dist/cli/main.js serve`, no npm or shell in
// between), puts it under token load from several client-credentials clients plus an admin
// client that creates, updates, rotates, revokes and deletes applications, and `kill -9`s that
// node process 300–1500 ms into each round (its pid checked in /proc first). After each restart
// on the same data: every jti a client received in a 200 must have its token.issued audit
// record, and every admin change acknowledged with 201/200/204 must be visible. With
// --database-url the run uses a fresh schema in that database and drops it at the end.
// Exits 1 if anything was lost. The core is shared with crash.durability.test.ts.
import { parseArgs } from 'node:util'

import { runCrashRounds } from '../packages/server/test/support/crash-rounds.js'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'database-url': { type: 'string' },
  },
})
const rounds = Number(values.rounds)
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000) {
  console.error('error: --rounds must be an integer from 1 to 1000')
  process.exit(2)
}
const databaseUrl = values['database-url']
if (
  databaseUrl !== undefined &&
  !/^postgres(ql)?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(databaseUrl.replace(/\/\/[^@/]*@/, '//'))
) {
  console.error('error: --database-url must be a postgres:// URL on 127.0.0.1')
  process.exit(2)
}

// First Ctrl-C: finish cleanly (stop the server, drop the schema, remove the temp dir).
// A second one exits at once: the exit hook still kills the server and removes the temp dir,
// but a Postgres schema stays (its name is printed at the start).
const controller = new AbortController()
let interruptedAt = 0
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    // npm and tsx relay the terminal's signal too: only a later, second one forces the exit.
    if (controller.signal.aborted && Date.now() - interruptedAt > 1000) process.exit(130)
    if (controller.signal.aborted) return
    interruptedAt = Date.now()
    console.error(`\n${signal}: stopping after cleanup (again to force)`)
    controller.abort()
  })

const startedAt = Date.now()
const report = await runCrashRounds({
  rounds,
  databaseUrl,
  log: (line) => console.log(line),
  signal: controller.signal,
}).catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
const lost = report.lostJtis.length + report.lostChanges.length
console.log(
  `summary: ${report.database}, ${report.rounds.length} round(s), tokens received ${report.tokens}, admin changes acknowledged ${report.changes}, lost jtis ${report.lostJtis.length}, lost changes ${report.lostChanges.length}, admin errors ${report.adminErrors.length}, clients refused after the last restart ${report.refusedAfterRestart.length}, ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
)
const details = [
  ...report.lostJtis.map((jti) => `lost jti ${jti}`),
  ...report.lostChanges,
  ...report.adminErrors.map((e) => `admin error: ${e}`),
  ...report.refusedAfterRestart.map((c) => `refused after restart: ${c}`),
]
for (const line of details.slice(0, 20)) console.log(`  ${line}`)
if (details.length > 20) console.log(`  … and ${details.length - 20} more`)
process.exitCode =
  lost > 0 || report.refusedAfterRestart.length > 0 || controller.signal.aborted ? 1 : 0
