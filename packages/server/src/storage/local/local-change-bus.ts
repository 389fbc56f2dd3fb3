import type { Change, ChangeBus } from '../contract.js'

/** One process: changes are delivered synchronously to every subscriber. */
export class LocalChangeBus implements ChangeBus {
  readonly #listeners = new Set<(change: Change) => void>()
  readonly transport: string = 'local'

  get health(): 'ok' | 'degraded' {
    return 'ok'
  }

  publish(change: Change): void {
    for (const listener of this.#listeners) listener(change)
  }

  subscribe(listener: (change: Change) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}
