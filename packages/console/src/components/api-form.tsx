import { useState } from 'preact/hooks'

import { ApiError, messageOf } from '../api/client'
import type { Api, Catalog } from '../api/types'
import { ErrorMessage, Warning } from './alert'
import { ConfirmDialog } from './dialog'
import { describedBy, Field } from './field'
import { FormActions } from './form-actions'
import { plural } from '../lib/format'
import { catalogScopes } from '../lib/scopes'
import { definedScopes } from './catalog-draft'
import { CatalogEditor, useCatalogEditor } from './catalog-editor'

function splitScopes(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((s) => s !== ''))]
}

/** Scopes of the API that its catalog does not define. */
export function extraScopesOf(item: Api): string[] {
  const defined = new Set(catalogScopes(item))
  return item.scopes.filter((s) => !defined.has(s))
}

/** The scopes an edit takes away from the API. */
function removedScopes(existing: Api | undefined, next: ApiFormValue | undefined): string[] {
  if (existing === undefined || next === undefined) return []
  const kept = new Set([...definedScopes(next.catalog), ...next.scopes])
  return existing.scopes.filter((s) => !kept.has(s))
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
  const catalogEditor = useCatalogEditor(existing?.catalog ?? null)
  const [error, setError] = useState<string | undefined>(undefined)
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const [confirm, setConfirm] = useState<ApiFormValue | undefined>(undefined)

  const submit = async (value: ApiFormValue) => {
    setBusy(true)
    setError(undefined)
    try {
      await onSubmit(value)
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
  return (
    <>
      <form
        class="card"
        noValidate
        onSubmit={(e) => {
          e.preventDefault()
          const form = e.currentTarget
          void catalogEditor.read().then((reading) => {
            if (reading.problem !== undefined || reading.issues.length > 0) {
              setError(
                reading.problem === undefined
                  ? `The scope catalog has ${plural(reading.issues.length, 'problem')} to fix, marked above.`
                  : 'The scope catalog cannot be read: see the message under it.',
              )
              form.querySelector<HTMLElement>('.catalog-editor [aria-invalid="true"]')?.focus()
              return
            }
            const next: ApiFormValue = {
              name: name.trim(),
              audience: audience.trim(),
              scopes: splitScopes(scopesText),
              catalog: reading.catalog,
            }
            if (removedScopes(existing, next).length > 0) {
              setConfirm(next)
              return
            }
            void submit(next)
          })
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
        <CatalogEditor
          model={catalogEditor}
          extraScopes={splitScopes(scopesText)}
          serverError={fieldErrors['catalog']}
        />
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
        onConfirm={() => (confirm === undefined ? Promise.resolve() : submit(confirm))}
      >
        <p>
          These scopes will no longer exist and are taken away from every application and user that
          holds them:
        </p>
        <ul class="chips">
          {removedScopes(existing, confirm).map((s) => (
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
