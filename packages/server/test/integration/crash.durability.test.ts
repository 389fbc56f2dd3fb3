import { describe, expect, it } from 'vitest'

import { runCrashRounds } from '../support/crash-rounds.js'

// The same rounds as `npm run crash-test` (scripts/crash-test.ts), three of them on SQLite.
describe('a crash (kill -9) under token load and admin changes', () => {
  it('loses no audit record of a token that reached a client and no acknowledged change, over three kills', async () => {
    const lines: string[] = []
    const report = await runCrashRounds({
      rounds: 3,
      // Kill early in each round, but only once tokens are flowing.
      killAfterMs: [300, 800],
      minTokensBeforeKill: 50,
      log: (line) => lines.push(line),
    })
    expect(report.rounds, lines.join('\n')).toHaveLength(3)
    for (const round of report.rounds) expect(round.tokens).toBeGreaterThanOrEqual(50)
    expect(report.changes).toBeGreaterThan(5)
    expect(report.lostJtis).toEqual([])
    expect(report.lostChanges).toEqual([])
    // The token clients' applications came through every crash intact and still get tokens.
    expect(report.refusedAfterRestart).toEqual([])
  }, 60_000)
})
