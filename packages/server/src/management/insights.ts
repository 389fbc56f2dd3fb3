import type { Authority } from '../domain/authority.js'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import type { Application, ScopeGrant } from '../domain/model.js'
import { isQuotaRefusal } from '../domain/webhook-events.js'
import type { Storage } from '../storage/contract.js'
import { updateApplication } from './applications.js'
import type { ManagementDeps } from './deps.js'
import { EXPIRING_WITHIN_MS, OVERLAP_ENDING_MS, utcDay, type UsageRollup } from './usage-rollup.js'

/**
 * Least-privilege insight for one tenant, from what Tokenmint already holds: the folded token
 * records (what each application requested, per scope and day), what verifiers reported their
 * checks required, credentials' last use, expiries, churn and quota refusals. Read-only; the
 * one action it offers (removing unused scopes) goes through updateApplication and so through
 * every rule an edit does.
 */

export const DEFAULT_INSIGHT_DAYS = 30
/** A shorter window would call a scope used weekly "unused". */
export const MIN_REMOVAL_DAYS = 7
const DAY_MS = 86_400_000
/** Quota refusals read at most per answer. */
const MAX_REFUSALS_READ = 5_000

export interface ScopeInsight {
  audience: string
  scope: string
  lastRequestedAt: Date | null
  tokens: number
  tokensPerDay: number
  lastRequiredAt: Date | null
}

export type Finding =
  | {
      kind: 'unused_scopes'
      clientId: string
      name: string
      audience: string
      scopes: string[]
      message: string
    }
  | {
      kind: 'stale_application'
      clientId: string
      name: string
      lastUsedAt: Date | null
      message: string
    }
  | {
      kind: 'unused_credential'
      clientId: string
      name: string
      credentialId: string
      hint: string
      createdAt: Date
      message: string
    }
  | {
      kind: 'expiring_application'
      clientId: string
      name: string
      expiresAt: Date
      message: string
    }
  | {
      kind: 'secret_in_use_at_overlap_end'
      clientId: string
      name: string
      credentialId: string
      hint: string
      validUntil: Date
      lastUsedAt: Date
      message: string
    }
  | {
      kind: 'token_churn'
      clientId: string
      name: string
      audience: string
      scope: string
      tokensPerHour: number
      avgRemainingSeconds: number
      lifetimeSeconds: number
      detectedAt: Date
      message: string
    }
  | {
      kind: 'quota_exceeded'
      clientId: string
      name: string
      refusals: number
      lastAt: Date
      description: string
      message: string
    }

export interface Insights {
  days: number
  generatedAt: Date
  /** False while token records are still being folded: unused-scope findings wait. */
  complete: boolean
  findings: Finding[]
  /** Per application and scope, only when one application was asked about. */
  scopes?: ScopeInsight[]
}

const minutes = (seconds: number) =>
  seconds >= 120 ? `${String(Math.round(seconds / 60))} minutes` : `${String(seconds)} s`

