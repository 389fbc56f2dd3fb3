import { ValidationError } from './errors.js'
import { isValidScopeToken } from './scopes.js'

export type CatalogAction = 'read' | 'create' | 'update' | 'delete'
export const CATALOG_ACTIONS: readonly CatalogAction[] = ['read', 'create', 'update', 'delete']

export interface CatalogResource {
  name: string
  /** The `<resource>` of `<action>:<resource>` scopes. */
  slug: string
  actions: CatalogAction[]
  description?: string | undefined
}

export interface CatalogCategory {
  name: string
  resources: CatalogResource[]
}

export interface CustomScope {
  scope: string
  description?: string | undefined
}

export interface Preset {
  name: string
  description?: string | undefined
  scopes: string[]
}

/** An API's scopes, organised for people: categories → resources → actions, plus custom scopes. */
export interface ScopeCatalog {
  categories: CatalogCategory[]
  customScopes: CustomScope[]
  presets: Preset[]
}

/** A catalog as the admin API and configuration files spell it (snake_case, slugs optional). */
export interface WireCatalog {
  categories: {
    name: string
    resources: { name: string; slug?: string; actions: CatalogAction[]; description?: string }[]
  }[]
  custom_scopes?: { scope: string; description?: string }[]
  presets?: { name: string; description?: string; scopes: string[] }[]
}

export function catalogView(
  catalog: ScopeCatalog,
): WireCatalog & Required<Pick<WireCatalog, 'custom_scopes' | 'presets'>> {
  return {
    categories: catalog.categories.map((c) => ({
      name: c.name,
      resources: c.resources.map((r) => ({
        name: r.name,
        slug: r.slug,
        actions: r.actions,
        ...(r.description !== undefined && { description: r.description }),
      })),
    })),
    custom_scopes: catalog.customScopes.map((c) => ({
      scope: c.scope,
      ...(c.description !== undefined && { description: c.description }),
    })),
    presets: catalog.presets.map((p) => ({
      name: p.name,
      ...(p.description !== undefined && { description: p.description }),
      scopes: p.scopes,
    })),
  }
}

export function catalogInput(catalog: WireCatalog): ScopeCatalog {
  return {
    categories: catalog.categories.map((c) => ({
      name: c.name,
      resources: c.resources.map((r) => ({
        name: r.name,
        slug: r.slug ?? '',
        actions: r.actions,
        description: r.description,
      })),
    })),
    customScopes: catalog.custom_scopes ?? [],
    presets: catalog.presets ?? [],
  }
}

export const READ_ONLY_PRESET = 'read-only'
export const FULL_ACCESS_PRESET = 'full-access'

export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

/** Every scope string the catalog defines, categories first, in catalog order. */
export function catalogScopes(catalog: ScopeCatalog): string[] {
  const scopes: string[] = []
  for (const category of catalog.categories) {
    for (const resource of category.resources) {
      for (const action of CATALOG_ACTIONS) {
        if (resource.actions.includes(action)) scopes.push(`${action}:${resource.slug}`)
      }
    }
  }
  for (const custom of catalog.customScopes) scopes.push(custom.scope)
  return [...new Set(scopes)]
}

/** Built-in presets ("Read only", "Full access") followed by the API owner's named ones. */
export function presetsOf(scopes: readonly string[], catalog: ScopeCatalog | null): Preset[] {
  return [
    {
      name: READ_ONLY_PRESET,
      description: 'Read only: every read: scope',
      scopes: scopes.filter((s) => s.startsWith('read:')),
    },
    {
      name: FULL_ACCESS_PRESET,
      description: 'Full access: every scope of this API',
      scopes: [...scopes],
    },
    ...(catalog?.presets ?? []),
  ]
}

/** Checks a catalog (from a file or the admin API), naming the field at fault. */
export function validateCatalog(catalog: ScopeCatalog, field = 'catalog'): ScopeCatalog {
  const slugs = new Set<string>()
  const categories = catalog.categories.map((category, ci) => {
    const at = `${field}.categories[${ci}]`
    if (category.name.trim() === '')
      throw new ValidationError(`${at}.name`, 'a category needs a name')
    return {
      name: category.name.trim(),
      resources: category.resources.map((resource, ri) => {
        const rat = `${at}.resources[${ri}]`
        const slug = resource.slug === '' ? slugify(resource.name) : resource.slug
        if (slug === '' || !isValidScopeToken(`read:${slug}`)) {
          throw new ValidationError(`${rat}.slug`, `"${slug}" cannot be used in a scope string`)
        }
        if (slugs.has(slug))
          throw new ValidationError(`${rat}.slug`, `resource "${slug}" appears twice`)
        slugs.add(slug)
        for (const action of resource.actions) {
          if (!CATALOG_ACTIONS.includes(action)) {
            throw new ValidationError(
              `${rat}.actions`,
              `unknown action "${action}"; use ${CATALOG_ACTIONS.join(', ')}`,
            )
          }
        }
        return {
          name: resource.name.trim(),
          slug,
          actions: [...new Set(resource.actions)],
          description: resource.description,
        }
      }),
    }
  })
  catalog.customScopes.forEach((custom, i) => {
    if (!isValidScopeToken(custom.scope)) {
      throw new ValidationError(
        `${field}.custom_scopes[${i}].scope`,
        `"${custom.scope}" is not a valid scope (RFC 6749 §3.3)`,
      )
    }
  })
  const normalised: ScopeCatalog = { categories, customScopes: catalog.customScopes, presets: [] }
  const defined = new Set(catalogScopes(normalised))
  const names = new Set([READ_ONLY_PRESET, FULL_ACCESS_PRESET])
  normalised.presets = catalog.presets.map((preset, i) => {
    const at = `${field}.presets[${i}]`
    const name = slugify(preset.name)
    if (name === '' || names.has(name))
      throw new ValidationError(`${at}.name`, `preset name "${preset.name}" is empty or taken`)
    names.add(name)
    const unknown = preset.scopes.filter((s) => !defined.has(s))
    if (unknown.length > 0)
      throw new ValidationError(`${at}.scopes`, `not defined by the catalog: ${unknown.join(' ')}`)
    return { name, description: preset.description, scopes: [...new Set(preset.scopes)] }
  })
  return normalised
}
