import { useEffect, useRef, useState } from 'preact/hooks'

import { api, ApiError, messageOf } from '../api/client'
import type { CreatedApplication } from '../api/types'
import { ErrorMessage, Warning } from '../components/alert'
import {
  AuthenticationFields,
  authenticationBody,
  authenticationErrors,
  authenticationFrom,
  checkAuthentication,
  type AuthenticationValue,
} from '../components/authentication-fields'
import {
  checkDetails,
  DetailsFields,
  detailsFrom,
  focusFirstError,
  expiresAtOf,
  fieldErrors,
  LifetimeField,
  type DetailsValue,
} from '../components/application-fields'
import { Field } from '../components/field'
import { FormActions } from '../components/form-actions'
import { Link } from '../components/link'
import { ScopePicker } from '../components/scope-picker'
import { SecretReveal } from '../components/secret-reveal'
import { SecretlessNextSteps } from '../components/secretless-next-steps'
import { WizardSteps } from '../components/wizard-steps'
import { focusFirstInvalid } from '../lib/credentials'
import { apiLabel, lifetimeChoices, useApis, useTenant } from '../lib/data'
import { navigate } from '../lib/router'
import { useSession } from '../lib/session'

const STEPS = ['Details', 'Scopes', 'Credentials'] as const
const DETAIL_FIELDS = ['name', 'description', 'environment', 'expires_at']

/**
 * Details and how it authenticates → scopes → credentials (a secret shown once, or what to do
 * next without one). Works with the keyboard alone.
 */