export async function getInsights(
  deps: Pick<ManagementDeps, 'storage' | 'now'> & { rollup?: Pick<UsageRollup, 'catchUp'> },
  tenantId: string,
  options: { days?: number | undefined; clientId?: string | undefined } = {},
): Promise<Insights> {
  const days = options.days ?? DEFAULT_INSIGHT_DAYS
  if (!Number.isInteger(days) || days < 0 || days > 3650)
    throw new ValidationError('days', 'days must be a whole number from 0 (all history) to 3650')
  const { storage } = deps
  if ((await storage.tenants.get(tenantId)) === undefined)
    throw new NotFoundError('tenant', tenantId)
  // What was issued up to a few seconds ago counts, not only what the last background round saw.
  // While the rollup is still behind (a large backlog after an upgrade), scopes in use could look
  // unused: those findings wait until it has caught up.
  const current = (await deps.rollup?.catchUp()) ?? true
  const now = deps.now()
  const cutoff = days === 0 ? -Infinity : now.getTime() - days * DAY_MS
  // One application's page asks about it alone: read only that one.
  const one =
    options.clientId === undefined
      ? undefined
      : await storage.applications.get(tenantId, options.clientId)
  const applications =
    options.clientId === undefined
      ? await storage.applications.listAll(tenantId)
      : one === undefined
        ? []
        : [one]
  if (options.clientId !== undefined && applications.length === 0)
    throw new NotFoundError('application', options.clientId)
  const usage = await storage.insights.usage(
    tenantId,
    days === 0 ? 0 : utcDay(cutoff),
    options.clientId,
  )
  const requested = new Map<string, { lastAt: number; tokens: number; firstDay: number }>()
  for (const u of usage) {
    const key = `${u.clientId}\n${u.audience}\n${u.scope}`
    const entry = requested.get(key) ?? { lastAt: 0, tokens: 0, firstDay: u.day }
    entry.lastAt = Math.max(entry.lastAt, u.lastAt)
    entry.tokens += u.tokens
    entry.firstDay = Math.min(entry.firstDay, u.day)
    requested.set(key, entry)
  }
  const required = new Map<string, number>()
  for (const r of await storage.insights.requirements(tenantId, options.clientId))
    required.set(`${r.clientId}\n${r.audience}\n${r.scope}`, r.lastRequiredAt)

  const findings: Finding[] = []
  const scopes: ScopeInsight[] = []
  const byId = new Map(applications.map((a) => [a.clientId, a]))
  for (const app of applications) {
    if (app.status !== 'active') continue
    const oldEnough = app.createdAt.getTime() <= cutoff || days === 0
    for (const grant of app.grants) {
      const unused: string[] = []
      for (const scope of grant.scopes) {
        const key = `${app.clientId}\n${grant.audience}\n${scope}`
        const use = requested.get(key)
        const lastRequired = required.get(key)
        const windowDays =
          days === 0
            ? Math.max(1, utcDay(now.getTime()) - (use?.firstDay ?? utcDay(now.getTime())) + 1)
            : days
        scopes.push({
          audience: grant.audience,
          scope,
          lastRequestedAt: use === undefined ? null : new Date(use.lastAt),
          tokens: use?.tokens ?? 0,
          tokensPerDay: Math.round(((use?.tokens ?? 0) / windowDays) * 10) / 10,
          lastRequiredAt: lastRequired === undefined ? null : new Date(lastRequired),
        })
        const requestedInWindow = use !== undefined && use.lastAt >= cutoff
        const requiredInWindow = lastRequired !== undefined && lastRequired >= cutoff
        if (!requestedInWindow && !requiredInWindow) unused.push(scope)
      }
      if (unused.length > 0 && oldEnough && !app.isBuiltIn && current)
        findings.push({
          kind: 'unused_scopes',
          clientId: app.clientId,
          name: app.name,
          audience: grant.audience,
          scopes: unused,
          message: `${app.name} holds ${unused.join(' ')} on ${grant.audience} but ${days === 0 ? 'has never' : `has not in ${String(days)} days`} requested ${unused.length === 1 ? 'it' : 'them'}, nor has the API reported requiring ${unused.length === 1 ? 'it' : 'them'}: remove ${unused.length === 1 ? 'it' : 'them'}`,
        })
    }
    if (
      oldEnough &&
      !app.isBuiltIn &&
      (app.lastUsedAt === null || app.lastUsedAt.getTime() < cutoff)
    )
      findings.push({
        kind: 'stale_application',
        clientId: app.clientId,
        name: app.name,
        lastUsedAt: app.lastUsedAt,
        message:
          app.lastUsedAt === null
            ? `${app.name} has never requested a token: revoke it if nothing uses it`
            : `${app.name} has not requested a token in ${String(days)} days: revoke it if nothing uses it`,
      })
    if (app.expiresAt !== null && app.expiresAt.getTime() - now.getTime() <= EXPIRING_WITHIN_MS)
      findings.push({
        kind: 'expiring_application',
        clientId: app.clientId,
        name: app.name,
        expiresAt: app.expiresAt,
        message: `${app.name} expires on ${app.expiresAt.toISOString().slice(0, 10)}: extend it, or plan its replacement`,
      })
    await credentialFindings(storage, app, now, cutoff, oldEnough || days === 0, findings)
  }
  for (const stream of await storage.insights.tenantStreams(tenantId, options.clientId)) {
    const app = byId.get(stream.clientId)
    // The built-in admin application is the CLI's, which mints a token per command by design.
    if (stream.churn === null || app === undefined || app.isBuiltIn) continue
    if (stream.churn.detectedAt < Math.max(cutoff, now.getTime() - Math.max(days, 1) * DAY_MS))
      continue
    findings.push({
      kind: 'token_churn',
      clientId: app.clientId,
      name: app.name,
      audience: stream.audience,
      scope: stream.scopes,
      tokensPerHour: stream.churn.tokensPerHour,
      avgRemainingSeconds: stream.churn.avgRemainingSeconds,
      lifetimeSeconds: stream.churn.lifetimeSeconds,
      detectedAt: new Date(stream.churn.detectedAt),
      message: `${app.name} requests about ${String(stream.churn.tokensPerHour)} tokens an hour for ${stream.audience} and discards each with ${minutes(stream.churn.avgRemainingSeconds)} of its ${minutes(stream.churn.lifetimeSeconds)} left: cache the token until shortly before it expires (the @tokenmint/client SDK does), which also keeps it under its quota`,
    })
  }
  findings.push(...(await quotaFindings(storage, tenantId, options.clientId, byId, now, cutoff)))
  return {
    days,
    generatedAt: now,
    complete: current,
    findings,
    ...(options.clientId !== undefined && { scopes }),
  }
}

