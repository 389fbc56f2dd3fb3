import { useState } from 'preact/hooks'

import { api, messageOf } from '../api/client'
import type { AuditEvent, AuditEventType } from '../api/types'
import { ErrorMessage, Notice } from '../components/alert'
import { Field } from '../components/field'
import { Link } from '../components/link'
import { Pager } from '../components/pager'
import { DateTime } from '../components/time'
import { plural } from '../lib/format'
import { navigate, withQuery, type Location } from '../lib/router'
import { useSession } from '../lib/session'
import { useAsync, useCursor } from '../lib/use-async'
import { AuditIntegrity, AuditSinks } from './audit-integrity'

/** A label for every audit record type the server writes (the compiler checks none is missing). */
const EVENT_LABELS: Record<AuditEventType, string> = {
  'token.issued': 'Token issued',
  'token.refused': 'Token refused',
  'token.revoked': 'Token revoked',
  'refresh_token.reuse_detected': 'Refresh token reused',
  'application.created': 'Application created',
  'application.updated': 'Application updated',
  'application.secret_rotated': 'Secret rotated',
  'application.secret_leaked': 'Secret reported as leaked',
  'application.expiring': 'Application expires soon',
  'application.secret_still_in_use': 'Secret still in use near the end of its overlap',
  'insight.found': 'Insight found',
  'application.overlap_ended': 'Overlap ended',
  'application.key_added': 'Key added',
  'application.key_removed': 'Key removed',
  'application.trust_added': 'Trust policy added',
  'application.trust_removed': 'Trust policy removed',
  'application.revoked': 'Application revoked',
  'application.expired': 'Application expired',
  'application.deleted': 'Application deleted',
  'api.created': 'API created',
  'api.updated': 'API updated',
  'api.deleted': 'API deleted',
  'keys.rotated': 'Keys rotated',
  'audit.key_rotated': 'Audit key rotated',
  'audit.pruned': 'Old audit records removed',
  'audit.sink_added': 'Audit sink added',
  'audit.sink_removed': 'Audit sink removed',
  'webhook.added': 'Webhook added',
  'webhook.updated': 'Webhook updated',
  'webhook.removed': 'Webhook removed',
  'tenant.created': 'Tenant created',
  'tenant.updated': 'Tenant settings changed',
  'tenant.suspended': 'Tenant suspended',
  'tenant.resumed': 'Tenant resumed',
  'tenant.deleted': 'Tenant deleted',
  'portal_link.created': 'Portal link created',
  'config.applied': 'Configuration applied',
  'user.created': 'User created',
  'user.updated': 'User updated',
  'user.password_changed': 'User password changed',
  'user.disabled': 'User disabled',
  'user.enabled': 'User enabled',
  'user.unlocked': 'User unlocked',
  'user.deleted': 'User deleted',
  'administrator.created': 'Administrator created',
  'administrator.updated': 'Administrator updated',
  'administrator.password_changed': 'Administrator password changed',
  'administrator.deleted': 'Administrator deleted',
  'administrator.signed_in': 'Administrator signed in',
  'administrator.signed_out': 'Administrator signed out',
  'administrator.sign_in_failed': 'Administrator sign-in failed',
}

/** The types offered in the filter, in the order above. */
export const EVENT_TYPES = Object.keys(EVENT_LABELS) as AuditEventType[]

export function eventLabel(type: AuditEventType): string {
  return EVENT_LABELS[type]
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '—'
  if (Array.isArray(value))
    return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ')
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function clip(value: string, max = 160): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value
}

function scopesOfGrants(value: unknown): Set<string> {
  const scopes = new Set<string>()
  if (Array.isArray(value))
    for (const grant of value as { audience?: string; scopes?: string[] }[])
      for (const scope of grant.scopes ?? []) scopes.add(scope)
  return scopes
}

const TOKEN_KEYS = ['scope', 'aud', 'ip', 'error', 'reason', 'description', 'error_description']
const NOISE = new Set([
  'jti',
  'sub',
  'exp',
  'secret_id',
  'auth_method',
  'grant_type',
  'previous_secret_id',
])

