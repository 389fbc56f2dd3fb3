import os from 'node:os'
import v8 from 'node:v8'

import type { Config } from '../config/load-config.js'

const given = (flag: string) =>
  process.execArgv.some((a) =>
    a
      .replace(/_/g, '-')
      .replace(/^--no-/, '--')
      .startsWith(flag),
  )

/**
 * Two settings of V8's garbage collector for a server process (docs/deployment.md, Sizing).
 * V8 reads both flags each time it uses them, so setting them at start takes effect; the same
 * flag on Node's command line wins.
 *
 * - Heap growth. V8 sizes the old generation by how fast the program allocates: at thousands
 *   of tokens a second it lets garbage pile up to 3–4× the live heap (about 100 MB for 35 MB
 *   live) before a full collection. A fixed factor (TOKENMINT_HEAP_GROWTH) keeps a busy
 *   server about 65 MB smaller after a million tokens for no measurable CPU.
 * - Concurrent marking. V8 marks the old generation on helper threads while JavaScript runs.
 *   With a spare core that hides the work; with one core per process (pinned, one CPU, or as
 *   many `--workers` as cores) those threads take the core from the event loop for the tens of
 *   milliseconds a marking lasts, and requests queue behind them: p99 at half the peak rate was
 *   about twice as long. Then marking runs on the event loop in short increments instead
 *   (TOKENMINT_CONCURRENT_GC).
 */
export function tuneGarbageCollector(config: Config, workers: number): void {
  if (config.heapGrowthPercent > 0 && !given('--heap-growing-percent'))
    v8.setFlagsFromString(`--heap-growing-percent=${config.heapGrowthPercent}`)
  const concurrent = concurrentMarking(config.concurrentGc, os.availableParallelism(), workers)
  if (!concurrent && !given('--concurrent-marking'))
    v8.setFlagsFromString('--no-concurrent-marking')
}

/** `auto`: helper threads only when each process has more than one core of its own. */
export function concurrentMarking(
  setting: Config['concurrentGc'],
  cores: number,
  workers: number,
): boolean {
  return setting === 'auto' ? cores / workers > 1 : setting === 'on'
}
