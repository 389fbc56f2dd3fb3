import type { Logger } from 'pino'

const RELAPSE_WINDOW_MS = 60_000
const MAX_PROBE_INTERVAL_MS = 60_000

export interface StorageHealthOptions {
  /** Commits one tiny write (`Storage.probeWrite`). */
  probe: () => Promise<void>
  logger: Pick<Logger, 'error' | 'info'>
  /** How often the probe may run while storage is unavailable. */
  probeIntervalMs?: number
  /** A monotonic clock: the service clock may be frozen or moved in tests. */
  clockMs?: () => number
}

/**
 * Whether this node can use its storage: the signal behind /readyz, and what keeps an outage
 * to two log lines. A `select 1` cannot tell: on a full disk or a read-only file system reads
 * and pings succeed while every write fails. So the failures themselves are the signal: the
 * first request that storage fails with an outage code (unreachable, full, I/O error,
 * read-only: http/errors.ts) makes storage unavailable and logs its cause once; later ones are
 * only counted. While unavailable, a one-row write (`probeWrite`) is tried every second, and by
 * /readyz no more often; the first that commits with no failure reported while it ran ends the
 * outage, with one line. Nothing is probed while storage is available, so a healthy node pays
 * nothing, and a node taken out of rotation (no traffic to fail or succeed) still notices by
 * itself that storage is back. A probe can be too hopeful (a full Postgres disk still takes an
 * update that fits its page): an outage that starts again within a minute of a recovery doubles
 * the probe interval, up to a minute, so readiness and the log cannot flap every second.
 */
export class StorageHealth {
  readonly stats = { refused: 0, outages: 0 }
  #unavailableSince: number | undefined
  #refusedBefore = 0
  #failures = 0
  #lastProbeMs = -Infinity
  #recoveredAtMs = -Infinity
  #probing: Promise<boolean> | undefined
  #timer: NodeJS.Timeout | undefined
  readonly #baseIntervalMs: number
  #intervalMs: number
  readonly #clockMs: () => number

  constructor(private readonly options: StorageHealthOptions) {
    this.#baseIntervalMs = options.probeIntervalMs ?? 1000
    this.#intervalMs = this.#baseIntervalMs
    this.#clockMs = options.clockMs ?? (() => performance.now())
  }

  get isAvailable(): boolean {
    return this.#unavailableSince === undefined
  }

  /** A request was refused because storage failed it with `cause`. */
  refused(cause: unknown): void {
    this.failed(cause)
    this.stats.refused++
  }

  /** Storage failed an operation with an outage: unreachable, or unable to write. */
  failed(cause: unknown): void {
    this.#failures++
    if (this.#unavailableSince !== undefined) return
    this.#unavailableSince = this.#clockMs()
    this.#lastProbeMs = this.#unavailableSince
    this.#refusedBefore = this.stats.refused
    this.stats.outages++
    const isRelapse = this.#unavailableSince - this.#recoveredAtMs < RELAPSE_WINDOW_MS
    this.#intervalMs = isRelapse
      ? Math.min(this.#intervalMs * 2, MAX_PROBE_INTERVAL_MS)
      : this.#baseIntervalMs
    this.options.logger.error(
      { err: cause, probeIntervalMs: this.#intervalMs },
      'storage is unavailable: requests that need it get 503 until it recovers',
    )
    this.#timer = setInterval(() => void this.check(), this.#intervalMs)
    this.#timer.unref()
  }

  /**
   * True while storage is available. While it is not, tries the probe (one at a time, at most
   * once per interval) and resolves whether that ended the outage.
   */
  check(): Promise<boolean> {
    if (this.#unavailableSince === undefined) return Promise.resolve(true)
    if (this.#probing !== undefined) return this.#probing
    if (this.#clockMs() - this.#lastProbeMs < this.#intervalMs) return Promise.resolve(false)
    this.#lastProbeMs = this.#clockMs()
    this.#probing = this.#probe().finally(() => {
      this.#probing = undefined
    })
    return this.#probing
  }

  close(): void {
    clearInterval(this.#timer)
  }

  async #probe(): Promise<boolean> {
    const failures = this.#failures
    try {
      await this.options.probe()
    } catch {
      return false
    }
    if (this.#unavailableSince === undefined) return true
    // A request failed while the probe ran: one small write getting through proves little.
    if (this.#failures !== failures) return false
    clearInterval(this.#timer)
    this.options.logger.info(
      {
        unavailableForMs: Math.round(this.#clockMs() - this.#unavailableSince),
        refused: this.stats.refused - this.#refusedBefore,
      },
      'storage is available again',
    )
    this.#unavailableSince = undefined
    this.#recoveredAtMs = this.#clockMs()
    return true
  }
}
