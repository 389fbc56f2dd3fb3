import type { ClientRecord } from '../storage/contract.js'
import type { ClientDirectory } from './client-authentication.js'

export interface ClientCacheOptions {
  maxAgeMs: number
  maxEntries: number
  now: () => number
}

interface Entry {
  record: ClientRecord | undefined
  loadedAt: number
}

/**
 * Keeps token requests of an unchanged application off the database. Entries are dropped on
 * every change to the application (through the change bus) and re-read after `maxAgeMs` at
 * the latest, so a lost invalidation cannot serve stale data for longer than that bound.
 * Concurrent misses for one client share a single storage read.
 */
export class CachingClientDirectory implements ClientDirectory {
  readonly #entries = new Map<string, Entry>()
  readonly #loading = new Map<string, Promise<ClientRecord | undefined>>()
  #generation = 0
  /** Lookups answered from memory and from storage, for the cache-hit-ratio metric. */
  readonly stats = { hits: 0, misses: 0 }

  constructor(
    private readonly source: ClientDirectory,
    private readonly options: ClientCacheOptions,
  ) {}

  findClient(clientId: string): Promise<ClientRecord | undefined> {
    const entry = this.#entries.get(clientId)
    if (entry !== undefined && this.options.now() - entry.loadedAt < this.options.maxAgeMs) {
      this.stats.hits++
      return Promise.resolve(entry.record)
    }
    this.stats.misses++
    let pending = this.#loading.get(clientId)
    if (pending === undefined) {
      pending = this.#load(clientId).finally(() => this.#loading.delete(clientId))
      this.#loading.set(clientId, pending)
    }
    return pending
  }

  invalidate(clientId?: string): void {
    this.#generation++
    if (clientId === undefined) this.#entries.clear()
    else this.#entries.delete(clientId)
  }

  get size(): number {
    return this.#entries.size
  }

  async #load(clientId: string): Promise<ClientRecord | undefined> {
    const generation = this.#generation
    const loadedAt = this.options.now()
    const record = await this.source.findClient(clientId)
    // An invalidation that raced this read may describe a newer state: do not cache over it.
    if (generation === this.#generation) {
      if (this.#entries.size >= this.options.maxEntries) {
        const oldest = this.#entries.keys().next()
        if (oldest.done !== true) this.#entries.delete(oldest.value)
      }
      this.#entries.set(clientId, { record, loadedAt })
    }
    return record
  }
}
