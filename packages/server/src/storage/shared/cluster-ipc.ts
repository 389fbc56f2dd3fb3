import cluster, { type Worker } from 'node:cluster'

import type { ChangeTransport } from './node-change-bus.js'

interface ChangeMessage {
  tokenmint: 'change'
  message: string
}

function isChangeMessage(value: unknown): value is ChangeMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { tokenmint?: unknown }).tokenmint === 'change' &&
    typeof (value as { message?: unknown }).message === 'string'
  )
}

/**
 * `serve --workers N` on SQLite: each worker sends its changes to the primary over the
 * cluster's IPC channel and the primary relays them to every other worker.
 */
export class ClusterChangeTransport implements ChangeTransport {
  readonly name = 'cluster'
  #listener: ((value: unknown) => void) | undefined

  start(handlers: Parameters<ChangeTransport['start']>[0]): Promise<void> {
    this.#listener = (value: unknown) => {
      if (isChangeMessage(value)) handlers.onMessage(value.message)
    }
    process.on('message', this.#listener)
    handlers.onUp()
    return Promise.resolve()
  }

  send(message: string): Promise<void> {
    const payload: ChangeMessage = { tokenmint: 'change', message }
    return new Promise((resolve, reject) => {
      if (process.send === undefined) {
        resolve()
        return
      }
      process.send(payload, undefined, {}, (error) => {
        if (error) reject(error)
        else resolve()
      })
    })
  }

  close(): Promise<void> {
    if (this.#listener !== undefined) process.off('message', this.#listener)
    return Promise.resolve()
  }
}

/** In the primary: relays every worker's changes to the other workers. */
export function relayClusterChanges(): void {
  cluster.on('message', (from: Worker, value: unknown) => {
    if (!isChangeMessage(value)) return
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker !== undefined && worker !== from && worker.isConnected()) worker.send(value)
    }
  })
}