export function CreateApplicationPage() {
  const { tenant, canWrite } = useSession()
  const apis = useApis({ for: 'applications' })
  const tenantInfo = useTenant()
  const [step, setStep] = useState(1)
  const [details, setDetails] = useState<DetailsValue>(() => detailsFrom())
  const [auth, setAuth] = useState<AuthenticationValue>(authenticationFrom)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [audience, setAudience] = useState('')
  const [scopes, setScopes] = useState<string[]>([])
  const [lifetime, setLifetime] = useState<number | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const [created, setCreated] = useState<CreatedApplication | undefined>(undefined)
  const [adminAcknowledged, setAdminAcknowledged] = useState(false)
  const heading = useRef<HTMLHeadingElement>(null)

  // Each step starts at its heading, so screen readers and keyboard users begin at the top.
  const firstRender = useRef(true)
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false
      return
    }
    heading.current?.focus()
  }, [step])

  // The admin API (offered to owners only) is never preselected: it is chosen on purpose.
  useEffect(() => {
    if (audience === '' && apis.data !== undefined) {
      const first = apis.data.find((a) => !a.built_in)
      if (first !== undefined) setAudience(first.audience)
    }
  }, [apis.data, audience])

  if (!canWrite) {
    return (
      <div class="page">
        <h1>Create OAuth Application</h1>
        <p>Your role can view applications but not create them.</p>
      </div>
    )
  }

  const selectedApi = apis.data?.find((a) => a.audience === audience)
  const customerApis = apis.data?.filter((a) => !a.built_in) ?? []
  const builtInApis = apis.data?.filter((a) => a.built_in) ?? []
  const grantsAdmin = selectedApi?.built_in === true && scopes.length > 0
  const openCreated = () => {
    if (created !== undefined) navigate(`/applications/${encodeURIComponent(created.client_id)}`)
  }

  // The first field in error gets focus: a detail's at once, a credential's once it is drawn.
  const showErrors = (found: Record<string, string>) => {
    if (DETAIL_FIELDS.some((f) => f in found)) focusFirstError(found)
    else setTimeout(focusFirstInvalid, 0)
  }

  const submitDetails = (event: Event) => {
    event.preventDefault()
    const found = { ...checkDetails(details), ...checkAuthentication(auth) }
    setErrors(found)
    if (Object.keys(found).length > 0) {
      showErrors(found)
      return
    }
    setStep(2)
  }

  const submitScopes = (event: Event) => {
    event.preventDefault()
    if (busy || (grantsAdmin && !adminAcknowledged)) return
    setBusy(true)
    setError(undefined)
    api
      .post('/admin/v1/tenants/{tenant}/applications', {
        path: { tenant },
        body: {
          name: details.name.trim(),
          ...(details.description.trim() !== '' && { description: details.description.trim() }),
          environment: details.environment.trim(),
          expires_at: expiresAtOf(details),
          grants: selectedApi === undefined ? [] : [{ audience: selectedApi.audience, scopes }],
          // Omitted means the tenant default (the server coerces a JSON null to 0 here).
          ...(lifetime !== null && { token_lifetime_seconds: lifetime }),
          ...authenticationBody(auth),
        },
      })
      .then(
        ({ data }) => {
          setBusy(false)
          setCreated(data)
          setStep(3)
        },
        (reason: unknown) => {
          setBusy(false)
          if (reason instanceof ApiError && reason.fields.length > 0) {
            const byField = {
              ...fieldErrors(reason.fields),
              ...authenticationErrors(reason.fields, auth),
            }
            if (
              DETAIL_FIELDS.some((f) => f in byField) ||
              reason.fields.some((f) => /^(jwks|trust_polic)/.test(f.field))
            ) {
              setErrors(byField)
              setStep(1)
              setTimeout(() => {
                showErrors(byField)
              }, 0)
              return
            }
          }
          setError(messageOf(reason))
        },
      )
  }

  return (
    <div class="page page-narrow">
      <p class="breadcrumb">
        <Link href="/applications">OAuth Applications</Link> <span aria-hidden="true">/</span> New
      </p>
      <h1>Create OAuth Application</h1>
      <WizardSteps steps={STEPS} current={step} />

      {step === 1 && (
        <form class="card" onSubmit={submitDetails} noValidate>
          <h2 ref={heading} tabIndex={-1}>
            Details
          </h2>
          <DetailsFields value={details} onChange={setDetails} errors={errors} />
          <AuthenticationFields value={auth} onChange={setAuth} errors={errors} />
          <div class="actions">
            <Link href="/applications" class="button">
              Cancel
            </Link>
            <button type="submit" class="button button-primary">
              Next: scopes
            </button>
          </div>
        </form>
      )}

      {step === 2 && (
        <form class="card" onSubmit={submitScopes}>
          <h2 ref={heading} tabIndex={-1}>
            Scopes
          </h2>
          <p class="hint">
            Grant only what <strong>{details.name}</strong> needs. You can change this later; the
            change applies to the next token it requests.
          </p>
          <ErrorMessage>{apis.error}</ErrorMessage>
          {apis.data !== undefined && customerApis.length === 0 && (
            <Warning>
              This tenant has no API yet. <Link href="/apis/new">Register an API</Link> with its
              scopes first, or create the application without scopes.
            </Warning>
          )}
          {apis.data !== undefined && apis.data.length > 0 && (
            <Field id="grant-api" label="API" hint="The audience the tokens are for.">
              <select
                id="grant-api"
                value={audience}
                aria-describedby="grant-api-hint"
                onChange={(e) => {
                  setAudience(e.currentTarget.value)
                  setScopes([])
                  setAdminAcknowledged(false)
                }}
              >
                {customerApis.length === 0 && <option value="">No API: no scopes</option>}
                {customerApis.map((a) => (
                  <option key={a.id} value={a.audience}>
                    {apiLabel(a)}
                  </option>
                ))}
                {builtInApis.length > 0 && (
                  <optgroup label="Administration (owners only)">
                    {builtInApis.map((a) => (
                      <option key={a.id} value={a.audience}>
                        {apiLabel(a)} — manages this tenant
                      </option>
                    ))}
                  </optgroup>
                )}
              </select>
            </Field>
          )}
          {selectedApi?.built_in === true && (
            <div class="alert alert-warning" role="note">
              <p>
                <strong>This is Tokenmint's own admin API.</strong> Its scopes let this application
                administer the tenant through the admin API and the CLI: create, change and delete
                applications, APIs and users. Grant it only to automation you trust as much as an
                owner, and only the scopes it needs.
              </p>
              {scopes.length > 0 && (
                <div class="confirm-stored">
                  <input
                    type="checkbox"
                    id="admin-acknowledged"
                    checked={adminAcknowledged}
                    onChange={(e) => {
                      setAdminAcknowledged(e.currentTarget.checked)
                    }}
                  />
                  <label for="admin-acknowledged">
                    I understand this application will be able to administer the tenant
                  </label>
                </div>
              )}
            </div>
          )}
          {selectedApi !== undefined && (
            <ScopePicker
              key={selectedApi.id}
              api={selectedApi}
              selected={scopes}
              onChange={setScopes}
            />
          )}
          <LifetimeField
            value={lifetime}
            onChange={setLifetime}
            defaultSeconds={tenantInfo.data?.default_token_lifetime_seconds}
            choices={lifetimeChoices(tenantInfo.data?.max_token_lifetime_seconds ?? 86_400)}
          />
          <ErrorMessage>{error}</ErrorMessage>
          <FormActions
            submit="Create application"
            busyLabel="Creating…"
            busy={busy}
            ready={!grantsAdmin || adminAcknowledged}
            cancel={() => {
              setStep(1)
            }}
            cancelLabel="Back"
          />
        </form>
      )}

      {step === 3 && created !== undefined && (
        <div class="card">
          <h2 ref={heading} tabIndex={-1}>
            {created.client_secret === undefined ? 'Next steps for' : 'Credentials for'}{' '}
            {created.name}
          </h2>
          {created.client_secret === undefined ? (
            <SecretlessNextSteps created={created} onClose={openCreated} />
          ) : (
            <SecretReveal
              clientId={created.client_id}
              secret={created.client_secret}
              snippets={created.snippets}
              closeLabel="Close"
              onClose={openCreated}
            />
          )}
        </div>
      )}
    </div>
  )
}
