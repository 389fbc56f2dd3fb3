import { useEffect, useMemo, useRef, useState } from 'preact/hooks'

import { api, ApiError, setCsrfToken, setUnauthorizedHandler } from './api/client'
import type { Session } from './api/types'
import { Link } from './components/link'
import { BrandMark, useBranding } from './lib/branding'
import { returnUrl, rememberReturnUrl } from './lib/portal'
import { BASE, match, navigate, useLocation, whenLeaving } from './lib/router'
import { SessionContext, type SessionContextValue } from './lib/session'
import { AdministratorsPage } from './pages/administrators'
import { ApiPage, NewApiPage } from './pages/api'
import { ApisPage } from './pages/apis'
import { ApplicationPage } from './pages/application'
import { ApplicationsPage } from './pages/applications'
import { AuditPage } from './pages/audit'
import { InsightsPage } from './pages/insights'
import { WebhooksPage } from './pages/webhooks'
import { CreateApplicationPage } from './pages/create-application'
import { SignInPage } from './pages/sign-in'
import { UsersPage } from './pages/users'

type Boot =
  | { state: 'loading' }
  | { state: 'signed-out'; reason?: string }
  | { state: 'signed-in'; session: Session }

const NAV = [
  { href: '/applications', label: 'OAuth Applications' },
  { href: '/apis', label: 'APIs' },
  { href: '/users', label: 'Users' },
  { href: '/insights', label: 'Insights' },
  { href: '/audit', label: 'Audit log' },
  { href: '/webhooks', label: 'Webhooks' },
  { href: '/administrators', label: 'Administrators', ownerOnly: true },
]

export function App() {
  const [boot, setBoot] = useState<Boot>({ state: 'loading' })
  const location = useLocation()

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(undefined)
      setBoot({ state: 'signed-out', reason: 'Your session has ended. Sign in again to continue.' })
    })
    // A portal link (platform mode): its secret is in the fragment, which no server ever sees.
    // It is taken off the address at once, so it is neither in history nor bookmarkable.
    const portalSecret =
      window.location.pathname === `${BASE}/portal` ? window.location.hash.slice(1) : ''
    if (portalSecret !== '') {
      window.history.replaceState(null, '', `${BASE}/applications`)
      api.post('/console/api/portal-session', { body: { link: portalSecret } }).then(
        ({ data }) => {
          rememberReturnUrl(data.return_url)
          setCsrfToken(data.csrf_token)
          setBoot({ state: 'signed-in', session: data })
          navigate('/applications', { replace: true })
        },
        (error: unknown) => {
          setBoot({
            state: 'signed-out',
            reason:
              error instanceof ApiError
                ? error.message
                : 'This sign-in link could not be used; ask for a new one.',
          })
        },
      )
      return
    }
    api.get('/console/api/session').then(
      ({ data }) => {
        setCsrfToken(data.csrf_token)
        setBoot({ state: 'signed-in', session: data })
      },
      (error: unknown) => {
        setBoot({
          state: 'signed-out',
          ...(error instanceof ApiError && error.status !== 401 && { reason: error.message }),
        })
      },
    )
  }, [])

  if (boot.state === 'loading') {
    return (
      <main id="main" class="sign-in">
        <p aria-busy="true">Loading the console…</p>
      </main>
    )
  }
  if (boot.state === 'signed-out') {
    return (
      <SignInPage
        reason={boot.reason}
        tenantHint={location.query.get('tenant') ?? undefined}
        onSignedIn={(session) => {
          setCsrfToken(session.csrf_token)
          setBoot({ state: 'signed-in', session })
        }}
      />
    )
  }
  return (
    <Shell
      session={boot.session}
      onSignedOut={(reason) => {
        setCsrfToken(undefined)
        setBoot({ state: 'signed-out', ...(reason !== undefined && { reason }) })
        navigate('/sign-in', { replace: true, force: true })
      }}
    />
  )
}

