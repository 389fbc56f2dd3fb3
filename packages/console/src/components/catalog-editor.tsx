import { useEffect, useState } from 'preact/hooks'

import { messageOf } from '../api/client'
import type { Catalog } from '../api/types'
import { catalogToYaml, parseCatalog } from '../lib/catalog-file'
import { plural } from '../lib/format'
import {
  catalogIssues,
  catalogOf,
  definedScopes,
  draftOf,
  issuePlace,
  type CatalogDraft,
  type CatalogIssue,
} from './catalog-draft'
import { CatalogTable } from './catalog-table'
import { Dialog } from './dialog'
import { describedBy, Field, nextId } from './field'

export type CatalogEditorView = 'table' | 'yaml'

const VIEW_KEY = 'tokenmint.console.catalog-view'

function storedView(): CatalogEditorView | undefined {
  try {
    const value = window.localStorage.getItem(VIEW_KEY)
    return value === 'table' || value === 'yaml' ? value : undefined
  } catch {
    return undefined
  }
}

function storeView(view: CatalogEditorView): void {
  try {
    window.localStorage.setItem(VIEW_KEY, view)
  } catch {
    // Private windows may refuse storage; the choice then lasts for this form only.
  }
}

/** What the editor holds now, as the admin API will receive it. */
export interface CatalogReading {
  catalog: Catalog | null
  /** Why the YAML cannot be read, if it cannot. */
  problem: string | undefined
  issues: CatalogIssue[]
}

function isEmpty(catalog: Catalog): boolean {
  return (
    catalog.categories.length === 0 &&
    (catalog.custom_scopes ?? []).length === 0 &&
    (catalog.presets ?? []).length === 0
  )
}

/**
 * The scope catalog being edited, as a table or as YAML. It opens in the table unless the
 * browser remembers that this administrator chose YAML. Switching converts one into the other.
 */
export function useCatalogEditor(initial: Catalog | null) {
  const [view, setView] = useState<CatalogEditorView>(() => storedView() ?? 'table')
  const [draft, setDraft] = useState<CatalogDraft>(() => draftOf(initial))
  const [yamlText, setYamlText] = useState('')
  // The catalog the YAML was last written from: until the text changes, it is read as that
  // catalog, so switching or saving before the YAML parser has loaded loses nothing.
  const [yamlFrom, setYamlFrom] = useState({ text: '', catalog: initial })
  const [yamlCatalog, setYamlCatalog] = useState<Catalog | null>(initial)
  const [yamlError, setYamlError] = useState<string | undefined>(undefined)

  const readYaml = async (text: string): Promise<Catalog | null> => {
    if (text === yamlFrom.text) return yamlFrom.catalog
    const parsed = await parseCatalog(text)
    return isEmpty(parsed) ? null : parsed
  }

  useEffect(() => {
    if (initial === null) return
    void catalogToYaml(initial).then((text) => {
      setYamlText((typed) => (typed === '' ? text : typed))
      setYamlFrom({ text, catalog: initial })
    })
  }, [initial])

  // Parse as the user types, so the preview and errors follow along.
  useEffect(() => {
    let current = true
    readYaml(yamlText).then(
      (parsed) => {
        if (!current) return
        setYamlCatalog(parsed)
        setYamlError(undefined)
      },
      (reason: unknown) => {
        if (current) setYamlError(messageOf(reason))
      },
    )
    return () => {
      current = false
    }
  }, [yamlText, yamlFrom])

  const catalog = view === 'table' ? catalogOf(draft) : yamlCatalog
  const problem = view === 'yaml' ? yamlError : undefined
  const reading: CatalogReading = {
    catalog: problem === undefined ? catalog : null,
    problem,
    issues: problem === undefined ? catalogIssues(catalog) : [],
  }

  /** Reads the catalog afresh (the YAML may have changed since it was last parsed). */
  const read = async (): Promise<CatalogReading> => {
    if (view === 'table') return reading
    try {
      const fresh = await readYaml(yamlText)
      return { catalog: fresh, problem: undefined, issues: catalogIssues(fresh) }
    } catch (reason) {
      return { catalog: null, problem: messageOf(reason), issues: [] }
    }
  }

  /** Switches views; false when the YAML cannot be read into the table. */
  const switchTo = async (next: CatalogEditorView): Promise<boolean> => {
    if (next === view) return true
    if (next === 'yaml') {
      const catalog = catalogOf(draft)
      const text = await catalogToYaml(catalog)
      setYamlText(text)
      setYamlFrom({ text, catalog })
    } else {
      try {
        setDraft(draftOf(await readYaml(yamlText)))
      } catch (reason) {
        setYamlError(messageOf(reason))
        return false
      }
    }
    storeView(next)
    setView(next)
    return true
  }

  /** Replaces the catalog with a pasted or uploaded one; throws a sentence when it cannot. */
  const importText = async (text: string): Promise<Catalog> => {
    const parsed = await parseCatalog(text)
    setDraft(draftOf(parsed))
    setYamlText(text)
    setYamlFrom({ text, catalog: isEmpty(parsed) ? null : parsed })
    return parsed
  }

  return { view, draft, setDraft, yamlText, setYamlText, reading, read, switchTo, importText }
}

