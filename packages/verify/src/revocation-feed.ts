import { basicAuthorization } from './basic-authorization.js'
import type { FeedOptions } from './options.js'

interface Entry {
  cursor: string
  type: 'application' | 'token'
  client_id: string
  jti?: string
  revoked_at: number
  expires_at: number
}

/**
 * Follows `{issuer}/oauth/revocations` over Server-Sent Events: catch-up from the last cursor,
 * then entries as they are committed. Reconnects with backoff and resumes with Last-Event-ID,
 * so nothing published while disconnected is missed. Written by hand over `fetch` because
 * Node 20 has no EventSource, and a client that sends credentials and a cursor is ~60 lines.
 */
export class RevocationFeed {
  readonly #clients = new Map<string, number>()
  readonly #jtis = new Map<string, number>()
  #cursor: string | undefined
  #lastHeardAt = 0
  #syncedAt = 0
  #stopped = false
  #abort: AbortController | undefined
  #readyResolve: (() => void) | undefined
  readonly ready: Promise<void>
  /** Called whenever an entry arrives, so caches can drop what it revokes. */
  onRevoked: (entry: { clientId: string; jti: string | undefined }) => void = () => undefined

  constructor(
    private readonly url: string,
    private readonly options: Required<Omit<FeedOptions, 'clientId' | 'clientSecret'>> &
      Pick<FeedOptions, 'clientId' | 'clientSecret'>,
    private readonly fetchFn: typeof fetch,
    private readonly now: () => number,
  ) {
    this.ready = new Promise((resolve) => {
      this.#readyResolve = resolve
    })
    void this.#run()
  }

  /** True when the feed was heard from recently enough for its answers to be trusted. */
  isFresh(): boolean {
    return this.#syncedAt > 0 && this.now() - this.#lastHeardAt <= this.options.maxStalenessMs
  }

  isRevoked(clientId: string, jti: string, issuedAt: number): boolean {
    const appRevokedAt = this.#clients.get(clientId)
    if (appRevokedAt !== undefined && issuedAt <= appRevokedAt) return true
    return this.#jtis.has(jti)
  }

  #isStopped(): boolean {
    return this.#stopped
  }

  close(): void {
    this.#stopped = true
    this.#abort?.abort()
  }

  #apply(entry: Entry): void {
    this.#cursor = entry.cursor
    if (entry.expires_at * 1000 <= this.now()) return
    if (entry.type === 'application') {
      // Revocation is terminal: every token of the application issued up to then is revoked.
      this.#clients.set(
        entry.client_id,
        Math.max(entry.revoked_at, this.#clients.get(entry.client_id) ?? 0),
      )
    } else if (entry.jti !== undefined) {
      this.#jtis.set(entry.jti, entry.expires_at)
    }
    this.onRevoked({ clientId: entry.client_id, jti: entry.jti })
  }

  #prune(): void {
    const nowSeconds = this.now() / 1000
    for (const [jti, expiresAt] of this.#jtis) if (expiresAt <= nowSeconds) this.#jtis.delete(jti)
  }

  async #run(): Promise<void> {
    let backoffMs = 100
    while (!this.#stopped) {
      try {
        await this.#connect()
        backoffMs = 100
      } catch {
        // fall through to the backoff; the next connection resumes from the cursor
      }
      // close() may have been called while connected.
      if (this.#isStopped()) return
      await new Promise((resolve) => setTimeout(resolve, backoffMs).unref())
      backoffMs = Math.min(backoffMs * 2, 5000)
      this.#prune()
    }
  }

  async #connect(): Promise<void> {
    const abort = new AbortController()
    this.#abort = abort
    const response = await this.fetchFn(this.url, {
      headers: {
        accept: 'text/event-stream',
        authorization: basicAuthorization(this.options.clientId, this.options.clientSecret),
        ...(this.#cursor !== undefined && { 'last-event-id': this.#cursor }),
      },
      signal: abort.signal,
    })
    if (!response.ok || response.body === null)
      throw new Error(`the revocation feed answered ${response.status}`)
    // A silent connection is a dead one: the server sends a heartbeat every 15 s.
    const watchdog = setInterval(() => {
      if (this.now() - this.#lastHeardAt > this.options.heartbeatTimeoutMs) abort.abort()
    }, 1000)
    watchdog.unref()
    this.#lastHeardAt = this.now()
    try {
      const decoder = new TextDecoder()
      let buffer = ''
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        this.#lastHeardAt = this.now()
        buffer += decoder.decode(chunk, { stream: true })
        let boundary = buffer.indexOf('\n\n')
        while (boundary >= 0) {
          this.#event(buffer.slice(0, boundary))
          buffer = buffer.slice(boundary + 2)
          boundary = buffer.indexOf('\n\n')
        }
      }
    } finally {
      clearInterval(watchdog)
    }
  }

  #event(block: string): void {
    let event = 'message'
    let data = ''
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'event') event = value
      else if (field === 'data') data += value
    }
    if (event === 'revocation' && data !== '') {
      this.#apply(JSON.parse(data) as Entry)
    } else if (event === 'ready') {
      this.#syncedAt = this.now()
      this.#readyResolve?.()
    }
  }
}
