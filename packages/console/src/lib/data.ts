import { api } from '../api/client'
import type { Api, Tenant } from '../api/types'
import { useSession } from './session'
import { useAsync } from './use-async'

/** The audience of every tenant's built-in admin API. */
export const ADMIN_AUDIENCE = 'urn:tokenmint:admin'

/**
 * The tenant's APIs, the ones people registered first and the built-in admin API last.
 * `for: 'applications'` keeps the admin API only for owners (only they may grant its scopes);
 * `for: 'users'` never offers it (password-grant users are never administrators).
 */
export function useApis(options: { for?: 'applications' | 'users' } = {}) {
  const { tenant, isOwner } = useSession()
  const offered = (item: Api) =>
    !item.built_in || options.for === undefined || (options.for === 'applications' && isOwner)
  return useAsync(
    async (signal) => {
      const { data } = await api.get('/admin/v1/tenants/{tenant}/apis', {
        path: { tenant },
        signal,
      })
      return data.items
        .filter(offered)
        .sort((a, b) => Number(a.built_in) - Number(b.built_in) || a.name.localeCompare(b.name))
    },
    [tenant, isOwner, options.for],
  )
}

export function useTenant() {
  const { tenant } = useSession()
  return useAsync(
    async (signal): Promise<Tenant> => {
      const { data } = await api.get('/admin/v1/tenants/{tenant}', { path: { tenant }, signal })
      return data
    },
    [tenant],
  )
}

export function apiLabel(item: Pick<Api, 'name' | 'audience'>): string {
  return item.name === item.audience ? item.audience : `${item.name} (${item.audience})`
}

/** Lifetimes offered for access tokens, capped by the tenant's maximum. */
export function lifetimeChoices(maxSeconds: number): number[] {
  return [300, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400].filter((s) => s <= maxSeconds)
}

/** A resource server's credentials (`--introspect`, no scopes): they introspect, not get tokens. */
export function isApiCredentials(app: {
  can_introspect: boolean
  grants: readonly { scopes: readonly string[] }[]
}): boolean {
  return app.can_introspect && app.grants.every((g) => g.scopes.length === 0)
}