/** The interesting parts of an event's data in a line (never a secret: none is stored). */
export function describe(type: string, data: Record<string, unknown>): string {
  const before = data['before'] as Record<string, unknown> | undefined
  const after = data['after'] as Record<string, unknown> | undefined
  if (before !== undefined && after !== undefined) {
    const changes: string[] = []
    for (const key of Object.keys(after)) {
      if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue
      if (key === 'grants') {
        const was = scopesOfGrants(before[key])
        const now = scopesOfGrants(after[key])
        const added = [...now].filter((s) => !was.has(s)).map((s) => `+${s}`)
        const removed = [...was].filter((s) => !now.has(s)).map((s) => `−${s}`)
        changes.push(`scopes ${[...added, ...removed].join(' ') || 'reordered'}`)
      } else if (key !== 'version' && key !== 'updated_at' && key !== 'updatedAt') {
        changes.push(
          `${key.replace(/_/g, ' ')}: ${clip(text(before[key]), 60)} → ${clip(text(after[key]), 60)}`,
        )
      }
    }
    return changes.length === 0 ? 'no visible change' : changes.join(' · ')
  }
  if (after !== undefined) {
    const name = typeof after['name'] === 'string' ? `“${after['name']}”` : ''
    const scopes = scopesOfGrants(after['grants']).size
    return [
      name,
      'environment' in after ? text(after['environment']) : '',
      'grants' in after ? `${scopes} scopes` : '',
    ]
      .filter((x) => x !== '')
      .join(' · ')
  }
  if (before !== undefined) return typeof before['name'] === 'string' ? `“${before['name']}”` : ''
  const keys = type.startsWith('token.')
    ? TOKEN_KEYS.filter((k) => k in data)
    : Object.keys(data).filter((k) => !NOISE.has(k))
  return keys
    .filter((k) => data[k] !== null && data[k] !== undefined)
    .map((k) => `${k === 'aud' ? 'audience' : k.replace(/_/g, ' ')}: ${clip(text(data[k]))}`)
    .join(' · ')
}

/** What the console knows of each application, to name actors and applications. */
export type ApplicationNames = ReadonlyMap<string, { name: string; builtIn: boolean }>

/**
 * The tenant's applications by client id (the first 1000), so the log can show names, and the
 * built-in admin application (the CLI's) can be told apart.
 */
export function useApplicationNames() {
  const { tenant } = useSession()
  return useAsync(
    async (signal): Promise<ApplicationNames> => {
      const names = new Map<string, { name: string; builtIn: boolean }>()
      let cursor: string | undefined
      for (let page = 0; page < 5; page++) {
        const { data } = await api.get('/admin/v1/tenants/{tenant}/applications', {
          path: { tenant },
          query: { limit: 200, cursor },
          signal,
        })
        for (const app of data.items)
          names.set(app.client_id, { name: app.name, builtIn: app.built_in })
        if (data.next_cursor === null) break
        cursor = data.next_cursor
      }
      return names
    },
    [tenant],
  )
}

/** "client:tmc_…" → the application's name; "admin:alice" → "alice (console)". */
function actorLabel(actor: string, names: ApplicationNames, selfClientId?: string): string {
  if (selfClientId !== undefined && actor === `client:${selfClientId}`) return 'this application'
  if (actor.startsWith('admin:')) return `${actor.slice(6)} (console)`
  if (actor === 'system') return 'Tokenmint'
  if (actor.startsWith('client:')) {
    const known = names.get(actor.slice(7))
    if (known !== undefined) return known.builtIn ? `${known.name} (CLI)` : known.name
  }
  return actor
}

/** A token the CLI got for itself: the built-in admin application's `token.issued`. */
function isCliToken(event: AuditEvent, names: ApplicationNames): boolean {
  return (
    event.type === 'token.issued' &&
    event.client_id !== null &&
    names.get(event.client_id)?.builtIn === true
  )
}

function cliTokensHidden(events: AuditEvent[], names: ApplicationNames | undefined): string {
  const count = events.filter((e) => isCliToken(e, names ?? new Map())).length
  if (count === 0) return 'None on this page.'
  return `${plural(count, 'token')} the CLI issued to itself ${count === 1 ? 'is' : 'are'} hidden on this page.`
}