function Shell({
  session,
  onSignedOut,
}: {
  session: Session
  onSignedOut: (reason?: string) => void
}) {
  const location = useLocation()
  const [menuOpen, setMenuOpen] = useState(false)
  const [signOutError, setSignOutError] = useState<string | undefined>(undefined)
  const main = useRef<HTMLElement>(null)
  const role = session.administrator.role
  const value = useMemo<SessionContextValue>(
    () => ({
      session,
      tenant: session.administrator.tenant,
      role,
      canWrite: role !== 'viewer',
      isOwner: role === 'owner',
      signOut: async () => {
        await api.delete('/console/api/session')
        onSignedOut('You have signed out.')
      },
    }),
    [session, role, onSignedOut],
  )

  // A new page: close the menu and move focus to its heading, as a page load would. Pages that
  // load their data first get focus on <main> meanwhile, and on their heading once it appears
  // (unless the user has moved on).
  const firstPath = useRef(true)
  useEffect(() => {
    setMenuOpen(false)
    if (firstPath.current) {
      firstPath.current = false
      return undefined
    }
    const container = main.current
    if (container === null) return undefined
    const focusHeading = (): boolean => {
      const heading = container.querySelector('h1')
      if (heading === null) return false
      heading.setAttribute('tabindex', '-1')
      heading.focus()
      return true
    }
    if (focusHeading()) return undefined
    container.focus()
    const observer = new MutationObserver(() => {
      const active = document.activeElement
      if (active !== container && active !== document.body) observer.disconnect()
      else if (focusHeading()) observer.disconnect()
    })
    observer.observe(container, { childList: true, subtree: true })
    const timer = setTimeout(() => {
      observer.disconnect()
    }, 10_000)
    return () => {
      observer.disconnect()
      clearTimeout(timer)
    }
  }, [location.path])

  useEffect(() => {
    if (location.path === '/' || location.path === '/sign-in') {
      const next = location.query.get('next')
      navigate(next !== null && next.startsWith('/') ? next : '/applications', { replace: true })
    }
  }, [location.path, location.query])

  const branding = useBranding()
  const back = returnUrl()
  const backLabel = back === undefined ? '' : new URL(back).host
  const page = route(location, value)
  useEffect(() => {
    document.title = `${page.title} · ${branding.productName}`
  }, [page.title, branding.productName])

  return (
    <SessionContext.Provider value={value}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/applications" class="brand">
          <BrandMark branding={branding} />
          <span class="brand-text">{branding.productName}</span>
        </Link>
        <span class="tenant" title="Tenant">
          <span class="visually-hidden">Tenant: </span>
          {session.administrator.tenant}
        </span>
        <button
          type="button"
          class="button menu-button"
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          onClick={() => {
            setMenuOpen(!menuOpen)
          }}
        >
          Menu
        </button>
        <div class="account">
          {back !== undefined && (
            <a class="button button-small" href={back} target="_top">
              Back to {backLabel}
            </a>
          )}
          <span class="account-name">
            {session.administrator.username} <span class={`role role-${role}`}>{role}</span>
          </span>
          <button
            type="button"
            class="button button-small"
            onClick={() => {
              setSignOutError(undefined)
              // A secret still on screen is lost by signing out too: the same question first.
              whenLeaving(() => {
                value.signOut().catch((error: unknown) => {
                  setSignOutError(error instanceof Error ? error.message : 'Sign-out failed.')
                })
              })
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      {signOutError !== undefined && (
        <div class="alert alert-error" role="alert">
          {signOutError}
        </div>
      )}
      <div class="layout">
        <nav
          id="sidebar"
          class={menuOpen ? 'sidebar sidebar-open' : 'sidebar'}
          aria-label="Console"
        >
          <p class="nav-heading" id="nav-settings">
            Settings
          </p>
          <ul aria-labelledby="nav-settings">
            {NAV.filter((item) => item.ownerOnly !== true || role === 'owner').map((item) => {
              const active =
                location.path === item.href || location.path.startsWith(`${item.href}/`)
              return (
                <li key={item.href}>
                  <Link
                    href={item.href}
                    class={active ? 'nav-link nav-link-active' : 'nav-link'}
                    aria-current={active ? 'page' : undefined}
                  >
                    {item.label}
                  </Link>
                </li>
              )
            })}
          </ul>
          {role === 'viewer' && <p class="nav-note">You have read-only access.</p>}
        </nav>
        <main id="main" ref={main} class="main" tabIndex={-1}>
          {page.element}
        </main>
      </div>
    </SessionContext.Provider>
  )
}

function route(
  location: ReturnType<typeof useLocation>,
  session: SessionContextValue,
): { title: string; element: preact.JSX.Element } {
  const { path } = location
  if (path === '/' || path === '/sign-in' || path === '/applications' || path === '/applications/')
    return { title: 'OAuth Applications', element: <ApplicationsPage location={location} /> }
  if (path === '/applications/new')
    return { title: 'Create OAuth Application', element: <CreateApplicationPage /> }
  const app = match('/applications/:clientId', path)
  if (app?.['clientId'] !== undefined)
    return {
      title: 'Application',
      element: <ApplicationPage key={app['clientId']} clientId={app['clientId']} />,
    }
  if (path === '/apis') return { title: 'APIs', element: <ApisPage /> }
  if (path === '/apis/new') return { title: 'Register an API', element: <NewApiPage /> }
  const apiMatch = match('/apis/:id', path)
  if (apiMatch?.['id'] !== undefined)
    return { title: 'API', element: <ApiPage key={apiMatch['id']} id={apiMatch['id']} /> }
  if (path === '/webhooks') return { title: 'Webhooks', element: <WebhooksPage /> }
  if (path === '/insights') return { title: 'Insights', element: <InsightsPage /> }
  if (path === '/audit') return { title: 'Audit log', element: <AuditPage location={location} /> }
  if (path === '/users') return { title: 'Users', element: <UsersPage /> }
  if (path === '/administrators') {
    if (!session.isOwner)
      return {
        title: 'Administrators',
        element: (
          <div class="page">
            <h1>Administrators</h1>
            <p>Only owners manage administrators.</p>
          </div>
        ),
      }
    return { title: 'Administrators', element: <AdministratorsPage /> }
  }
  return {
    title: 'Not found',
    element: (
      <div class="page">
        <h1>Page not found</h1>
        <p>
          There is nothing at this address. Go to{' '}
          <Link href="/applications">OAuth Applications</Link>.
        </p>
      </div>
    ),
  }
}
