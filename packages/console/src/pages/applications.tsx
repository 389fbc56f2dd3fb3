import { useState } from 'preact/hooks'

import { api } from '../api/client'
import type { Api, Application } from '../api/types'
import { ErrorMessage, Notice } from '../components/alert'
import { ENVIRONMENTS } from '../components/application-fields'
import { Field } from '../components/field'
import { Link } from '../components/link'
import { Pager } from '../components/pager'
import { StatusBadge } from '../components/status-badge'
import { Time } from '../components/time'
import { useApis } from '../lib/data'
import { formatDate, formatDateTime, plural } from '../lib/format'
import { navigate, withQuery, type Location } from '../lib/router'
import { useSession } from '../lib/session'
import { useAsync, useCursor } from '../lib/use-async'

interface Filters {
  q: string
  environment: string
  status: string
}

const STATUSES = ['active', 'revoked', 'expired'] as const

function isStatus(value: string): value is (typeof STATUSES)[number] {
  return (STATUSES as readonly string[]).includes(value)
}

function scopeCount(app: Application): number {
  return app.grants.reduce((n, g) => n + g.scopes.length, 0)
}

/** Settings → OAuth Applications: search, filter by environment and status, paginate. */
export function ApplicationsPage({ location }: { location: Location }) {
  const { tenant, canWrite, isOwner } = useSession()
  const filters: Filters = {
    q: location.query.get('q') ?? '',
    environment: location.query.get('environment') ?? '',
    status: location.query.get('status') ?? '',
  }
  const deleted = location.query.get('deleted')
  const key = JSON.stringify(filters)
  const pages = useCursor(key)
  const [search, setSearch] = useState(filters.q)
  const apis = useApis()

  const list = useAsync(
    async (signal) => {
      const { data } = await api.get('/admin/v1/tenants/{tenant}/applications', {
        path: { tenant },
        // The server applies the filters, so every page is exact.
        query: {
          limit: 50,
          cursor: pages.cursor,
          ...(filters.environment !== '' && { environment: filters.environment }),
          ...(isStatus(filters.status) && { status: filters.status }),
          ...(filters.q.trim() !== '' && { q: filters.q.trim() }),
        },
        signal,
      })
      return data
    },
    [tenant, key, pages.cursor],
  )

  const apply = (patch: Partial<Filters>) => {
    navigate(withQuery('/applications', { ...filters, ...patch }))
  }
  const items = list.data?.items ?? []
  // The built-in admin application is the CLI's, not an integration: it is listed apart.
  const customers = items.filter((a) => !a.built_in)
  const builtIn = items.filter((a) => a.built_in)
  const environments = [
    ...new Set([...ENVIRONMENTS, ...(list.data?.items.map((a) => a.environment) ?? [])]),
  ]
  const filtered = filters.q !== '' || filters.environment !== '' || filters.status !== ''

  return (
    <div class="page">
      <p class="breadcrumb">Settings</p>
      <div class="page-header">
        <h1>OAuth Applications</h1>
        {canWrite && (
          <Link href="/applications/new" class="button button-primary">
            Create OAuth Application
          </Link>
        )}
      </div>
      <p class="hint">
        One application per integration and environment. Each gets a client ID and secret to
        exchange for short-lived, scoped access tokens.
      </p>
      {deleted !== null && <Notice tone="success">Deleted “{deleted}”.</Notice>}
      <form
        class="filters"
        role="search"
        aria-label="Filter applications"
        onSubmit={(e) => {
          e.preventDefault()
          apply({ q: search })
        }}
      >
        <Field id="app-search" label="Search">
          <input
            id="app-search"
            type="search"
            placeholder="Name or client ID"
            value={search}
            onInput={(e) => {
              setSearch(e.currentTarget.value)
            }}
          />
        </Field>
        <Field id="app-env-filter" label="Environment">
          <select
            id="app-env-filter"
            value={filters.environment}
            onChange={(e) => {
              apply({ q: search, environment: e.currentTarget.value })
            }}
          >
            <option value="">All environments</option>
            {environments.map((env) => (
              <option key={env} value={env}>
                {env}
              </option>
            ))}
          </select>
        </Field>
        <Field id="app-status-filter" label="Status">
          <select
            id="app-status-filter"
            value={filters.status}
            onChange={(e) => {
              apply({ q: search, status: e.currentTarget.value })
            }}
          >
            <option value="">All statuses</option>
            <option value="active">Active</option>
            <option value="revoked">Revoked</option>
            <option value="expired">Expired</option>
          </select>
        </Field>
        <div class="filters-actions">
          <button type="submit" class="button">
            Search
          </button>
          {filtered && (
            <button
              type="button"
              class="button"
              onClick={() => {
                setSearch('')
                navigate('/applications')
              }}
            >
              Clear
            </button>
          )}
        </div>
      </form>
      <ErrorMessage>{list.error}</ErrorMessage>
      {list.data === undefined && list.error === undefined && (
        <p aria-busy="true">Loading applications…</p>
      )}
      {list.data !== undefined && (
        <>
          <p class="muted" role="status">
            {`${plural(items.length, 'application')}${filtered ? ' match' : ''}${list.data.next_cursor === null ? '' : ' on this page'}.`}
          </p>
          {items.length === 0 ? (
            <div class="empty">
              {filtered ? (
                <p>No application matches these filters.</p>
              ) : (
                <>
                  <p>No OAuth application yet.</p>
                  {canWrite && (
                    <Link href="/applications/new" class="button button-primary">
                      Create OAuth Application
                    </Link>
                  )}
                </>
              )}
            </div>
          ) : (
            <>
              {customers.length === 0 ? (
                <p class="muted">No customer integration{filtered ? ' matches' : ' yet'}.</p>
              ) : (
                <ApplicationTable items={customers} label="Applications" apis={apis.data ?? []} />
              )}
              {builtIn.length > 0 && (
                <section class="built-in-apps" aria-labelledby="built-in-title">
                  <h2 id="built-in-title">Built-in</h2>
                  <p class="hint">
                    The tenant's own admin application: the <code>tokenmint</code> CLI signs in with
                    its credentials. It is not a customer integration
                    {isOwner
                      ? '; revoking or deleting it stops the CLI.'
                      : ', and only an owner may change it.'}
                  </p>
                  <ApplicationTable
                    items={builtIn}
                    label="Built-in applications"
                    apis={apis.data ?? []}
                  />
                </section>
              )}
            </>
          )}
          <Pager
            label="Application pages"
            page={pages.page}
            hasPrevious={pages.hasPrevious}
            nextCursor={list.data.next_cursor}
            onPrevious={pages.previous}
            onNext={pages.next}
          />
        </>
      )}
    </div>
  )
}