export function AuditTable({
  events,
  showApplication,
  label,
  selfClientId,
  names = new Map(),
  hideCli = false,
}: {
  events: AuditEvent[]
  showApplication: boolean
  label: string
  /** On an application's page: its own client id, shown as "this application". */
  selfClientId?: string
  names?: ApplicationNames | undefined
  /** Leave out the CLI's own tokens (the page says how many). */
  hideCli?: boolean
}) {
  const shown = hideCli ? events.filter((e) => !isCliToken(e, names)) : events
  if (shown.length === 0)
    return (
      <p class="muted">{events.length === 0 ? 'No events.' : 'No other events on this page.'}</p>
    )
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table class="table table-cards audit-table">
        <colgroup>
          <col class="audit-col-when" />
          <col class="audit-col-event" />
          <col class="audit-col-by" />
          {showApplication && <col class="audit-col-app" />}
          <col />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">By</th>
            {showApplication && <th scope="col">Application</th>}
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((event) => {
            const app = event.client_id === null ? undefined : names.get(event.client_id)
            return (
              <tr key={event.id}>
                <td data-label="When" class="audit-when">
                  <DateTime iso={event.occurred_at} />
                </td>
                <td data-label="Event" class="audit-event">
                  <span class={`event event-${event.type.replace(/[^a-z]+/g, '-')}`}>
                    {eventLabel(event.type)}
                  </span>
                </td>
                <td data-label="By" class="actor">
                  {actorLabel(event.actor, names, selfClientId)}
                </td>
                {showApplication && (
                  <td data-label="Application" class="audit-app">
                    {event.client_id === null ? (
                      <span class="muted">—</span>
                    ) : (
                      <Link
                        href={`/applications/${encodeURIComponent(event.client_id)}`}
                        title={event.client_id}
                      >
                        {app === undefined ? <code>{event.client_id}</code> : app.name}
                      </Link>
                    )}
                  </td>
                )}
                <td data-label="Details" class="audit-data">
                  {describe(event.type, event.data)}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}

interface Filters {
  client_id?: string
  type?: string
  since?: string
  until?: string
}

function filtersOf(query: URLSearchParams): Filters {
  const get = (k: string) => query.get(k) ?? undefined
  return {
    client_id: get('client_id'),
    type: get('type'),
    since: get('since'),
    until: get('until'),
  }
}

/** datetime-local (local time, no zone) → ISO 8601 for the API. */
function toIso(local: string | undefined): string | undefined {
  if (local === undefined || local === '') return undefined
  const date = new Date(local)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

function apiQuery(filters: Filters) {
  return {
    client_id: filters.client_id,
    type: filters.type,
    since: toIso(filters.since),
    until: toIso(filters.until),
  }
}

/** The tenant's audit log: filter by application, event type and time; export as JSON lines. */
export function AuditPage({ location }: { location: Location }) {
  const { tenant } = useSession()
  const filters = filtersOf(location.query)
  const key = JSON.stringify(filters)
  const pages = useCursor(key)
  const [draft, setDraft] = useState<Filters>(filters)
  const [draftKey, setDraftKey] = useState(key)
  if (draftKey !== key) {
    setDraftKey(key)
    setDraft(filters)
  }
  const [exporting, setExporting] = useState(false)
  const [exportError, setExportError] = useState<string | undefined>(undefined)
  const [exported, setExported] = useState<string | undefined>(undefined)
  const [showCliTokens, setShowCliTokens] = useState(false)
  const names = useApplicationNames()

  const events = useAsync(
    async (signal) =>
      (
        await api.get('/admin/v1/tenants/{tenant}/audit', {
          path: { tenant },
          query: { ...apiQuery(filters), limit: 50, cursor: pages.cursor },
          signal,
        })
      ).data,
    [tenant, key, pages.cursor],
  )

  const exportLines = async () => {
    setExporting(true)
    setExportError(undefined)
    setExported(undefined)
    try {
      const lines: string[] = []
      let cursor: string | undefined
      // Bounded: at most 100 pages of 1000 events in one file.
      for (let page = 0; page < 100; page++) {
        const { data } = await api.get('/admin/v1/tenants/{tenant}/audit', {
          path: { tenant },
          query: { ...apiQuery(filters), limit: 1000, cursor },
        })
        for (const event of data.items) lines.push(JSON.stringify(event))
        if (data.next_cursor === null) break
        cursor = data.next_cursor
      }
      const blob = new Blob(
        lines.map((l) => `${l}\n`),
        { type: 'application/x-ndjson' },
      )
      const url = URL.createObjectURL(blob)
      const link = document.createElement('a')
      link.href = url
      link.download = `tokenmint-audit-${tenant}-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.jsonl`
      document.body.append(link)
      link.click()
      link.remove()
      setTimeout(() => {
        URL.revokeObjectURL(url)
      }, 10_000)
      setExported(`Exported ${plural(lines.length, 'event')} as JSON lines.`)
    } catch (error) {
      setExportError(messageOf(error))
    } finally {
      setExporting(false)
    }
  }

  return (
    <div class="page">
      <div class="page-header">
        <h1>Audit log</h1>
        <button
          type="button"
          class="button"
          disabled={exporting}
          onClick={() => void exportLines()}
        >
          {exporting ? 'Exporting…' : 'Export JSON lines'}
        </button>
      </div>
      <p class="hint">
        Every administrative change and every token issued or refused. Secrets and tokens are never
        recorded.
      </p>
      <ErrorMessage>{exportError}</ErrorMessage>
      {exported !== undefined && <Notice tone="success">{exported}</Notice>}
      <AuditIntegrity />
      <AuditSinks />
      <form
        class="filters"
        role="search"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault()
          navigate(withQuery('/audit', { ...draft }))
        }}
      >
        <Field id="audit-app" label="Application (client ID)">
          <input
            id="audit-app"
            type="text"
            autoComplete="off"
            spellcheck={false}
            value={draft.client_id ?? ''}
            onInput={(e) => {
              setDraft({ ...draft, client_id: e.currentTarget.value })
            }}
          />
        </Field>
        <Field id="audit-type" label="Event type">
          <select
            id="audit-type"
            value={draft.type ?? ''}
            onChange={(e) => {
              setDraft({ ...draft, type: e.currentTarget.value })
            }}
          >
            <option value="">All events</option>
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {eventLabel(t)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="audit-since" label="From">
          <input
            id="audit-since"
            type="datetime-local"
            value={draft.since ?? ''}
            onInput={(e) => {
              setDraft({ ...draft, since: e.currentTarget.value })
            }}
          />
        </Field>
        <Field id="audit-until" label="Until">
          <input
            id="audit-until"
            type="datetime-local"
            value={draft.until ?? ''}
            onInput={(e) => {
              setDraft({ ...draft, until: e.currentTarget.value })
            }}
          />
        </Field>
        <div class="filters-actions">
          <button type="submit" class="button button-primary">
            Apply filters
          </button>
          <button
            type="button"
            class="button"
            onClick={() => {
              navigate('/audit')
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorMessage>{events.error}</ErrorMessage>
      {events.data === undefined && events.error === undefined && <p aria-busy="true">Loading…</p>}
      {events.data !== undefined && (
        <>
          <div class="audit-options">
            <input
              type="checkbox"
              id="audit-show-cli"
              checked={showCliTokens}
              onChange={(e) => {
                setShowCliTokens(e.currentTarget.checked)
              }}
            />
            <label for="audit-show-cli">Show each token the CLI issued to itself</label>
            {!showCliTokens && (
              <span class="hint" role="status">
                {cliTokensHidden(events.data.items, names.data)}
              </span>
            )}
          </div>
          <AuditTable
            events={events.data.items}
            showApplication
            label="Audit events"
            names={names.data}
            hideCli={!showCliTokens}
          />
          <Pager
            label="Audit pages"
            page={pages.page}
            hasPrevious={pages.hasPrevious}
            nextCursor={events.data.next_cursor}
            onPrevious={pages.previous}
            onNext={pages.next}
          />
        </>
      )}
    </div>
  )
}
