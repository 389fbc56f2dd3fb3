import { parseClientJwk } from '../crypto/client-jwk.js'
import type { ClientKey } from '../domain/model.js'
import type { OutboundFetcher } from '../outbound/outbound-fetcher.js'

/** Bounds on what a `jwks_uri` may cost us: its size, its keys, and how often it is fetched. */
export const JWKS_MAX_BYTES = 64 * 1024
export const JWKS_MAX_KEYS = 20
/** How long a fetched set is used: its Cache-Control max-age, within these bounds. */
const MIN_TTL_MS = 60_000
const DEFAULT_TTL_MS = 300_000
const MAX_TTL_MS = 3_600_000
/** An unknown kid refetches the set, at most this often per URL (a bad kid cannot flood it). */
const REFETCH_INTERVAL_MS = 30_000
/** After a failed refresh the last good set is used for at most this long. */
const STALE_FOR_MS = 3_600_000
const MAX_URLS = 10_000

interface Entry {
  keys: ClientKey[]
  fetchedAt: number
  expiresAt: number
  lastAttempt: number
}

function ttlOf(cacheControl: string | string[] | undefined): number {
  const match = /(?:^|,)\s*max-age=(\d+)/i.exec(String(cacheControl ?? ''))
  const seconds = match?.[1] === undefined ? undefined : Number(match[1])
  if (seconds === undefined) return DEFAULT_TTL_MS
  return Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, seconds * 1000))
}

/**
 * The public keys of applications that publish them at a `jwks_uri`, fetched with the outbound
 * rule (https, no redirects, no private addresses unless allow-listed, 64 KiB, 5 s), cached for
 * the set's max-age (1 min to 1 h, 5 min without one), refetched early when an assertion names
 * a kid the set lacks (at most every 30 s per URL). Keys that are not acceptable public keys
 * (crypto/client-jwk) are skipped, not fatal: a set may also hold encryption keys.
 */
export class RemoteJwks {
  readonly #entries = new Map<string, Entry>()
  readonly #pending = new Map<string, Promise<ClientKey[]>>()

  constructor(
    private readonly fetcher: Pick<OutboundFetcher, 'fetchJson'>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The usable keys at `uri`, as credentials of `credentialId` (the application's `jwks_uri`
   * registration: a token commit checks it is still registered). Throws OutboundError when the
   * set cannot be fetched and no recent copy is held.
   */
  async keys(uri: string, credentialId: string, kid?: string): Promise<ClientKey[]> {
    const now = this.now()
    const entry = this.#entries.get(uri)
    const fresh = entry !== undefined && now < entry.expiresAt
    const knowsKid = kid === undefined || entry?.keys.some((k) => k.kid === kid) === true
    const mayRefetch = entry === undefined || now - entry.lastAttempt >= REFETCH_INTERVAL_MS
    if (entry !== undefined && (fresh ? knowsKid || !mayRefetch : !mayRefetch))
      return this.#as(entry.keys, credentialId)
    try {
      return this.#as(await this.#refresh(uri), credentialId)
    } catch (error) {
      if (entry !== undefined && now - entry.fetchedAt < STALE_FOR_MS)
        return this.#as(entry.keys, credentialId)
      throw error
    }
  }

  /** Fetches the set now (registration checks the URL this way) and caches it. */
  async fetchNow(uri: string): Promise<ClientKey[]> {
    return this.#refresh(uri)
  }

  /** One fetch per URL at a time: callers arriving meanwhile share it. */
  #refresh(uri: string): Promise<ClientKey[]> {
    let pending = this.#pending.get(uri)
    if (pending === undefined) {
      const startedAt = this.now()
      const entry = this.#entries.get(uri)
      if (entry !== undefined) entry.lastAttempt = startedAt
      pending = this.#fetch(uri, startedAt).finally(() => this.#pending.delete(uri))
      this.#pending.set(uri, pending)
    }
    return pending
  }

  async #fetch(uri: string, startedAt: number): Promise<ClientKey[]> {
    const response = await this.fetcher.fetchJson(uri, { maxBytes: JWKS_MAX_BYTES })
    const listed = (response.json as { keys?: unknown } | null)?.keys
    const keys: ClientKey[] = []
    for (const candidate of Array.isArray(listed) ? listed.slice(0, JWKS_MAX_KEYS) : []) {
      try {
        const { jwk, thumbprint } = await parseClientJwk('jwks_uri', candidate)
        keys.push({
          id: '',
          clientId: '',
          kid: jwk.kid,
          thumbprint,
          jwk,
          createdAt: new Date(startedAt),
          lastUsedAt: null,
          lastUsedIp: null,
        })
      } catch {
        // Not a signing key we accept (an encryption key, a private one): skipped.
      }
    }
    if (this.#entries.size >= MAX_URLS && !this.#entries.has(uri)) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
    this.#entries.set(uri, {
      keys,
      fetchedAt: startedAt,
      expiresAt: startedAt + ttlOf(response.headers['cache-control']),
      lastAttempt: startedAt,
    })
    return keys
  }

  #as(keys: readonly ClientKey[], credentialId: string): ClientKey[] {
    return keys.map((k) => ({ ...k, id: credentialId }))
  }
}