/** What an application is for, in the Scopes column: its scopes, or what its credentials do. */
function ScopesCell({ app, apis }: { app: Application; apis: Api[] }) {
  if (app.can_introspect && scopeCount(app) === 0)
    return (
      <div>
        <span class="tag">API credentials</span>
        <span class="cell-note">Introspection and revocation feed</span>
      </div>
    )
  return (
    <div>
      <span title={app.grants.flatMap((g) => g.scopes).join(' ')}>
        {plural(scopeCount(app), 'scope')}
      </span>
      {app.grants.length > 0 && (
        <span class="cell-note">
          {app.grants
            .map((g) => apis.find((a) => a.audience === g.audience)?.name ?? g.audience)
            .join(', ')}
        </span>
      )}
    </div>
  )
}

function ApplicationTable({
  items,
  label,
  apis,
}: {
  items: Application[]
  label: string
  apis: Api[]
}) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table class="table table-cards">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Environment</th>
            <th scope="col">Client ID</th>
            <th scope="col">Status</th>
            <th scope="col">Scopes</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
          </tr>
        </thead>
        <tbody>
          {items.map((app) => (
            <tr key={app.client_id}>
              <td data-label="Name">
                {/* One block, so the card layout on phones keeps it beside its label. */}
                <div>
                  <Link href={`/applications/${encodeURIComponent(app.client_id)}`} class="strong">
                    {app.name}
                  </Link>
                  {app.built_in && <span class="tag tag-built-in">Built-in · CLI</span>}
                  {app.description !== '' && <span class="cell-note">{app.description}</span>}
                </div>
              </td>
              <td data-label="Environment">
                <span class="env">{app.environment}</span>
              </td>
              <td data-label="Client ID" class="client-id">
                <code>{app.client_id}</code>
              </td>
              <td data-label="Status">
                <StatusBadge status={app.status} />
              </td>
              <td data-label="Scopes">
                <ScopesCell app={app} apis={apis} />
              </td>
              <td data-label="Expires">
                {app.expires_at === null ? (
                  <span class="muted">Never</span>
                ) : (
                  <time dateTime={app.expires_at} title={formatDateTime(app.expires_at)}>
                    {formatDate(app.expires_at)}
                  </time>
                )}
              </td>
              <td data-label="Last used">
                <Time iso={app.last_used_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
