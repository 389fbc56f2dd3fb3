import { useEffect, useState } from 'preact/hooks'

import { ApiError, messageOf } from '../api/client'
import type { Api, Catalog } from '../api/types'
import { ErrorMessage, Warning } from './alert'
import { ConfirmDialog } from './dialog'
import { describedBy, Field } from './field'
import { FormActions } from './form-actions'
import { catalogToYaml, parseCatalog } from '../lib/catalog-file'
import { catalogScopes } from '../lib/scopes'
import { CatalogView } from './catalog-view'

function splitScopes(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((s) => s !== ''))]
}

/** Scopes of the API that its catalog does not define. */
export function extraScopesOf(item: Api): string[] {
  const defined = new Set(catalogScopes(item))
  return item.scopes.filter((s) => !defined.has(s))
}

export interface ApiFormValue {
  name: string
  audience: string
  scopes: string[]
  catalog: Catalog | null
}

export function ApiForm({
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