export type CatalogEditorModel = ReturnType<typeof useCatalogEditor>

function summary(catalog: Catalog): string {
  const resources = catalog.categories.reduce((n, c) => n + c.resources.length, 0)
  return `Imported ${plural(catalog.categories.length, 'category', 'categories')}, ${plural(resources, 'resource')} and ${plural((catalog.custom_scopes ?? []).length, 'custom scope')}.`
}

/** The catalog part of the API form: the table or the YAML, import, and a live preview. */
export function CatalogEditor({
  model,
  extraScopes,
  serverError,
}: {
  model: CatalogEditorModel
  extraScopes: string[]
  serverError: string | undefined
}) {
  const { view, reading } = model
  const [ids] = useState(() => ({
    yaml: nextId('catalog-yaml'),
    file: nextId('catalog-file'),
    paste: nextId('catalog-paste'),
    pasteFile: nextId('catalog-paste-file'),
  }))
  const [importing, setImporting] = useState(false)
  const [pasted, setPasted] = useState('')
  const [importError, setImportError] = useState<string | undefined>(undefined)
  const [fileError, setFileError] = useState<string | undefined>(undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)

  const importFrom = async (text: string): Promise<void> => {
    setNotice(summary(await model.importText(text)))
  }

  const readFile = (file: File | undefined, onError: (message: string | undefined) => void) => {
    if (file === undefined) return
    file
      .text()
      .then(importFrom, () => Promise.reject(new Error('The file could not be read.')))
      .then(
        () => {
          onError(undefined)
          setImporting(false)
        },
        (reason: unknown) => {
          onError(messageOf(reason))
        },
      )
  }

  const defined = definedScopes(reading.catalog)
  const all = [...new Set([...defined, ...extraScopes])]
  const yamlHint =
    'YAML or JSON: categories → resources with actions (read, create, update, delete), custom_scopes and presets. See examples/policies-catalog.yaml.'
  const yamlError =
    reading.problem ??
    (view === 'yaml' && reading.issues.length > 0
      ? reading.issues.map((i) => `${issuePlace(i.path)}: ${i.message}`).join(' ')
      : serverError)

  return (
    <div class="catalog-editor">
      <h2 class="catalog-editor-title">Scope catalog</h2>
      <p class="hint">
        Each resource gives one scope per action, <code>action:slug</code>; the slug defaults to the
        name in kebab-case. Optional: an API can also have only a flat list of scopes.
      </p>
      <div class="catalog-toolbar">
        <button
          type="button"
          class="button button-small"
          onClick={() => {
            setNotice(undefined)
            void model.switchTo(view === 'table' ? 'yaml' : 'table').then((done) => {
              if (!done) document.getElementById(ids.yaml)?.focus()
            })
          }}
        >
          {view === 'table' ? 'Edit as YAML' : 'Edit as table'}
        </button>
        <button
          type="button"
          class="button button-small"
          onClick={() => {
            setPasted('')
            setImportError(undefined)
            setImporting(true)
          }}
        >
          Import YAML
        </button>
        <div class="catalog-file">
          <label for={ids.file}>Import a catalog file</label>
          <input
            id={ids.file}
            type="file"
            accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"
            aria-invalid={fileError !== undefined}
            aria-describedby={fileError === undefined ? undefined : `${ids.file}-error`}
            onChange={(e) => {
              readFile(e.currentTarget.files?.[0], setFileError)
            }}
          />
          {fileError !== undefined && (
            <p class="field-error" id={`${ids.file}-error`}>
              {fileError}
            </p>
          )}
        </div>
      </div>
      <p class="catalog-notice" role="status">
        {notice}
      </p>
      {view === 'table' ? (
        <>
          {serverError !== undefined && <p class="field-error">{serverError}</p>}
          <CatalogTable draft={model.draft} issues={reading.issues} onChange={model.setDraft} />
        </>
      ) : (
        <Field id={ids.yaml} label="Scope catalog (YAML or JSON)" hint={yamlHint} error={yamlError}>
          <textarea
            id={ids.yaml}
            class="code-input"
            rows={14}
            spellcheck={false}
            value={model.yamlText}
            aria-invalid={yamlError !== undefined}
            aria-describedby={describedBy(ids.yaml, yamlHint, yamlError)}
            onInput={(e) => {
              model.setYamlText(e.currentTarget.value)
            }}
          />
        </Field>
      )}
      {all.length > 0 && (
        <section class="preview" aria-labelledby={`${ids.yaml}-preview`}>
          <h2 id={`${ids.yaml}-preview`}>Preview</h2>
          <p>
            This API will define {plural(all.length, 'scope')}
            {reading.issues.length > 0 &&
              `, once ${plural(reading.issues.length, 'problem')} marked above ${reading.issues.length === 1 ? 'is' : 'are'} fixed`}
            :
          </p>
          <ul class="chips" aria-label="Scopes this API will define">
            {all.map((s) => (
              <li key={s}>
                <code>{s}</code>
              </li>
            ))}
          </ul>
          {(reading.catalog?.presets ?? []).length > 0 && (
            <>
              <h3>Presets</h3>
              <ul class="scope-lines">
                {(reading.catalog?.presets ?? []).map((p, i) => (
                  <li key={i}>
                    <strong>{p.name}</strong>: {p.scopes.join(' ')}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
      <Dialog
        title="Import YAML"
        open={importing}
        onClose={() => {
          setImporting(false)
        }}
        wide
      >
        <p>The imported catalog replaces the one in the table.</p>
        <Field id={ids.paste} label="YAML or JSON to import" hint={yamlHint} error={importError}>
          <textarea
            id={ids.paste}
            class="code-input"
            rows={12}
            spellcheck={false}
            value={pasted}
            aria-invalid={importError !== undefined}
            aria-describedby={describedBy(ids.paste, yamlHint, importError)}
            onInput={(e) => {
              setPasted(e.currentTarget.value)
            }}
          />
        </Field>
        <div class="field">
          <label for={ids.pasteFile}>Or choose a file</label>
          <input
            id={ids.pasteFile}
            type="file"
            accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"
            onChange={(e) => {
              readFile(e.currentTarget.files?.[0], setImportError)
            }}
          />
        </div>
        <div class="actions">
          <button
            type="button"
            class="button"
            onClick={() => {
              setImporting(false)
            }}
          >
            Cancel
          </button>
          <button
            type="button"
            class="button button-primary"
            onClick={() => {
              importFrom(pasted).then(
                () => {
                  setImporting(false)
                },
                (reason: unknown) => {
                  setImportError(messageOf(reason))
                  document.getElementById(ids.paste)?.focus()
                },
              )
            }}
          >
            Import
          </button>
        </div>
      </Dialog>
    </div>
  )
}