async function credentialFindings(
  storage: Storage,
  app: Application,
  now: Date,
  cutoff: number,
  oldEnough: boolean,
  findings: Finding[],
): Promise<void> {
  const credentials = await storage.applications.listCredentials(app.clientId)
  for (const c of [...credentials.secrets, ...credentials.keys]) {
    const hint = 'hint' in c ? c.hint : c.kid
    if (
      c.lastUsedAt === null &&
      oldEnough &&
      c.createdAt.getTime() <= Math.max(cutoff, now.getTime() - DAY_MS)
    )
      findings.push({
        kind: 'unused_credential',
        clientId: app.clientId,
        name: app.name,
        credentialId: c.id,
        hint,
        createdAt: c.createdAt,
        message: `${app.name}'s credential ${hint} has never been used: remove it if nothing holds it`,
      })
  }
  for (const s of credentials.secrets) {
    if (s.expiresAt === null || s.lastUsedAt === null) continue
    const left = s.expiresAt.getTime() - now.getTime()
    if (left <= 0 || left > 24 * OVERLAP_ENDING_MS) continue
    if (now.getTime() - s.lastUsedAt.getTime() > OVERLAP_ENDING_MS) continue
    findings.push({
      kind: 'secret_in_use_at_overlap_end',
      clientId: app.clientId,
      name: app.name,
      credentialId: s.id,
      hint: s.hint,
      validUntil: s.expiresAt,
      lastUsedAt: s.lastUsedAt,
      message: `${app.name}'s previous secret ${s.hint} stops working at ${s.expiresAt.toISOString()} and was used at ${s.lastUsedAt.toISOString()}: something still holds it; update it before the overlap ends`,
    })
  }
}

async function quotaFindings(
  storage: Storage,
  tenantId: string,
  clientId: string | undefined,
  byId: ReadonlyMap<string, Application>,
  now: Date,
  cutoff: number,
): Promise<Finding[]> {
  const since = new Date(Math.max(cutoff, now.getTime() - 30 * DAY_MS))
  const counts = new Map<string, { refusals: number; lastAt: Date; description: string }>()
  let cursor: string | undefined
  let read = 0
  do {
    const page = await storage.audit.list({
      tenantId,
      clientId,
      type: 'token.refused',
      since,
      limit: 500,
      cursor,
    })
    for (const event of page.items) {
      read++
      const data = event.data
      if (!isQuotaRefusal(data) || event.clientId === null) continue
      const reason = String(data['reason'])
      const entry = counts.get(event.clientId)
      if (entry === undefined)
        counts.set(event.clientId, {
          refusals: 1,
          lastAt: event.occurredAt,
          description: reason,
        })
      else entry.refusals++
    }
    cursor = page.items.length === 0 ? undefined : (page.nextCursor ?? undefined)
  } while (cursor !== undefined && read < MAX_REFUSALS_READ)
  const findings: Finding[] = []
  for (const [clientId, entry] of counts) {
    const app = byId.get(clientId)
    if (app === undefined) continue
    findings.push({
      kind: 'quota_exceeded',
      clientId,
      name: app.name,
      refusals: entry.refusals,
      lastAt: entry.lastAt,
      description: entry.description,
      message: `${app.name} was refused ${String(entry.refusals)} token${entry.refusals === 1 ? '' : 's'} over its quota, last at ${entry.lastAt.toISOString()}: ${entry.description}`,
    })
  }
  return findings
}

/**
 * The one-click fix: removes scopes from one of the application's grants (a grant left with none
 * goes). Only scopes insight found unused may be named, so a stale page cannot remove a scope
 * the application has started to use meanwhile.
 */
export async function removeUnusedScopes(
  deps: ManagementDeps & { rollup?: Pick<UsageRollup, 'catchUp'> },
  authority: Authority,
  tenantId: string,
  input: {
    clientId: string
    audience: string
    scopes: readonly string[]
    days?: number | undefined
  },
  /** The version the caller saw (If-Match); the edit fails if the application changed since. */
  expectedVersion?: number,
): Promise<Application> {
  if (input.scopes.length === 0)
    throw new ValidationError('scopes', 'name at least one scope to remove')
  if (input.days !== undefined && input.days !== 0 && input.days < MIN_REMOVAL_DAYS)
    throw new ValidationError(
      'days',
      `scopes are removed as unused over ${String(MIN_REMOVAL_DAYS)} days or more, or over all history (0)`,
    )
  const insights = await getInsights(deps, tenantId, { days: input.days, clientId: input.clientId })
  if (!insights.complete)
    throw new ConflictError(
      'insight is still catching up with the token records; try again in a minute',
    )
  const unused = new Set(
    insights.findings
      .filter((f) => f.kind === 'unused_scopes' && f.audience === input.audience)
      .flatMap((f) => (f.kind === 'unused_scopes' ? f.scopes : [])),
  )
  const inUse = input.scopes.filter((s) => !unused.has(s))
  if (inUse.length > 0)
    throw new ConflictError(
      `not unused: ${inUse.join(' ')} (requested or required within the window, or not granted); only scopes insight lists as unused are removed this way`,
    )
  const application = await deps.storage.applications.get(tenantId, input.clientId)
  if (application === undefined) throw new NotFoundError('application', input.clientId)
  const remove = new Set(input.scopes)
  const grants: ScopeGrant[] = application.grants
    .map((g) =>
      g.audience === input.audience ? { ...g, scopes: g.scopes.filter((s) => !remove.has(s)) } : g,
    )
    .filter((g) => g.scopes.length > 0)
  const { application: updated } = await updateApplication(
    deps,
    authority,
    tenantId,
    input.clientId,
    { grants },
    expectedVersion ?? application.version,
  )
  return updated
}

