import type { Catalog, CatalogAction } from '../api/types'
import { ACTIONS, scopeOf, slugify } from '../lib/scopes'

/** A catalog as the table editor holds it: every field a string, every row with a stable key. */
export interface CatalogDraft {
  categories: CategoryDraft[]
  customScopes: CustomScopeDraft[]
  presets: PresetDraft[]
}
export interface CategoryDraft {
  key: number
  name: string
  resources: ResourceDraft[]
}
export interface ResourceDraft {
  key: number
  name: string
  /** Empty: the server uses slugify(name). */
  slug: string
  description: string
  actions: CatalogAction[]
}
export interface CustomScopeDraft {
  key: number
  scope: string
  description: string
}
export interface PresetDraft {
  key: number
  name: string
  description: string
  /** Space-separated, as typed. */
  scopes: string
}

let lastKey = 0
export function nextKey(): number {
  lastKey += 1
  return lastKey
}

export function emptyDraft(): CatalogDraft {
  return { categories: [], customScopes: [], presets: [] }
}

export function draftOf(catalog: Catalog | null): CatalogDraft {
  if (catalog === null) return emptyDraft()
  return {
    categories: catalog.categories.map((c) => ({
      key: nextKey(),
      name: c.name,
      resources: c.resources.map((r) => ({
        key: nextKey(),
        name: r.name,
        slug: r.slug ?? '',
        description: r.description ?? '',
        actions: ACTIONS.filter((a) => r.actions.includes(a)),
      })),
    })),
    customScopes: (catalog.custom_scopes ?? []).map((c) => ({
      key: nextKey(),
      scope: c.scope,
      description: c.description ?? '',
    })),
    presets: (catalog.presets ?? []).map((p) => ({
      key: nextKey(),
      name: p.name,
      description: p.description ?? '',
      scopes: p.scopes.join(' '),
    })),
  }
}

export function splitScopeText(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((s) => s !== ''))]
}

/** The admin API's body for the draft; null when it defines nothing. */
export function catalogOf(draft: CatalogDraft): Catalog | null {
  if (
    draft.categories.length === 0 &&
    draft.customScopes.length === 0 &&
    draft.presets.length === 0
  )
    return null
  const optional = <K extends string>(key: K, value: string) =>
    (value.trim() === '' ? {} : { [key]: value.trim() }) as Partial<Record<K, string>>
  return {
    categories: draft.categories.map((c) => ({
      name: c.name.trim(),
      resources: c.resources.map((r) => ({
        name: r.name.trim(),
        ...optional('slug', r.slug),
        actions: ACTIONS.filter((a) => r.actions.includes(a)),
        ...optional('description', r.description),
      })),
    })),
    custom_scopes: draft.customScopes.map((c) => ({
      scope: c.scope.trim(),
      ...optional('description', c.description),
    })),
    presets: draft.presets.map((p) => ({
      name: p.name.trim(),
      ...optional('description', p.description),
      scopes: splitScopeText(p.scopes),
    })),
  }
}

/** RFC 6749 §3.3 scope-token, the server's rule (packages/server/src/domain/scopes.ts). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

export function isValidScope(value: string): boolean {
  return SCOPE_TOKEN.test(value)
}

/** Where a problem is: `categories.0.name`, `categories.0.resources.1.slug`, `custom_scopes.2.scope`… */
export type IssuePath = string

export interface CatalogIssue {
  path: IssuePath
  message: string
}

export function resourceSlug(resource: { name: string; slug?: string | undefined }): string {
  const slug = resource.slug?.trim() ?? ''
  return slug === '' ? slugify(resource.name) : slug
}

/**
 * The server's catalog checks (packages/server/src/domain/catalog.ts, validateCatalog) run as
 * the user types, so each one is shown beside its field before anything is sent; plus repeated
 * scopes, which the server would silently merge.
 */
