import { basicAuthorization } from './basic-authorization.js'
import type { VerifierOptions } from './options.js'
import type { AccessTokenClaims } from './verifier.js'

/** One entry of the report's `uses`, as the server reads it. */
interface ScopeUse {
  client_id: string
  scope: string
  count: number
  /** Seconds since the epoch. */
  last_at: number
}

export interface ScopeUseReportSettings {
  /** Resolves to the endpoint, or to undefined when the metadata could not be loaded. */
  endpoint: Promise<string | undefined>
  audience: string
  clientId: string
  clientSecret: string
  intervalMs: number
  maxEntries: number
  fetch: typeof fetch
  now: () => number
}

/**
 * What `reportScopeUse` asks for, defaults applied, or undefined when it is off. Throws on a
 * setting that cannot work, when the verifier is created rather than at the first report.
 */
export function scopeUseReportSettings(
  options: Pick<VerifierOptions, 'reportScopeUse' | 'revocationFeed'>,
):
  | Pick<ScopeUseReportSettings, 'clientId' | 'clientSecret' | 'intervalMs' | 'maxEntries'>
  | undefined {
  const { reportScopeUse, revocationFeed } = options
  if (reportScopeUse === undefined || reportScopeUse === false) return undefined
  if (revocationFeed === undefined)
    throw new TypeError(
      "reportScopeUse needs revocationFeed: the report is sent with the credentials of the API's own application (created with --introspect)",
    )
  const { intervalMs = 60_000, maxEntries = 10_000 } = reportScopeUse === true ? {} : reportScopeUse
  if (!Number.isFinite(intervalMs) || intervalMs <= 0)
    throw new RangeError('reportScopeUse.intervalMs must be a positive number of milliseconds')
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
    throw new RangeError('reportScopeUse.maxEntries must be a positive integer')
  return {
    clientId: revocationFeed.clientId,
    clientSecret: revocationFeed.clientSecret,
    intervalMs,
    maxEntries,
  }
}

/** The server takes at most this many entries in one request. */
const ENTRIES_PER_REQUEST = 1000

/**
 * Verified claims → the report of the verifier that verified them. A WeakMap rather than a
 * property, so the claims handed to the application stay exactly the token's, and
 * `requireScopes(claims, …)` can count without being given the verifier.
 */
const reportOf = new WeakMap<object, ScopeUseReport>()

/** The report the verifier of these claims counts their scope checks in, if it reports. */
export function scopeUseReportOf(claims: object): ScopeUseReport | undefined {
  return reportOf.get(claims)
}

/**
 * Counts, per (client, scope), the successful scope checks of one verifier, and POSTs the counts
 * to the server's scope-use endpoint every interval. Bounded: at most `maxEntries` pairs are
 * held between reports. A report that fails is dropped, never retried and never thrown: it
 * only ever costs counts.
 */
export class ScopeUseReport {
  #uses = new Map<string, Map<string, { count: number; lastAtMs: number }>>()
  #pairs = 0
  #sending: Promise<void> | undefined
  #isClosed = false
  readonly #timer: NodeJS.Timeout
  readonly #authorization: string

  constructor(private readonly settings: ScopeUseReportSettings) {
    this.#authorization = basicAuthorization(settings.clientId, settings.clientSecret)
    this.#timer = setInterval(() => {
      // One report in flight at a time; counts made meanwhile wait for the next tick.
      if (this.#sending === undefined) void this.#flush()
    }, settings.intervalMs)
    this.#timer.unref()
  }

  /** Marks claims this verifier verified, so scope checks on them are counted here. */
  track(claims: AccessTokenClaims): void {
    reportOf.set(claims, this)
  }

  /** One use of `scope` by `clientId`, now. */
  record(clientId: string, scope: string): void {
    let scopes = this.#uses.get(clientId)
    if (scopes === undefined) {
      if (this.#pairs >= this.settings.maxEntries) return
      scopes = new Map()
      this.#uses.set(clientId, scopes)
    }
    const use = scopes.get(scope)
    if (use !== undefined) {
      use.count++
      use.lastAtMs = this.settings.now()
    } else if (this.#pairs < this.settings.maxEntries) {
      this.#pairs++
      scopes.set(scope, { count: 1, lastAtMs: this.settings.now() })
    }
  }

  /** Stops the timer and sends what was counted since the last report, once. */
  close(): Promise<void> {
    if (this.#isClosed) return this.#sending ?? Promise.resolve()
    this.#isClosed = true
    clearInterval(this.#timer)
    const previous = this.#sending ?? Promise.resolve()
    return previous.then(() => this.#flush())
  }

  #flush(): Promise<void> {
    const sending = this.#send().finally(() => {
      if (this.#sending === sending) this.#sending = undefined
    })
    this.#sending = sending
    return sending
  }

  /** Swaps the counts out and sends them, in requests of at most 1000 entries. Never rejects. */
  async #send(): Promise<void> {
    if (this.#pairs === 0) return
    const uses = this.#uses
    this.#uses = new Map()
    this.#pairs = 0
    const entries: ScopeUse[] = []
    for (const [clientId, scopes] of uses) {
      for (const [scope, { count, lastAtMs }] of scopes)
        entries.push({ client_id: clientId, scope, count, last_at: Math.floor(lastAtMs / 1000) })
    }
    const endpoint = await this.settings.endpoint
    if (endpoint === undefined) return
    for (let start = 0; start < entries.length; start += ENTRIES_PER_REQUEST) {
      try {
        const response = await this.settings.fetch(endpoint, {
          method: 'POST',
          headers: { authorization: this.#authorization, 'content-type': 'application/json' },
          body: JSON.stringify({
            audience: this.settings.audience,
            uses: entries.slice(start, start + ENTRIES_PER_REQUEST),
          }),
          signal: AbortSignal.timeout(10_000),
        })
        // Read nothing back: the counts are dropped either way, and the connection is freed.
        await response.body?.cancel()
        // A refused request (the server's 4xx/5xx) would be refused again: drop the rest too.
        if (!response.ok) return
      } catch {
        return
      }
    }
  }
}
