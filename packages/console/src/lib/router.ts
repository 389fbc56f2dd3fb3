import { useEffect, useState } from 'preact/hooks'

/** The console lives under /console/; routes are the part after it, starting with '/'. */
export const BASE = '/console'

function current(): string {
  const path = window.location.pathname.startsWith(BASE)
    ? window.location.pathname.slice(BASE.length)
    : window.location.pathname
  return (path === '' ? '/' : path) + window.location.search
}

const listeners = new Set<() => void>()

/**
 * Asked before the console leaves the current page (a link, the sidebar, Back): it may hold the
 * navigation and call `proceed` later, once the user has confirmed.
 */
export type NavigationGuard = (proceed: () => void) => void
let guard: NavigationGuard | undefined
let here = window.location.pathname + window.location.search

/** Holds every navigation until the guard lets it through; returns the function that lifts it. */
export function setNavigationGuard(next: NavigationGuard): () => void {
  guard = next
  return () => {
    if (guard === next) guard = undefined
  }
}

/** Runs `proceed` now, or once the guard lets it (e.g. signing out while a secret is shown). */
export function whenLeaving(proceed: () => void): void {
  if (guard === undefined) proceed()
  else guard(proceed)
}

window.addEventListener('popstate', () => {
  const target = window.location.pathname + window.location.search
  if (guard !== undefined && target !== here) {
    // Back or Forward already moved the address: put it back while the user decides.
    const left = here
    window.history.pushState(null, '', left)
    guard(() => {
      navigate(target.startsWith(BASE) ? target.slice(BASE.length) || '/' : target, {
        force: true,
      })
    })
    return
  }
  here = target
  for (const listener of listeners) listener()
})

export function navigate(to: string, options: { replace?: boolean; force?: boolean } = {}): void {
  const url = BASE + to
  if (url === window.location.pathname + window.location.search) return
  if (guard !== undefined && options.force !== true) {
    guard(() => {
      navigate(to, { ...options, force: true })
    })
    return
  }
  if (options.replace === true) window.history.replaceState(null, '', url)
  else window.history.pushState(null, '', url)
  here = url
  for (const listener of listeners) listener()
}

export interface Location {
  /** '/applications/tmc_…' */
  path: string
  query: URLSearchParams
}

export function useLocation(): Location {
  const [href, setHref] = useState(current)
  useEffect(() => {
    const update = () => {
      setHref(current())
    }
    listeners.add(update)
    return () => {
      listeners.delete(update)
    }
  }, [])
  const [path = '/', search = ''] = href.split('?')
  return { path, query: new URLSearchParams(search) }
}

/** Matches '/applications/:id' against a path; returns the parameters or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/')
  const have = path.replace(/\/$/, '').split('/')
  if (want.length !== have.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] ?? ''
    const actual = have[i] ?? ''
    if (segment.startsWith(':')) {
      if (actual === '') return undefined
      params[segment.slice(1)] = decodeURIComponent(actual)
    } else if (segment !== actual) return undefined
  }
  return params
}

/** Query string helper: keeps set values, drops empty ones. */
export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') search.set(key, value)
  }
  const text = search.toString()
  return text === '' ? path : `${path}?${text}`
}
