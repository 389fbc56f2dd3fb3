import type { Catalog } from '../api/types'

/**
 * Reads a scope catalog (YAML or JSON, like examples/policies-catalog.yaml) into the admin
 * API's shape, naming what is wrong. The YAML parser is loaded only when it is needed.
 */
export async function parseCatalog(text: string): Promise<Catalog> {
  const trimmed = text.trim()
  if (trimmed === '') return { categories: [], custom_scopes: [], presets: [] }
  let value: unknown
  if (trimmed.startsWith('{')) {
    try {
      value = JSON.parse(trimmed)
    } catch (error) {
      throw new Error(`The catalog is not valid JSON: ${(error as Error).message}`, {
        cause: error,
      })
    }
  } else {
    const { parse } = await import('yaml')
    try {
      value = parse(trimmed)
    } catch (error) {
      throw new Error(
        `The catalog is not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}`,
        { cause: error },
      )
    }
  }
  return checkCatalog(value)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const ACTIONS = ['read', 'create', 'update', 'delete']

function checkCatalog(value: unknown): Catalog {
  if (!isObject(value)) throw new Error('A catalog is an object with "categories".')
  const unknownKeys = Object.keys(value).filter(
    (k) => !['categories', 'custom_scopes', 'presets'].includes(k),
  )
  if (unknownKeys.length > 0)
    throw new Error(
      `Unknown key ${unknownKeys.map((k) => `"${k}"`).join(', ')}: use categories, custom_scopes and presets.`,
    )
  const categories = value['categories'] ?? []
  if (!Array.isArray(categories)) throw new Error('"categories" must be a list.')
  const out: Catalog = { categories: [], custom_scopes: [], presets: [] }
  categories.forEach((category: unknown, ci) => {
    const at = `categories[${ci}]`
    if (!isObject(category) || typeof category['name'] !== 'string')
      throw new Error(`${at} needs a name.`)
    const resources = category['resources'] ?? []
    if (!Array.isArray(resources)) throw new Error(`${at}.resources must be a list.`)
    out.categories.push({
      name: category['name'],
      resources: resources.map((resource: unknown, ri) => {
        const rat = `${at}.resources[${ri}]`
        if (!isObject(resource) || typeof resource['name'] !== 'string')
          throw new Error(`${rat} needs a name.`)
        const actions = resource['actions']
        if (!Array.isArray(actions) || actions.length === 0)
          throw new Error(`${rat} (${resource['name']}) needs actions, such as [read, create].`)
        for (const action of actions) {
          if (typeof action !== 'string' || !ACTIONS.includes(action))
            throw new Error(
              `${rat} (${resource['name']}): unknown action "${String(action)}"; use read, create, update or delete.`,
            )
        }
        return {
          name: resource['name'],
          ...(typeof resource['slug'] === 'string' && { slug: resource['slug'] }),
          actions: actions as Catalog['categories'][number]['resources'][number]['actions'],
          ...(typeof resource['description'] === 'string' && {
            description: resource['description'],
          }),
        }
      }),
    })
  })
  const custom = value['custom_scopes'] ?? []
  if (!Array.isArray(custom)) throw new Error('"custom_scopes" must be a list.')
  out.custom_scopes = custom.map((item: unknown, i) => {
    if (typeof item === 'string') return { scope: item }
    if (!isObject(item) || typeof item['scope'] !== 'string')
      throw new Error(`custom_scopes[${i}] needs a scope.`)
    return {
      scope: item['scope'],
      ...(typeof item['description'] === 'string' && { description: item['description'] }),
    }
  })
  const presets = value['presets'] ?? []
  if (!Array.isArray(presets)) throw new Error('"presets" must be a list.')
  out.presets = presets.map((item: unknown, i) => {
    if (!isObject(item) || typeof item['name'] !== 'string' || !Array.isArray(item['scopes']))
      throw new Error(`presets[${i}] needs a name and a list of scopes.`)
    return {
      name: item['name'],
      ...(typeof item['description'] === 'string' && { description: item['description'] }),
      scopes: (item['scopes'] as unknown[]).map(String),
    }
  })
  return out
}

/** A catalog as YAML for editing (slugs shown, so nothing changes on the way back). */
export async function catalogToYaml(catalog: Catalog | null): Promise<string> {
  if (catalog === null) return ''
  const { stringify } = await import('yaml')
  return stringify(catalog, { lineWidth: 0 })
}
