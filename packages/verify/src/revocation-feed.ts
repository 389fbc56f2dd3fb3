import { basicAuthorization } from './basic-authorization.js'
import type { FeedOptions } from './options.js'

interface Entry {
  cursor: string
  /** The entry's tenant: every entry of the deployment-wide feed names one. */
  tenant?: string
  type: 'application' | 'token'
  client_id: string
  jti?: string
  revoked_at: number
  expires_at: number
}

/** Under this key, an entry that names no tenant on the deployment-wide feed: any tenant's. */
const ANY_TENANT = '*'

/** One tenant's revoked applications (client id → revoked at) and tokens (jti → expires at). */
interface TenantRevocations {
  clients: Map<string, number>
  jtis: Map<string, number>
}

/**
 * Follows `{issuer}/oauth/revocations` over Server-Sent Events: catch-up from the last cursor,
 * then entries as they are committed. Reconnects with backoff and resumes with Last-Event-ID,
 * so nothing published while disconnected is missed. Written by hand over `fetch` because
 * Node 20 has no EventSource, and a client that sends credentials and a cursor is ~60 lines.
 *
 * Revocations are held per tenant: one tenant's feed puts every entry under its tenant; the
 * deployment-wide feed (`{public_url}/oauth/revocations`) under the tenant each entry names, so
 * an entry for one tenant's client never revokes another tenant's client of the same id.
 */
export class RevocationFeed {
  readonly #tenants = new Map<string, TenantRevocations>()
  #cursor: string | undefined
  #lastHeardAt = 0
  #syncedAt = 0
  #stopped = false
  #abort: AbortController | undefined
  #readyResolve: (() => void) | undefined
  readonly ready: Promise<void>
  /**
   * Called whenever an entry arrives, so caches can drop what it revokes: `tenant` undefined
   * means any tenant's.
   */
  onRevoked: (entry: {
    tenant: string | undefined
    clientId: string
    jti: string | undefined
  }) => void = () => undefined

  /**
   * `tenant`: the tenant whose feed `url` is, or undefined for the deployment-wide feed, whose
   * entries name their tenant.
   */
  constructor(
    private readonly url: string,
    private readonly options: Required<Omit<FeedOptions, 'clientId' | 'clientSecret'>> &
      Pick<FeedOptions, 'clientId' | 'clientSecret'>,
    private readonly fetchFn: typeof fetch,
    private readonly now: () => number,
    private readonly tenant: string | undefined,
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

  isRevoked(tenant: string, clientId: string, jti: string, issuedAt: number): boolean {
    return (
      isRevokedIn(this.#tenants.get(tenant), clientId, jti, issuedAt) ||
      isRevokedIn(this.#tenants.get(ANY_TENANT), clientId, jti, issuedAt)
    )
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
    // An entry of the deployment-wide feed without a tenant (never sent) revokes in every tenant:
    // refusing too much is safe, refusing too little is not.
    const tenant =
      this.tenant ?? (typeof entry.tenant === 'string' ? entry.tenant : undefined) ?? ANY_TENANT
    let revoked = this.#tenants.get(tenant)
    if (revoked === undefined) {
      revoked = { clients: new Map(), jtis: new Map() }
      this.#tenants.set(tenant, revoked)
    }
    if (entry.type === 'application') {
      // Revocation is terminal: every token of the application issued up to then is revoked.
      revoked.clients.set(
        entry.client_id,
        Math.max(entry.revoked_at, revoked.clients.get(entry.client_id) ?? 0),
      )
    } else if (entry.jti !== undefined) {
      revoked.jtis.set(entry.jti, entry.expires_at)
    }
    this.onRevoked({
      tenant: tenant === ANY_TENANT ? undefined : tenant,
      clientId: entry.client_id,
      jti: entry.jti,
    })
  }

  #prune(): void {
    const nowSeconds = this.now() / 1000
    for (const { jtis } of this.#tenants.values())
      for (const [jti, expiresAt] of jtis) if (expiresAt <= nowSeconds) jtis.delete(jti)
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

function isRevokedIn(
  revoked: TenantRevocations | undefined,
  clientId: string,
  jti: string,
  issuedAt: number,
): boolean {
  if (revoked === undefined) return false
  const appRevokedAt = revoked.clients.get(clientId)
  if (appRevokedAt !== undefined && issuedAt <= appRevokedAt) return true
  return revoked.jtis.has(jti)
}
