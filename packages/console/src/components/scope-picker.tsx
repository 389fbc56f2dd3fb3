import { useState } from 'preact/hooks'

import type { Api } from '../api/types'
import { plural } from '../lib/format'
import {
  ACTION_LABELS,
  ACTIONS,
  catalogScopes,
  FULL_ACCESS,
  matchingPreset,
  presetLabel,
  READ_ONLY,
  scopeOf,
  sortScopes,
} from '../lib/scopes'
import { nextId } from './field'

const CUSTOM = '__custom__'

interface ScopePickerProps {
  api: Api
  selected: readonly string[]
  onChange: (scopes: string[]) => void
  disabled?: boolean
}

/**
 * Least privilege by default: a preset (Custom recommended, Read only, Full access, the API's
 * named presets), then the catalog's categories with Read / Create / Update / Delete per
 * resource, custom scopes, any other scopes, and a live summary of what will be granted.
 */
export function ScopePicker({ api, selected, onChange, disabled = false }: ScopePickerProps) {
  const [prefix] = useState(() => nextId('scopes'))
  const [preset, setPreset] = useState<string>(() => matchingPreset(api, selected) ?? CUSTOM)
  const chosen = new Set(selected)
  const fromCatalog = new Set(catalogScopes(api))
  const others = api.scopes.filter((s) => !fromCatalog.has(s))

  const toggle = (scope: string, on: boolean) => {
    const next = new Set(chosen)
    if (on) next.add(scope)
    else next.delete(scope)
    setPreset(CUSTOM)
    onChange(sortScopes(api, next))
  }

  const choosePreset = (name: string) => {
    setPreset(name)
    if (name === CUSTOM) return
    const found = api.presets.find((p) => p.name === name)
    if (found !== undefined) onChange(sortScopes(api, found.scopes))
  }

  const presetOptions = [
    {
      name: CUSTOM,
      label: 'Custom',
      description: 'Pick exactly what this integration needs.',
      recommended: true,
    },
    ...api.presets.map((p) => ({
      name: p.name,
      label: presetLabel(p),
      description: `${presetDescription(p)}${plural(p.scopes.length, 'scope')}`,
      recommended: false,
    })),
  ]

  const summary = sortScopes(api, chosen)
  const categories = api.catalog?.categories ?? []
  const customScopes = api.catalog?.custom_scopes ?? []

  return (
    <div class="scope-picker">
      <fieldset class="presets" disabled={disabled}>
        <legend>Preset</legend>
        <div class="preset-options">
          {presetOptions.map((option) => (
            <label key={option.name} class="preset-option">
              <input
                type="radio"
                name={`${prefix}-preset`}
                value={option.name}
                checked={preset === option.name}
                onChange={() => {
                  choosePreset(option.name)
                }}
              />
              <span class="preset-text">
                <span class="preset-label">
                  {option.label}
                  {option.recommended && <span class="tag">Recommended</span>}
                </span>
                <span class="preset-description">{option.description}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>

      {categories.map((category, ci) => {
        const scopes = category.resources.flatMap((r) =>
          r.actions.map((a) => scopeOf(a, r.slug ?? '')),
        )
        const count = scopes.filter((s) => chosen.has(s)).length
        return (
          <details key={category.name} class="category" open={ci === 0 || count > 0}>
            <summary>
              <span class="category-name">{category.name}</span>
              <span class="category-count">
                {count} of {scopes.length} selected
              </span>
            </summary>
            <table class="scope-table">
              <caption class="visually-hidden">{category.name} scopes</caption>
              <colgroup>
                <col />
                {ACTIONS.map((action) => (
                  <col key={action} class="scope-col-action" />
                ))}
              </colgroup>
              <thead>
                <tr>
                  <th scope="col">Resource</th>
                  {ACTIONS.map((action) => (
                    <th scope="col" key={action}>
                      {ACTION_LABELS[action]}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {category.resources.map((resource) => (
                  <tr key={resource.slug}>
                    <th scope="row">
                      <span class="resource-name">{resource.name}</span>
                      {resource.description !== undefined && (
                        <span class="resource-description">{resource.description}</span>
                      )}
                    </th>
                    {ACTIONS.map((action) => {
                      const scope = scopeOf(action, resource.slug ?? '')
                      return (
                        <td key={action}>
                          {resource.actions.includes(action) ? (
                            <input
                              type="checkbox"
                              aria-label={`${ACTION_LABELS[action]} ${resource.name} (${scope})`}
                              title={scope}
                              data-scope={scope}
                              checked={chosen.has(scope)}
                              disabled={disabled}
                              onChange={(event) => {
                                toggle(scope, event.currentTarget.checked)
                              }}
                            />
                          ) : (
                            <span class="not-offered" aria-label="not offered">
                              –
                            </span>
                          )}
                        </td>
                      )
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        )
      })}

      {customScopes.length > 0 && (
        <fieldset class="scope-list" disabled={disabled}>
          <legend>Custom scopes</legend>
          {customScopes.map((custom) => (
            <ScopeCheckbox
              key={custom.scope}
              scope={custom.scope}
              description={custom.description}
              checked={chosen.has(custom.scope)}
              onToggle={toggle}
            />
          ))}
        </fieldset>
      )}

      {others.length > 0 && (
        <fieldset class="scope-list" disabled={disabled}>
          <legend>
            {categories.length === 0 && customScopes.length === 0 ? 'Scopes' : 'Other scopes'}
          </legend>
          {others.map((scope) => (
            <ScopeCheckbox
              key={scope}
              scope={scope}
              checked={chosen.has(scope)}
              onToggle={toggle}
            />
          ))}
        </fieldset>
      )}

      {api.scopes.length === 0 && (
        <p class="muted">This API defines no scopes yet. Add some on the APIs page.</p>
      )}

      <section class="scope-summary" aria-labelledby={`${prefix}-summary`}>
        <h3 id={`${prefix}-summary`}>What will be granted</h3>
        <p aria-live="polite">
          {summary.length === 0
            ? 'Nothing yet: tokens for this API would carry no scope.'
            : `${plural(summary.length, 'scope')} for ${api.name} (${api.audience})`}
        </p>
        {summary.length > 0 && (
          <ul class="chips">
            {summary.map((scope) => (
              <li key={scope}>
                <code>{scope}</code>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  )
}

function presetDescription(preset: { name: string; description?: string }): string {
  if (preset.name === READ_ONLY) return 'Every read: scope · '
  if (preset.name === FULL_ACCESS) return 'Every scope of this API · '
  return preset.description === undefined ? '' : `${preset.description} · `
}

function ScopeCheckbox({
  scope,
  description,
  checked,
  onToggle,
}: {
  scope: string
  description?: string | undefined
  checked: boolean
  onToggle: (scope: string, on: boolean) => void
}) {
  return (
    <label class="scope-checkbox">
      <input
        type="checkbox"
        data-scope={scope}
        checked={checked}
        onChange={(event) => {
          onToggle(scope, event.currentTarget.checked)
        }}
      />
      <span>
        <code>{scope}</code>
        {description !== undefined && <span class="scope-description">{description}</span>}
      </span>
    </label>
  )
}
