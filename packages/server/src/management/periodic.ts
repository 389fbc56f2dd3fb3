import type { Logger } from 'pino'

/**
 * Runs `round` every `everyMs` on a timer that keeps no process alive, one round at a time: a
 * tick that comes while the previous round still runs is skipped. `stop()` resolves once the
 * round in progress, if any, has ended. BackgroundJob (below) runs every background job on it.
 */
export class Periodic {
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined

  constructor(
    private readonly everyMs: number,
    private readonly round: () => Promise<void>,
  ) {}

  start(): void {
    this.#timer = setInterval(() => {
      this.#running ??= this.round().finally(() => (this.#running = undefined))
    }, this.everyMs)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await this.#running
  }
}

/**
 * A background job of the server: `round()` every `everyMs` while storage is available. A round
 * that fails is logged (unless storage went away meanwhile, which its own probe reports) and the
 * next one tries again. `tick()` runs one round now.
 */
export abstract class BackgroundJob {
  readonly #periodic: Periodic

  constructor(
    everyMs: number,
    private readonly job: { logger: Logger; storageAvailable: () => boolean },
    private readonly failure: string,
  ) {
    this.#periodic = new Periodic(everyMs, () => this.#run(true))
  }

  start(): void {
    this.#periodic.start()
  }

  stop(): Promise<void> {
    return this.#periodic.stop()
  }

  /** One whole round now, whatever the schedule would skip this time. */
  tick(): Promise<void> {
    return this.#run(false)
  }

  async #run(scheduled: boolean): Promise<void> {
    if (!this.job.storageAvailable()) return
    try {
      await this.round(scheduled)
    } catch (error) {
      if (this.job.storageAvailable()) this.job.logger.warn({ err: error }, this.failure)
    }
  }

  /** `scheduled`: the timer's round, which may leave out work it does less often. */
  protected abstract round(scheduled: boolean): Promise<void>
}
