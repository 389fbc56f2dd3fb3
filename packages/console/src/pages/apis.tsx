import { useEffect, useState } from 'preact/hooks'

import { api, ApiError, messageOf } from '../api/client'
import type { Api, Catalog } from '../api/types'
import { ErrorMessage, Notice, Warning } from '../components/alert'
import { ConfirmDialog } from '../components/dialog'
import { describedBy, Field } from '../components/field'
import { FormActions } from '../components/form-actions'
import { Link } from '../components/link'
import { catalogToYaml, parseCatalog } from '../lib/catalog-file'
import { useApis } from '../lib/data'
import { plural } from '../lib/format'
import { navigate } from '../lib/router'
import { ACTION_LABELS, ACTIONS, catalogScopes, presetLabel, scopeOf, slugify } from '../lib/scopes'
import { useSession } from '../lib/session'
import { useAsync } from '../lib/use-async'

/** APIs (audiences) of the tenant with their scope catalogs and presets. */
export function ApisPage() {
  const { canWrite } = useSession()
  const apis = useApis()
  return (
    <div class="page">
      <p class="breadcrumb">Settings</p>
      <div class="page-header">
        <h1>APIs</h1>
        {canWrite && (
          <Link href="/apis/new" class="button button-primary">
            Register an API
          </Link>
        )}
      </div>
      <p class="hint">
        Each API is an audience with its scopes, organised as a catalog: categories, resources and
        Read / Create / Update / Delete, plus custom scopes and presets.
      </p>
      <ErrorMessage>{apis.error}</ErrorMessage>
      {apis.data === undefined && apis.error === undefined && <p aria-busy="true">Loading…</p>}
      {apis.data !== undefined && (
        <div class="table-wrap" role="region" aria-label="APIs" tabIndex={0}>
          <table class="table table-cards">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Audience</th>
                <th scope="col">Scopes</th>
                <th scope="col">Presets</th>
              </tr>
            </thead>
            <tbody>
              {apis.data.map((item) => (
                <tr key={item.id}>
                  <td data-label="Name">
                    <Link href={`/apis/${encodeURIComponent(item.id)}`} class="strong">
                      {item.name}
                    </Link>
                    {item.built_in && <span class="tag">Built-in</span>}
                  </td>
                  <td data-label="Audience">
                    <code>{item.audience}</code>
                  </td>
                  <td data-label="Scopes">{item.scopes.length}</td>
                  <td data-label="Presets">{item.presets.map((p) => presetLabel(p)).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}

/** A catalog shown as people read it: each category's resources and their actions. */
export function CatalogView({ catalog, extraScopes }: { catalog: Catalog; extraScopes: string[] }) {
  return (
    <div class="catalog-view">
      {catalog.categories.map((category) => (
        <div
          key={category.name}
          class="table-wrap"
          role="region"
          aria-label={`${category.name} scopes`}
          tabIndex={0}
        >
          <table class="table table-compact scope-table">
            <caption>{category.name}</caption>
            <thead>
              <tr>
                <th scope="col">Resource</th>
                {ACTIONS.map((a) => (
                  <th scope="col" key={a}>
                    {ACTION_LABELS[a]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {category.resources.map((r) => (
                <tr key={r.name}>
                  <th scope="row">
                    {r.name}
                    {r.description !== undefined && (
                      <span class="resource-description">{r.description}</span>
                    )}
                  </th>
                  {ACTIONS.map((a) => (
                    <td key={a}>
                      {r.actions.includes(a) ? (
                        <code class="scope-cell">{scopeOf(a, r.slug ?? slugify(r.name))}</code>
                      ) : (
                        <span class="not-offered" aria-label="not offered">
                          –
                        </span>
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      {(catalog.custom_scopes ?? []).length > 0 && (
        <>
          <h3>Custom scopes</h3>
          <ul class="scope-lines">
            {(catalog.custom_scopes ?? []).map((c) => (
              <li key={c.scope}>
                <code>{c.scope}</code>
                {c.description !== undefined && <span class="muted"> — {c.description}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      {extraScopes.length > 0 && (
        <>
          <h3>Other scopes</h3>
          <ul class="chips">
            {extraScopes.map((s) => (
              <li key={s}>
                <code>{s}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  )
}

function splitScopes(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((s) => s !== ''))]
}

/** Scopes of the API that its catalog does not define. */
function extraScopesOf(item: Api): string[] {
  const defined = new Set(catalogScopes(item))
  return item.scopes.filter((s) => !defined.has(s))
}

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
        </h1>
        {canWrite && !item.built_in && !editing && (
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
    <div class="page page-narrow">
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

interface ApiFormValue {
  name: string
  audience: string
  scopes: string[]
  catalog: Catalog | null
}

function ApiForm({
  existing,
  onSubmit,
  onCancel,
}: {
  existing?: Api
  onSubmit: (value: ApiFormValue) => Promise<void>
  onCancel: () => void
}) {
  const [name, setName] = useState(existing?.name ?? '')
  const [audience, setAudience] = useState(existing?.audience ?? '')
  const [scopesText, setScopesText] = useState(
    existing === undefined ? '' : extraScopesOf(existing).join(' '),
  )
  const [catalogText, setCatalogText] = useState('')
  const [catalog, setCatalog] = useState<Catalog | null>(existing?.catalog ?? null)
  const [catalogError, setCatalogError] = useState<string | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const [confirm, setConfirm] = useState<string[] | undefined>(undefined)

  useEffect(() => {
    if (existing?.catalog !== null && existing?.catalog !== undefined)
      void catalogToYaml(existing.catalog).then(setCatalogText)
  }, [existing])

  // Parse as the user types (or imports), so the preview and errors follow along.
  useEffect(() => {
    let current = true
    parseCatalog(catalogText).then(
      (parsed) => {
        if (!current) return
        setCatalog(
          parsed.categories.length === 0 &&
            (parsed.custom_scopes ?? []).length === 0 &&
            (parsed.presets ?? []).length === 0
            ? null
            : parsed,
        )
        setCatalogError(undefined)
      },
      (reason: unknown) => {
        if (!current) return
        setCatalogError(messageOf(reason))
      },
    )
    return () => {
      current = false
    }
  }, [catalogText])

  const value = (): ApiFormValue => ({
    name: name.trim(),
    audience: audience.trim(),
    scopes: splitScopes(scopesText),
    catalog,
  })

  const submit = async () => {
    setBusy(true)
    setError(undefined)
    try {
      await onSubmit(value())
    } catch (reason) {
      setBusy(false)
      if (reason instanceof ApiError) {
        setFieldErrors(
          Object.fromEntries(
            reason.fields.map((f) => [f.field.split('.')[0] ?? f.field, f.message]),
          ),
        )
      }
      setError(messageOf(reason))
    }
  }

  const scopesHint =
    'Scopes outside the catalog, separated by spaces, such as read:reports. With no catalog, these are all the scopes.'
  const catalogHint =
    'YAML or JSON: categories → resources with actions (read, create, update, delete), custom_scopes and presets. See examples/policies-catalog.yaml.'
  return (
    <>
      <form
        class="card"
        noValidate
        onSubmit={(e) => {
          e.preventDefault()
          if (catalogError !== undefined) {
            document.getElementById('api-catalog-text')?.focus()
            return
          }
          if (existing !== undefined) {
            const next = value()
            const kept = new Set([
              ...(next.catalog === null
                ? []
                : catalogScopes({ ...existing, catalog: next.catalog })),
              ...next.scopes,
            ])
            const removed = existing.scopes.filter((s) => !kept.has(s))
            if (removed.length > 0) {
              setConfirm(removed)
              return
            }
          }
          void submit()
        }}
      >
        <Field id="api-name" label="Name" error={fieldErrors['name']}>
          <input
            id="api-name"
            type="text"
            required
            maxLength={200}
            value={name}
            aria-invalid={fieldErrors['name'] !== undefined}
            aria-describedby={describedBy('api-name', undefined, fieldErrors['name'])}
            onInput={(e) => {
              setName(e.currentTarget.value)
            }}
          />
        </Field>
        {existing === undefined ? (
          <Field
            id="api-audience"
            label="Audience"
            hint="The identifier tokens are issued for, usually the API's base URL. It cannot change later."
            error={fieldErrors['audience']}
          >
            <input
              id="api-audience"
              type="text"
              required
              maxLength={512}
              placeholder="https://api.example.com"
              spellcheck={false}
              value={audience}
              aria-invalid={fieldErrors['audience'] !== undefined}
              aria-describedby={describedBy('api-audience', 'hint', fieldErrors['audience'])}
              onInput={(e) => {
                setAudience(e.currentTarget.value)
              }}
            />
          </Field>
        ) : (
          <p>
            Audience: <code>{existing.audience}</code>
          </p>
        )}
        <Field
          id="api-catalog-text"
          label="Scope catalog"
          optional
          hint={catalogHint}
          error={catalogError ?? fieldErrors['catalog']}
        >
          <textarea
            id="api-catalog-text"
            class="code-input"
            rows={12}
            spellcheck={false}
            value={catalogText}
            aria-invalid={catalogError !== undefined}
            aria-describedby={describedBy(
              'api-catalog-text',
              catalogHint,
              catalogError ?? fieldErrors['catalog'],
            )}
            onInput={(e) => {
              setCatalogText(e.currentTarget.value)
            }}
          />
        </Field>
        <div class="field">
          <label for="api-catalog-file">Import a catalog file</label>
          <input
            id="api-catalog-file"
            type="file"
            accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"
            onChange={(e) => {
              const file = e.currentTarget.files?.[0]
              if (file === undefined) return
              file.text().then(setCatalogText, () => {
                setCatalogError('The file could not be read.')
              })
            }}
          />
        </div>
        <Field
          id="api-scopes"
          label="Other scopes"
          optional
          hint={scopesHint}
          error={fieldErrors['scopes']}
        >
          <textarea
            id="api-scopes"
            class="code-input"
            rows={2}
            spellcheck={false}
            value={scopesText}
            aria-describedby={describedBy('api-scopes', scopesHint, fieldErrors['scopes'])}
            onInput={(e) => {
              setScopesText(e.currentTarget.value)
            }}
          />
        </Field>
        {catalog !== null && catalogError === undefined && (
          <section class="preview" aria-labelledby="catalog-preview">
            <h2 id="catalog-preview">Preview</h2>
            <CatalogView catalog={catalog} extraScopes={splitScopes(scopesText)} />
            {(catalog.presets ?? []).length > 0 && (
              <>
                <h3>Presets</h3>
                <ul class="scope-lines">
                  {(catalog.presets ?? []).map((p) => (
                    <li key={p.name}>
                      <strong>{p.name}</strong>: {p.scopes.join(' ')}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </section>
        )}
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions
          submit={existing === undefined ? 'Register API' : 'Save API'}
          busyLabel="Saving…"
          busy={busy}
          cancel={onCancel}
        />
      </form>
      <ConfirmDialog
        title="Remove scopes from this API?"
        open={confirm !== undefined}
        onClose={() => {
          setConfirm(undefined)
        }}
        confirmLabel="Remove scopes and save"
        danger
        onConfirm={submit}
      >
        <p>
          These scopes will no longer exist and are taken away from every application and user that
          holds them:
        </p>
        <ul class="chips">
          {(confirm ?? []).map((s) => (
            <li key={s}>
              <code>{s}</code>
            </li>
          ))}
        </ul>
        <Warning>Integrations that request them will get invalid_scope.</Warning>
      </ConfirmDialog>
    </>
  )
}
