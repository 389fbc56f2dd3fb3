import { useEffect, useRef, useState } from 'preact/hooks'

import { api, messageOf } from '../api/client'
import type { Session } from '../api/types'
import { ErrorMessage, Notice } from '../components/alert'
import { Field } from '../components/field'
import { BrandMark, useBranding } from '../lib/branding'

const LAST_TENANT = 'tokenmint.console.tenant'

function rememberedTenant(): string {
  try {
    return window.localStorage.getItem(LAST_TENANT) ?? ''
  } catch {
    return ''
  }
}

/** Administrator sign-in: tenant, username, password. One message for every failure. */
export function SignInPage({
  onSignedIn,
  reason,
  tenantHint,
}: {
  onSignedIn: (session: Session) => void
  reason?: string | undefined
  tenantHint?: string | undefined
}) {
  // The server names no tenant before sign-in (it would tell anyone which exist), so the field
  // starts with the link's tenant or the one last used in this browser.
  const [remembered] = useState(rememberedTenant)
  const [tenant, setTenant] = useState(() => tenantHint ?? remembered)
  const tenantNote =
    tenantHint !== undefined
      ? 'From the link you followed.'
      : remembered !== '' && tenant === remembered
        ? 'The tenant you last signed in to in this browser.'
        : 'Your organisation’s tenant id, as in your console link. This browser remembers it once you sign in.'
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const branding = useBranding()
  const first = useRef<HTMLInputElement>(null)
  const passwordInput = useRef<HTMLInputElement>(null)

  useEffect(() => {
    first.current?.focus()
  }, [])
  useEffect(() => {
    document.title = `Sign in · ${branding.productName}`
  }, [branding.productName])

  return (
    <main id="main" class="sign-in">
      <div class="sign-in-card">
        <p class="brand brand-large">
          <BrandMark branding={branding} />
          {branding.productName}
        </p>
        <h1>Sign in to the console</h1>
        {reason !== undefined && <Notice>{reason}</Notice>}
        <form
          onSubmit={(event) => {
            event.preventDefault()
            if (busy) return
            setBusy(true)
            setError(undefined)
            api
              .post('/console/api/session', {
                body: { tenant: tenant.trim(), username: username.trim(), password },
              })
              .then(
                ({ data }) => {
                  try {
                    window.localStorage.setItem(LAST_TENANT, tenant.trim())
                  } catch {
                    // Storage may be disabled; remembering the tenant is only a convenience.
                  }
                  setPassword('')
                  onSignedIn(data)
                },
                (reason: unknown) => {
                  setBusy(false)
                  setPassword('')
                  setError(messageOf(reason))
                  passwordInput.current?.focus()
                },
              )
          }}
        >
          <Field id="signin-tenant" label="Tenant" hint={tenantNote}>
            <input
              ref={first}
              id="signin-tenant"
              name="tenant"
              type="text"
              required
              autoComplete="organization"
              aria-describedby="signin-tenant-hint"
              autoCapitalize="none"
              spellcheck={false}
              value={tenant}
              onInput={(e) => {
                setTenant(e.currentTarget.value)
              }}
            />
          </Field>
          <Field id="signin-username" label="Username">
            <input
              id="signin-username"
              name="username"
              type="text"
              required
              autoComplete="username"
              autoCapitalize="none"
              spellcheck={false}
              value={username}
              onInput={(e) => {
                setUsername(e.currentTarget.value)
              }}
            />
          </Field>
          <Field id="signin-password" label="Password">
            <input
              ref={passwordInput}
              id="signin-password"
              name="password"
              type="password"
              required
              autoComplete="current-password"
              value={password}
              onInput={(e) => {
                setPassword(e.currentTarget.value)
              }}
            />
          </Field>
          <ErrorMessage>{error}</ErrorMessage>
          <button type="submit" class="button button-primary button-block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p class="hint">
          Administrators are created with <code>tokenmint admins create</code> or on the
          Administrators page by an owner.
        </p>
      </div>
    </main>
  )
}
