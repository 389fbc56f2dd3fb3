import { useState } from 'preact/hooks'

import { api } from '../api/client'
import { ErrorMessage, Notice } from '../components/alert'
import { Link } from '../components/link'
import { plural } from '../lib/format'
import { navigate } from '../lib/router'
import { presetLabel } from '../lib/scopes'
import { useSession } from '../lib/session'
import { useAsync } from '../lib/use-async'
import { ApiForm, extraScopesOf } from '../components/api-form'
import { CatalogView } from '../components/catalog-view'

export function ApiPage({ id }: { id: string }) {
  const { tenant, canWrite } = useSession()
  const loaded = useAsync(
    async (signal) => {
      const { data, etag } = await api.get('/admin/v1/tenants/{tenant}/apis/{api}', {
        path: { tenant, api: id },
        signal,
      })
      return { item: data, etag }
    },
    [tenant, id],
  )
  const [editing, setEditing] = useState(false)
  const [notice, setNotice] = useState<string | undefined>(undefined)

  if (loaded.data === undefined) {
    return (
      <div class="page">
        <p class="breadcrumb">
          <Link href="/apis">APIs</Link>
        </p>
        {loaded.error === undefined ? (
          <p aria-busy="true">Loading…</p>
        ) : (
          <>
            <h1>API not available</h1>
            <ErrorMessage>{loaded.error}</ErrorMessage>
          </>
        )}
      </div>
    )
  }
  const { item, etag } = loaded.data
  const extra = extraScopesOf(item)
  return (
    <div class="page">
      <p class="breadcrumb">
        <Link href="/apis">APIs</Link> <span aria-hidden="true">/</span> {item.name}
      </p>
      <div class="page-header">
        <h1>
          {item.name} {item.built_in && <span class="tag">Built-in</span>}
          {item.shared && <span class="tag">Shared</span>}
        </h1>
        {canWrite && !item.read_only && !editing && (
          <button
            type="button"
            class="button"
            onClick={() => {
              setNotice(undefined)
              setEditing(true)
            }}
          >
            Edit API
          </button>
        )}
      </div>
      {notice !== undefined && <Notice tone="success">{notice}</Notice>}
      {item.shared && item.shared_with === null && (
        <p class="muted">
          This API is offered by the deployment to every tenant it is shared with. Its scopes are
          defined for you; grant them to your applications as for your own APIs.
        </p>
      )}
      {Object.keys(item.tenant_claims).length > 0 && (
        <p class="muted">
          Its tokens carry{' '}
          {Object.entries(item.tenant_claims).map(([claim, field], index) => (
            <span key={claim}>
              {index > 0 && ', '}
              <code>{claim}</code> (the tenant's {field})
            </span>
          ))}
          .
        </p>
      )}
      {editing ? (
        <ApiForm
          existing={item}
          onCancel={() => {
            setEditing(false)
          }}
          onSubmit={async (value) => {
            const result = await api.patch('/admin/v1/tenants/{tenant}/apis/{api}', {
              path: { tenant, api: item.id },
              ifMatch: etag,
              body: { name: value.name, scopes: value.scopes, catalog: value.catalog },
            })
            loaded.setData({ item: result.data.api, etag: result.etag })
            setEditing(false)
            const { removed_scopes: removed, affected_applications: affected } = result.data
            setNotice(
              removed.length === 0
                ? 'API saved.'
                : `API saved. ${plural(removed.length, 'scope')} removed (${removed.join(' ')}), taken away from ${plural(affected.length, 'application')}.`,
            )
          }}
        />
      ) : (
        <>
          <section class="card" aria-labelledby="api-details">
            <h2 id="api-details">Details</h2>
            <dl class="details">
              <dt>Audience</dt>
              <dd>
                <code>{item.audience}</code>
              </dd>
              <dt>Scopes</dt>
              <dd>{item.scopes.length}</dd>
              <dt>Updated</dt>
              <dd>{new Date(item.updated_at).toLocaleString()}</dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="api-catalog">
            <h2 id="api-catalog">Scope catalog</h2>
            {item.catalog === null ? (
              <>
                <p class="muted">No catalog: the scopes are a flat list.</p>
                <ul class="chips">
                  {item.scopes.map((s) => (
                    <li key={s}>
                      <code>{s}</code>
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <CatalogView catalog={item.catalog} extraScopes={extra} />
            )}
          </section>
          <section class="card" aria-labelledby="api-presets">
            <h2 id="api-presets">Presets</h2>
            <ul class="preset-list">
              {item.presets.map((p) => (
                <li key={p.name}>
                  <strong>{presetLabel(p)}</strong>
                  {p.description !== undefined && <span class="muted"> — {p.description}</span>}
                  <ul class="chips">
                    {p.scopes.map((s) => (
                      <li key={s}>
                        <code>{s}</code>
                      </li>
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
          </section>
        </>
      )}
    </div>
  )
}

export function NewApiPage() {
  const { tenant, canWrite } = useSession()
  if (!canWrite) {
    return (
      <div class="page">
        <h1>Register an API</h1>
        <p>Your role can view APIs but not register them.</p>
      </div>
    )
  }
  return (
    <div class="page">
      <p class="breadcrumb">
        <Link href="/apis">APIs</Link> <span aria-hidden="true">/</span> New
      </p>
      <h1>Register an API</h1>
      <ApiForm
        onCancel={() => {
          navigate('/apis')
        }}
        onSubmit={async (value) => {
          const { data } = await api.post('/admin/v1/tenants/{tenant}/apis', {
            path: { tenant },
            body: {
              audience: value.audience,
              name: value.name,
              scopes: value.scopes,
              ...(value.catalog !== null && { catalog: value.catalog }),
            },
          })
          navigate(`/apis/${encodeURIComponent(data.id)}`)
        }}
      />
    </div>
  )
}
