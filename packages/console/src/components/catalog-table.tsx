import { useEffect, useState } from 'preact/hooks'

import type { CatalogAction } from '../api/types'
import { ACTION_LABELS, ACTIONS, scopeOf, slugify } from '../lib/scopes'
import {
  nextKey,
  resourceSlug,
  type CatalogDraft,
  type CatalogIssue,
  type CategoryDraft,
  type ResourceDraft,
} from './catalog-draft'
import { nextId } from './field'

interface CatalogTableProps {
  draft: CatalogDraft
  issues: CatalogIssue[]
  onChange: (draft: CatalogDraft) => void
}

/** An error under its field, wired by id to the control's aria-describedby. */
function CellError({ id, message }: { id: string; message: string | undefined }) {
  if (message === undefined) return null
  return (
    <p class="field-error" id={id}>
      {message}
    </p>
  )
}

function describe(...ids: (string | false | undefined)[]): string | undefined {
  const list = ids.filter((id): id is string => typeof id === 'string' && id !== '')
  return list.length === 0 ? undefined : list.join(' ')
}

interface CellInputProps {
  id: string
  /** What the label says; `row` is read to screen readers before it ("Preset 2 Name"). */
  label: string
  row: string
  value: string
  error?: string | undefined
  maxLength?: number
  /** Scope-like text: monospace, no spell check. */
  code?: boolean
  placeholder?: string
  /** Further ids that describe the input (the scopes a resource row defines). */
  describedBy?: string
  onInput: (value: string) => void
}

/** The last cell of a row: its Remove button, named for screen readers by what it removes. */
function RemoveCell({ what, onRemove }: { what: string; onRemove: () => void }) {
  return (
    <td class="catalog-cell-remove">
      <button type="button" class="button button-small" onClick={onRemove}>
        Remove<span class="visually-hidden"> {what}</span>
      </button>
    </td>
  )
}

/** One text cell: its label (visible on phones, where the column headers are gone) and error. */
function CellInput(props: CellInputProps) {
  const errorId = `${props.id}-error`
  return (
    <>
      <label class="cell-label" for={props.id}>
        <span class="visually-hidden">{props.row} </span>
        {props.label}
      </label>
      <input
        id={props.id}
        type="text"
        class={props.code === true ? 'code-input' : undefined}
        maxLength={props.maxLength}
        spellcheck={props.code === true ? false : undefined}
        value={props.value}
        placeholder={props.placeholder}
        aria-invalid={props.error !== undefined}
        aria-describedby={describe(props.error !== undefined && errorId, props.describedBy)}
        onInput={(e) => {
          props.onInput(e.currentTarget.value)
        }}
      />
      <CellError id={errorId} message={props.error} />
    </>
  )
}

/**
 * The scope catalog as tables: categories of resources (name, slug, description, one checkbox
 * per action) with the scopes each row defines, then custom scopes and presets. Every control
 * has a label (visible on phones, where the column headers are gone).
 */
