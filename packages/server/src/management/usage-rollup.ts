import { setTimeout as sleep } from 'node:timers/promises'

import type { Logger } from 'pino'

import type {
  AuditEvent,
  ScopeUsage,
  Storage,
  TokenRecord,
  TokenStream,
} from '../storage/contract.js'
import { BackgroundJob } from './periodic.js'

/**
 * Folds token records into what insight needs, in the background, so issuing a token pays
 * nothing for it: per-day counts per application, audience and scope, and one row per stream of
 * tokens an application requests for one audience and scope set, which measures churn. Then
 * announces findings that should not wait for someone to look (churn, an application about to
 * expire, a secret still in use as its overlap ends) as audit records — which webhooks deliver —
 * each once.
 */

/**
 * Folding runs every few seconds, so each round folds a few seconds of tokens (about 140 ms of
 * work at 2,300 tokens/s, in slices) rather than a minute's in one burst that the tail latency
 * of token requests would show. Announcing reads every finding: once a minute is enough.
 */
const TICK_MS = 5_000
const ANNOUNCE_EVERY_MS = 60_000
/**
 * Records folded per slice. On SQLite every query runs on the event loop, so a slice is as long
 * as token requests wait: 5,000 records took about 60 ms, and a round of 40 of them, with no
 * turn of the loop between, stalled every request for 2.4 s once a minute after a busy spell.
 * 500 take a few milliseconds, and the loop turns between slices.
 */
const BATCH = 500
/** 100,000 records a round: far more than one process issues in five seconds, so it keeps up. */
const BATCHES_PER_ROUND = 200
/**
 * Records younger than this wait for the next round: on PostgreSQL ids are drawn before commit,
 * so a record with a smaller id can become visible after one with a larger id.
 */
const SETTLE_MS = 5_000
const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

/** A stream churns when this many tokens within an hour each replaced one with most of its life left. */
export const CHURN_MIN_TOKENS = 10
export const EXPIRING_WITHIN_MS = 14 * DAY_MS
/** A secret whose overlap ends within this, and that was used within it, is still in use. */
export const OVERLAP_ENDING_MS = HOUR_MS

const streamKey = (s: Pick<TokenStream, 'tenantId' | 'clientId' | 'audience' | 'scopes'>) =>
  `${s.tenantId}\n${s.clientId}\n${s.audience}\n${s.scopes}`

/**
 * One token after another in a stream. A token requested while the previous one still had more
 * than half its lifetime extends the current run; any other ends it. A run of CHURN_MIN_TOKENS
 * within an hour is churn, measured as tokens per hour and the life left on those discarded.
 */
export function foldToken(stream: TokenStream | undefined, token: TokenRecord): TokenStream {
  if (stream === undefined) {
    return {
      tenantId: token.tenantId,
      clientId: token.clientId,
      audience: token.audience,
      scopes: token.scope,
      lastIssuedAt: token.issuedAt,
      lastExpiresAt: token.expiresAt,
      runStartedAt: token.issuedAt,
      runTokens: 1,
      runRemainingMs: 0,
      churn: null,
    }
  }
  const lifetime = stream.lastExpiresAt - stream.lastIssuedAt
  const remaining = stream.lastExpiresAt - token.issuedAt
  const next: TokenStream = {
    ...stream,
    lastIssuedAt: token.issuedAt,
    lastExpiresAt: token.expiresAt,
  }
  if (lifetime <= 0 || remaining * 2 <= lifetime) {
    next.runStartedAt = token.issuedAt
    next.runTokens = 1
    next.runRemainingMs = 0
    return next
  }
  if (token.issuedAt - stream.runStartedAt > HOUR_MS) {
    // The run is older than the window: it starts again with the previous token.
    next.runStartedAt = stream.lastIssuedAt
    next.runTokens = 2
    next.runRemainingMs = remaining
  } else {
    next.runTokens = stream.runTokens + 1
    next.runRemainingMs = stream.runRemainingMs + remaining
  }
  if (next.runTokens >= CHURN_MIN_TOKENS) {
    const span = Math.max(token.issuedAt - next.runStartedAt, 60_000)
    next.churn = {
      detectedAt: token.issuedAt,
      tokensPerHour: Math.round((next.runTokens * HOUR_MS) / Math.min(span, HOUR_MS)),
      avgRemainingSeconds: Math.round(next.runRemainingMs / (next.runTokens - 1) / 1000),
      lifetimeSeconds: Math.round(lifetime / 1000),
    }
  }
  return next
}

export function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS)
}

export class UsageRollup extends BackgroundJob {
  constructor(
    private readonly deps: {
      storage: Storage
      now: () => Date
      logger: Logger
      storageAvailable: () => boolean
    },
  ) {
    super(TICK_MS, deps, 'insight rollup failed; it runs again in a few seconds')
  }

  #announcedAt = 0