/** Entries one report may carry, as @tokenmint/verify sends them. */
export const MAX_REPORT_ENTRIES = 1000
/** Checks counted per entry at most: the running total stays far inside a bigint. */
const MAX_COUNT = 1_000_000_000

/**
 * A verifier's scope-use report: which scopes its checks required of which clients' tokens. The
 * reporter authenticated with an introspection-enabled application of the tenant; entries for
 * audiences that are not the tenant's APIs, or clients that are not its applications, are
 * dropped, so a report cannot plant rows for someone else. Answers how many entries were kept.
 */
export async function recordScopeUse(
  deps: Pick<ManagementDeps, 'storage' | 'now'>,
  tenantId: string,
  body: unknown,
): Promise<number> {
  const report = body as { audience?: unknown; uses?: unknown }
  if (typeof body !== 'object' || body === null || typeof report.audience !== 'string')
    throw new ValidationError('audience', 'a report is {"audience": "…", "uses": [...]}')
  if (!Array.isArray(report.uses) || report.uses.length > MAX_REPORT_ENTRIES)
    throw new ValidationError(
      'uses',
      `uses must be a list of at most ${String(MAX_REPORT_ENTRIES)} entries`,
    )
  const { storage } = deps
  const api = await storage.apis.getByAudience(tenantId, report.audience)
  if (api === undefined)
    throw new ValidationError('audience', `${report.audience} is not an API of this tenant`)
  const defined = new Set(api.scopes)
  const nowMs = deps.now().getTime()
  const entries: { clientId: string; scope: string; count: number; lastAt: number }[] = []
  for (const raw of report.uses as unknown[]) {
    const use = raw as { client_id?: unknown; scope?: unknown; count?: unknown; last_at?: unknown }
    if (
      typeof raw !== 'object' ||
      raw === null ||
      typeof use.client_id !== 'string' ||
      typeof use.scope !== 'string' ||
      use.scope.length === 0 ||
      use.scope.length > 200 ||
      use.client_id.length > 100 ||
      !Number.isSafeInteger(use.count) ||
      (use.count as number) < 1 ||
      typeof use.last_at !== 'number' ||
      !Number.isFinite(use.last_at)
    )
      throw new ValidationError(
        'uses',
        'each use is {"client_id": "…", "scope": "…", "count": n ≥ 1, "last_at": epoch seconds}',
      )
    // A clock ahead of ours cannot make a scope look required in the future.
    entries.push({
      clientId: use.client_id,
      scope: use.scope,
      count: use.count as number,
      lastAt: Math.min(Math.round(use.last_at * 1000), nowMs),
    })
  }
  // One entry per client and scope, of scopes the API defines, for the tenant's applications:
  // a report cannot plant rows for made-up scopes or clients.
  const merged = new Map<string, (typeof entries)[number]>()
  for (const e of entries) {
    if (!defined.has(e.scope)) continue
    const key = `${e.clientId}\n${e.scope}`
    const seen = merged.get(key)
    if (seen === undefined) merged.set(key, { ...e, count: Math.min(e.count, MAX_COUNT) })
    else {
      seen.count = Math.min(seen.count + e.count, MAX_COUNT)
      seen.lastAt = Math.max(seen.lastAt, e.lastAt)
    }
  }
  const clients = new Set<string>()
  for (const clientId of new Set([...merged.values()].map((e) => e.clientId))) {
    const app = await storage.applications.get(tenantId, clientId)
    if (app !== undefined) clients.add(clientId)
  }
  const kept = [...merged.values()].filter((e) => clients.has(e.clientId))
  await storage.insights.recordRequirements(
    kept.map((e) => ({
      tenantId,
      clientId: e.clientId,
      audience: report.audience as string,
      scope: e.scope,
      checks: e.count,
      lastRequiredAt: e.lastAt,
    })),
  )
  return kept.length
}