export function CatalogTable({ draft, issues, onChange }: CatalogTableProps) {
  const [prefix] = useState(() => nextId('catalog'))
  const [focusId, setFocusId] = useState<string | undefined>(undefined)
  useEffect(() => {
    if (focusId === undefined) return
    document.getElementById(focusId)?.focus()
    setFocusId(undefined)
  }, [focusId])

  const issueAt = (path: string) => issues.find((i) => i.path === path)?.message
  const id = (...parts: (string | number)[]) => [prefix, ...parts].join('-')

  const setCategory = (ci: number, next: CategoryDraft) => {
    onChange({ ...draft, categories: draft.categories.map((c, i) => (i === ci ? next : c)) })
  }
  const setResource = (ci: number, ri: number, change: Partial<ResourceDraft>) => {
    const category = draft.categories[ci]
    if (category === undefined) return
    setCategory(ci, {
      ...category,
      resources: category.resources.map((r, i) => (i === ri ? { ...r, ...change } : r)),
    })
  }
  const toggleAction = (ci: number, ri: number, action: CatalogAction, on: boolean) => {
    const resource = draft.categories[ci]?.resources[ri]
    if (resource === undefined) return
    const actions = on
      ? ACTIONS.filter((a) => a === action || resource.actions.includes(a))
      : resource.actions.filter((a) => a !== action)
    setResource(ci, ri, { actions })
  }

  return (
    <div class="catalog-table-editor">
      {draft.categories.length === 0 && (
        <p class="muted">
          No categories yet. Add one, or import a catalog you already have in YAML or JSON.
        </p>
      )}
      {draft.categories.map((category, ci) => {
        const catName = category.name.trim() === '' ? `category ${ci + 1}` : category.name.trim()
        const nameError = issueAt(`categories.${ci}.name`)
        return (
          <fieldset class="catalog-category" key={category.key}>
            <legend>Category {ci + 1}</legend>
            <div class="catalog-category-head">
              <div class={`field${nameError === undefined ? '' : ' field-invalid'}`}>
                <label for={id(category.key, 'name')}>
                  Category name<span class="visually-hidden"> {ci + 1}</span>
                </label>
                <input
                  id={id(category.key, 'name')}
                  type="text"
                  maxLength={200}
                  value={category.name}
                  aria-invalid={nameError !== undefined}
                  aria-describedby={describe(
                    nameError !== undefined && id(category.key, 'name-error'),
                  )}
                  onInput={(e) => {
                    setCategory(ci, { ...category, name: e.currentTarget.value })
                  }}
                />
                <CellError id={id(category.key, 'name-error')} message={nameError} />
              </div>
              <button
                type="button"
                class="button button-small"
                onClick={() => {
                  onChange({ ...draft, categories: draft.categories.filter((_, i) => i !== ci) })
                  setFocusId(id('add-category'))
                }}
              >
                Remove category<span class="visually-hidden"> {catName}</span>
              </button>
            </div>
            {category.resources.length > 0 && (
              <table
                class="table table-compact catalog-table"
                aria-label={`${category.name.trim() === '' ? `Category ${ci + 1}` : category.name.trim()} resources`}
              >
                <thead>
                  <tr>
                    <th scope="col">Resource</th>
                    <th scope="col">Slug</th>
                    <th scope="col">Description</th>
                    {ACTIONS.map((a) => (
                      <th scope="col" key={a} class="catalog-col-action">
                        {ACTION_LABELS[a]}
                      </th>
                    ))}
                    <th scope="col" class="catalog-col-remove">
                      <span class="visually-hidden">Remove</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {category.resources.map((resource, ri) => {
                    const at = `categories.${ci}.resources.${ri}`
                    const rid = (part: string) => id(resource.key, part)
                    const errors = {
                      name: issueAt(`${at}.name`),
                      slug: issueAt(`${at}.slug`),
                      actions: issueAt(`${at}.actions`),
                    }
                    const slug = resourceSlug(resource)
                    const label =
                      resource.name.trim() === '' ? `resource ${ri + 1}` : resource.name.trim()
                    const scopes = slug === '' ? [] : resource.actions.map((a) => scopeOf(a, slug))
                    return (
                      <tr key={resource.key}>
                        <td class="catalog-cell-name">
                          <CellInput
                            id={rid('name')}
                            row={`Resource ${ri + 1}`}
                            label="Name"
                            maxLength={200}
                            value={resource.name}
                            error={errors.name}
                            describedBy={rid('scopes')}
                            onInput={(name) => {
                              setResource(ci, ri, { name })
                            }}
                          />
                          <p class="resource-scopes" id={rid('scopes')}>
                            <span class="visually-hidden">Scopes: </span>
                            {scopes.length === 0 ? (
                              <span class="muted">no scopes yet</span>
                            ) : (
                              scopes.map((s) => <code key={s}>{s}</code>)
                            )}
                          </p>
                          <CellError id={rid('actions-error')} message={errors.actions} />
                        </td>
                        <td>
                          <CellInput
                            id={rid('slug')}
                            row={`Resource ${ri + 1}`}
                            label="Slug"
                            code
                            maxLength={100}
                            value={resource.slug}
                            placeholder={slugify(resource.name)}
                            error={errors.slug}
                            onInput={(slug) => {
                              setResource(ci, ri, { slug })
                            }}
                          />
                        </td>
                        <td>
                          <CellInput
                            id={rid('description')}
                            row={`Resource ${ri + 1}`}
                            label="Description"
                            maxLength={1000}
                            value={resource.description}
                            onInput={(description) => {
                              setResource(ci, ri, { description })
                            }}
                          />
                        </td>
                        {ACTIONS.map((a) => (
                          <td key={a} class="catalog-cell-action">
                            <label class="action-check">
                              <input
                                type="checkbox"
                                checked={resource.actions.includes(a)}
                                aria-invalid={errors.actions !== undefined}
                                aria-describedby={describe(
                                  errors.actions !== undefined && rid('actions-error'),
                                )}
                                onChange={(e) => {
                                  toggleAction(ci, ri, a, e.currentTarget.checked)
                                }}
                              />
                              <span class="cell-label">{ACTION_LABELS[a]}</span>
                              <span class="visually-hidden"> {label}</span>
                            </label>
                          </td>
                        ))}
                        <RemoveCell
                          what={label}
                          onRemove={() => {
                            setCategory(ci, {
                              ...category,
                              resources: category.resources.filter((_, i) => i !== ri),
                            })
                            setFocusId(id(category.key, 'add-resource'))
                          }}
                        />
                      </tr>
                    )
                  })}
                </tbody>
              </table>
            )}
            <button
              type="button"
              class="button button-small"
              id={id(category.key, 'add-resource')}
              onClick={() => {
                const key = nextKey()
                setCategory(ci, {
                  ...category,
                  resources: [
                    ...category.resources,
                    { key, name: '', slug: '', description: '', actions: ['read'] },
                  ],
                })
                setFocusId(id(key, 'name'))
              }}
            >
              Add resource<span class="visually-hidden"> to {catName}</span>
            </button>
          </fieldset>
        )
      })}
      <div class="catalog-add">
        <button
          type="button"
          class="button"
          id={id('add-category')}
          onClick={() => {
            const key = nextKey()
            onChange({
              ...draft,
              categories: [...draft.categories, { key, name: '', resources: [] }],
            })
            setFocusId(id(key, 'name'))
          }}
        >
          Add category
        </button>
      </div>

      <h3>Custom scopes</h3>
      <p class="hint">Scopes outside the resource pattern, such as connectors.self:write.</p>
      {draft.customScopes.length > 0 && (
        <table class="table table-compact catalog-table" aria-label="Custom scopes">
          <thead>
            <tr>
              <th scope="col">Scope</th>
              <th scope="col">Description</th>
              <th scope="col" class="catalog-col-remove">
                <span class="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {draft.customScopes.map((custom, i) => {
              const error = issueAt(`custom_scopes.${i}.scope`)
              const cid = (part: string) => id(custom.key, part)
              const set = (change: Partial<typeof custom>) => {
                onChange({
                  ...draft,
                  customScopes: draft.customScopes.map((c, j) =>
                    j === i ? { ...c, ...change } : c,
                  ),
                })
              }
              return (
                <tr key={custom.key}>
                  <td class="catalog-cell-name">
                    <label class="cell-label" for={cid('scope')}>
                      Custom scope<span class="visually-hidden"> {i + 1}</span>
                    </label>
                    <input
                      id={cid('scope')}
                      type="text"
                      class="code-input"
                      maxLength={200}
                      spellcheck={false}
                      value={custom.scope}
                      aria-invalid={error !== undefined}
                      aria-describedby={describe(error !== undefined && cid('scope-error'))}
                      onInput={(e) => {
                        set({ scope: e.currentTarget.value })
                      }}
                    />
                    <CellError id={cid('scope-error')} message={error} />
                  </td>
                  <td>
                    <CellInput
                      id={cid('description')}
                      row={`Custom scope ${i + 1}`}
                      label="Description"
                      maxLength={1000}
                      value={custom.description}
                      onInput={(description) => {
                        set({ description })
                      }}
                    />
                  </td>
                  <RemoveCell
                    what={`custom scope ${i + 1}`}
                    onRemove={() => {
                      onChange({
                        ...draft,
                        customScopes: draft.customScopes.filter((_, j) => j !== i),
                      })
                      setFocusId(id('add-custom'))
                    }}
                  />
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      <div class="catalog-add">
        <button
          type="button"
          class="button button-small"
          id={id('add-custom')}
          onClick={() => {
            const key = nextKey()
            onChange({
              ...draft,
              customScopes: [...draft.customScopes, { key, scope: '', description: '' }],
            })
            setFocusId(id(key, 'scope'))
          }}
        >
          Add custom scope
        </button>
      </div>

      <h3>Presets</h3>
      <p class="hint">
        Named sets of this catalog's scopes offered when granting access, beside Read only and Full
        access. Scopes are separated by spaces.
      </p>
      {draft.presets.length > 0 && (
        <table class="table table-compact catalog-table" aria-label="Presets">
          <thead>
            <tr>
              <th scope="col">Preset</th>
              <th scope="col">Description</th>
              <th scope="col">Scopes</th>
              <th scope="col" class="catalog-col-remove">
                <span class="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {draft.presets.map((preset, i) => {
              const pid = (part: string) => id(preset.key, part)
              const errors = {
                name: issueAt(`presets.${i}.name`),
                scopes: issueAt(`presets.${i}.scopes`),
              }
              const set = (change: Partial<typeof preset>) => {
                onChange({
                  ...draft,
                  presets: draft.presets.map((p, j) => (j === i ? { ...p, ...change } : p)),
                })
              }
              return (
                <tr key={preset.key}>
                  <td>
                    <CellInput
                      id={pid('name')}
                      row={`Preset ${i + 1}`}
                      label="Name"
                      maxLength={100}
                      value={preset.name}
                      error={errors.name}
                      onInput={(name) => {
                        set({ name })
                      }}
                    />
                  </td>
                  <td>
                    <CellInput
                      id={pid('description')}
                      row={`Preset ${i + 1}`}
                      label="Description"
                      maxLength={1000}
                      value={preset.description}
                      onInput={(description) => {
                        set({ description })
                      }}
                    />
                  </td>
                  <td class="catalog-cell-name">
                    <CellInput
                      id={pid('scopes')}
                      row={`Preset ${i + 1}`}
                      label="Scopes"
                      code
                      value={preset.scopes}
                      error={errors.scopes}
                      onInput={(scopes) => {
                        set({ scopes })
                      }}
                    />
                  </td>
                  <RemoveCell
                    what={`preset ${i + 1}`}
                    onRemove={() => {
                      onChange({ ...draft, presets: draft.presets.filter((_, j) => j !== i) })
                      setFocusId(id('add-preset'))
                    }}
                  />
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      <div class="catalog-add">
        <button
          type="button"
          class="button button-small"
          id={id('add-preset')}
          onClick={() => {
            const key = nextKey()
            onChange({
              ...draft,
              presets: [...draft.presets, { key, name: '', description: '', scopes: '' }],
            })
            setFocusId(id(key, 'name'))
          }}
        >
          Add preset
        </button>
      </div>
    </div>
  )
}
