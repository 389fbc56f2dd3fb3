import { api } from '../api/client'
import type { Api, Tenant } from '../api/types'
import { useSession } from './session'
import { useAsync } from './use-async'

/** The tenant's APIs, the ones people registered first and the built-in admin API last. */
export function useApis() {
  const { tenant } = useSession()
  return useAsync(
    async (signal) => {
      const { data } = await api.get('/admin/v1/tenants/{tenant}/apis', {
        path: { tenant },
        signal,
      })
      return [...data.items].sort(
        (a, b) => Number(a.built_in) - Number(b.built_in) || a.name.localeCompare(b.name),
      )
    },
    [tenant],
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