export function catalogIssues(catalog: Catalog | null): CatalogIssue[] {
  if (catalog === null) return []
  const issues: CatalogIssue[] = []
  const definedBy = new Map<string, string>()
  const slugs = new Map<string, string>()
  catalog.categories.forEach((category, ci) => {
    if (category.name.trim() === '')
      issues.push({ path: `categories.${ci}.name`, message: 'A category needs a name.' })
    category.resources.forEach((resource, ri) => {
      const at = `categories.${ci}.resources.${ri}`
      const slug = resourceSlug(resource)
      const label = resource.name.trim() === '' ? `resource ${ri + 1}` : resource.name.trim()
      if (resource.name.trim() === '')
        issues.push({ path: `${at}.name`, message: 'A resource needs a name.' })
      else if (slug === '')
        issues.push({
          path: `${at}.name`,
          message: `"${resource.name}" gives an empty slug: use letters or digits, or set a slug.`,
        })
      if (slug !== '' && !isValidScope(scopeOf('read', slug)))
        issues.push({
          path: `${at}.slug`,
          message: `"${slug}" cannot be used in a scope string: no spaces, quotes or backslashes.`,
        })
      else if (slug !== '') {
        const first = slugs.get(slug)
        if (first !== undefined)
          issues.push({
            path: `${at}.slug`,
            message: `Slug "${slug}" is already used by ${first}: set another slug.`,
          })
        else slugs.set(slug, label)
      }
      if (resource.actions.length === 0)
        issues.push({ path: `${at}.actions`, message: 'Choose at least one action.' })
      for (const action of ACTIONS)
        if (resource.actions.includes(action) && slug !== '')
          definedBy.set(scopeOf(action, slug), label)
    })
  })
  ;(catalog.custom_scopes ?? []).forEach((custom, i) => {
    const path = `custom_scopes.${i}.scope`
    if (custom.scope === '') issues.push({ path, message: 'Enter a scope or remove the row.' })
    else if (!isValidScope(custom.scope))
      issues.push({
        path,
        message: `"${custom.scope}" is not a valid scope: use printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3).`,
      })
    else if (definedBy.has(custom.scope))
      issues.push({
        path,
        message: `${custom.scope} is already defined by ${definedBy.get(custom.scope) ?? ''}.`,
      })
    else definedBy.set(custom.scope, 'another custom scope')
  })
  const names = new Set(['read-only', 'full-access'])
  ;(catalog.presets ?? []).forEach((preset, i) => {
    const name = slugify(preset.name)
    if (name === '') issues.push({ path: `presets.${i}.name`, message: 'A preset needs a name.' })
    else if (names.has(name))
      issues.push({ path: `presets.${i}.name`, message: `The preset name "${name}" is taken.` })
    names.add(name)
    const unknown = preset.scopes.filter((s) => !definedBy.has(s))
    if (unknown.length > 0)
      issues.push({
        path: `presets.${i}.scopes`,
        message: `Not defined by the catalog: ${unknown.join(' ')}.`,
      })
  })
  return issues
}

/** Every valid scope the catalog defines, as the server computes them (catalog order, no repeats). */
export function definedScopes(catalog: Catalog | null): string[] {
  if (catalog === null) return []
  const scopes: string[] = []
  for (const category of catalog.categories)
    for (const resource of category.resources) {
      const slug = resourceSlug(resource)
      if (slug === '') continue
      for (const action of ACTIONS)
        if (resource.actions.includes(action)) scopes.push(scopeOf(action, slug))
    }
  for (const custom of catalog.custom_scopes ?? []) scopes.push(custom.scope)
  // An invalid one is flagged beside its field; the server would define none of them.
  return [...new Set(scopes.filter(isValidScope))]
}

/** Where an issue is, in words: "Category 1, resource 2", "Custom scope 3", "Preset 1". */
export function issuePlace(path: IssuePath): string {
  const [kind, first, , second] = path.split('.')
  const n = (value: string | undefined) => Number(value ?? 0) + 1
  if (kind === 'categories')
    return second === undefined
      ? `Category ${n(first)}`
      : `Category ${n(first)}, resource ${n(second)}`
  if (kind === 'custom_scopes') return `Custom scope ${n(first)}`
  return `Preset ${n(first)}`
}
