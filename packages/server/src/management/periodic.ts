/**
 * Runs `round` every `everyMs` on a timer that keeps no process alive, one round at a time: a
 * tick that comes while the previous round still runs is skipped. `stop()` resolves once the
 * round in progress, if any, has ended. The audit checkpoint schedule and sink delivery use it.
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