  /** One round: fold what is new, then announce what was found (once a minute on the timer). */
  protected async round(scheduled: boolean): Promise<void> {
    await this.catchUp()
    const now = this.deps.now().getTime()
    if (scheduled && now - this.#announcedAt < ANNOUNCE_EVERY_MS) return
    await this.announce()
    this.#announcedAt = now
  }

  #catchingUp: Promise<boolean> | undefined

  /**
   * Folds every settled token record not folded yet, bounded per call; callers at the same time
   * share one run. Resolves true when nothing was left behind: the counts are current.
   */
  catchUp(): Promise<boolean> {
    this.#catchingUp ??= this.#catchUp().finally(() => (this.#catchingUp = undefined))
    return this.#catchingUp
  }

  async #catchUp(): Promise<boolean> {
    for (let round = 0; round < BATCHES_PER_ROUND; round++) {
      const started = performance.now()
      if (!(await this.#foldBatch())) return true
      // Token requests go first: the rollup takes at most a third of the event loop's time, so
      // a backlog (after a spell of full load) is folded over seconds instead of queueing them.
      await sleep(2 * (performance.now() - started))
    }
    return false
  }

  async #foldBatch(): Promise<boolean> {
    const { storage } = this.deps
    const from = await storage.insights.rollupPosition()
    // SQLite has one writer, so ids become visible in order and nothing needs to settle.
    const settle = storage.dialect === 'postgres' ? SETTLE_MS : 0
    const before = new Date(this.deps.now().getTime() - settle + 1)
    const records = await storage.insights.tokenRecordsAfter(from, before, BATCH)
    if (records.length === 0) return false
    const usage = new Map<string, ScopeUsage>()
    for (const token of records) {
      const day = utcDay(token.issuedAt)
      for (const scope of token.scope.split(' ')) {
        if (scope === '') continue
        const key = `${token.tenantId}\n${token.clientId}\n${token.audience}\n${scope}\n${String(day)}`
        const entry = usage.get(key)
        if (entry === undefined)
          usage.set(key, {
            tenantId: token.tenantId,
            clientId: token.clientId,
            audience: token.audience,
            scope,
            day,
            tokens: 1,
            lastAt: token.issuedAt,
          })
        else {
          entry.tokens++
          entry.lastAt = Math.max(entry.lastAt, token.issuedAt)
        }
      }
    }
    const keys = new Map<
      string,
      Pick<TokenStream, 'tenantId' | 'clientId' | 'audience' | 'scopes'>
    >()
    for (const t of records)
      keys.set(streamKey({ ...t, scopes: t.scope }), { ...t, scopes: t.scope })
    const streams = new Map<string, TokenStream>()
    for (const s of await storage.insights.streams([...keys.values()])) streams.set(streamKey(s), s)
    for (const token of records) {
      const key = streamKey({ ...token, scopes: token.scope })
      streams.set(key, foldToken(streams.get(key), token))
    }
    const through = records.at(-1)?.id ?? from
    // Written only if no other node folded these records meanwhile: counts are never doubled.
    await storage.transaction(async (inner) => {
      await inner.tenants.lockForChange('insight-rollup')
      if ((await inner.insights.rollupPosition()) !== from) return
      await inner.insights.addUsage([...usage.values()])
      await inner.insights.saveStreams([...streams.values()])
      await inner.insights.setRollupPosition(through)
    })
    return records.length === BATCH
  }

  /** Audit records for findings not announced yet; webhooks deliver them. */
  async announce(): Promise<void> {
    const { storage } = this.deps
    const now = this.deps.now()
    // The notice and its record commit together: a finding is told exactly once.
    const once = (
      tenantId: string,
      key: string,
      event: Omit<AuditEvent, 'tenantId' | 'occurredAt' | 'actor'>,
    ) =>
      storage.transaction(async (inner) => {
        if (await inner.insights.claimNotice(tenantId, key, now))
          await inner.audit.append([
            { ...event, tenantId, occurredAt: now, actor: 'system:insights' },
          ])
      })
    for (const app of await storage.insights.expiringApplications(
      now,
      new Date(now.getTime() + EXPIRING_WITHIN_MS),
    )) {
      await once(app.tenantId, `expiring:${app.clientId}:${String(app.expiresAt)}`, {
        type: 'application.expiring',
        clientId: app.clientId,
        data: { name: app.name, expires_at: new Date(app.expiresAt).toISOString() },
      })
    }
    for (const secret of await storage.insights.secretsEndingInUse(
      now,
      new Date(now.getTime() + OVERLAP_ENDING_MS),
      new Date(now.getTime() - OVERLAP_ENDING_MS),
    )) {
      await once(secret.tenantId, `still-in-use:${secret.secretId}`, {
        type: 'application.secret_still_in_use',
        clientId: secret.clientId,
        data: {
          secret_id: secret.secretId,
          hint: secret.hint,
          valid_until: new Date(secret.expiresAt).toISOString(),
          last_used_at: new Date(secret.lastUsedAt).toISOString(),
        },
      })
    }
    for (const stream of await storage.insights.churnSince(new Date(now.getTime() - DAY_MS))) {
      if (stream.churn === null) continue
      // The built-in admin application is the CLI's, which mints a token per command by design.
      if ((await storage.applications.get(stream.tenantId, stream.clientId))?.isBuiltIn !== false)
        continue
      await once(
        stream.tenantId,
        `churn:${stream.clientId}:${stream.audience}:${stream.scopes}:${String(utcDay(stream.churn.detectedAt))}`,
        {
          type: 'insight.found',
          clientId: stream.clientId,
          data: {
            kind: 'token_churn',
            audience: stream.audience,
            scope: stream.scopes,
            tokens_per_hour: stream.churn.tokensPerHour,
            avg_remaining_seconds: stream.churn.avgRemainingSeconds,
            lifetime_seconds: stream.churn.lifetimeSeconds,
          },
        },
      )
    }
  }
}
