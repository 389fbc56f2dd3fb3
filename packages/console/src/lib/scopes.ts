import type { Api, CatalogAction, Preset } from '../api/types'

export const ACTIONS: readonly CatalogAction[] = ['read', 'create', 'update', 'delete']
export const ACTION_LABELS: Record<CatalogAction, string> = {
  read: 'Read',
  create: 'Create',
  update: 'Update',
  delete: 'Delete',
}

export function scopeOf(action: CatalogAction, slug: string): string {
  return `${action}:${slug}`
}

/** The server's slug rule (packages/server/src/domain/catalog.ts): a resource's default slug. */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

/** Every scope the catalog defines (categories, then custom scopes), in catalog order. */
export function catalogScopes(api: Pick<Api, 'catalog'>): string[] {
  const scopes: string[] = []
  for (const category of api.catalog?.categories ?? []) {
    for (const resource of category.resources) {
      for (const action of ACTIONS) {
        if (resource.actions.includes(action))
          scopes.push(scopeOf(action, resource.slug ?? slugify(resource.name)))
      }
    }
  }
  for (const custom of api.catalog?.custom_scopes ?? []) scopes.push(custom.scope)
  return [...new Set(scopes)]
}

/** The API's scopes in the order people see them: catalog order, then the rest. */
export function orderedScopes(api: Api): string[] {
  const fromCatalog = catalogScopes(api)
  const rest = api.scopes.filter((s) => !fromCatalog.includes(s))
  return [...fromCatalog, ...rest]
}

/** Sorts a selection in the API's order (unknown scopes last, alphabetically). */
export function sortScopes(api: Api | undefined, scopes: Iterable<string>): string[] {
  const order = api === undefined ? [] : orderedScopes(api)
  const rank = (s: string) => {
    const i = order.indexOf(s)
    return i === -1 ? Number.MAX_SAFE_INTEGER : i
  }
  return [...new Set(scopes)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

export const READ_ONLY = 'read-only'
export const FULL_ACCESS = 'full-access'

export function presetLabel(preset: Pick<Preset, 'name'>): string {
  if (preset.name === READ_ONLY) return 'Read only'
  if (preset.name === FULL_ACCESS) return 'Full access'
  const words = preset.name.replace(/[-_]+/g, ' ').trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

export function sameScopes(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a)
  return set.size === new Set(b).size && b.every((s) => set.has(s))
}

/** The preset whose scopes are exactly `scopes`, if any (built-in ones first). */
export function matchingPreset(api: Api, scopes: readonly string[]): string | undefined {
  if (scopes.length === 0) return undefined
  return api.presets.find((p) => sameScopes(p.scopes, scopes))?.name
}
