import type { Catalog } from '../api/types'
import { ACTION_LABELS, ACTIONS, scopeOf, slugify } from '../lib/scopes'

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
