import { useState } from 'preact/hooks'

import { api, ApiError, messageOf } from '../../api/client'
import { ErrorMessage, Notice } from '../../components/alert'
import {
  checkDetails,
  DetailsFields,
  detailsFrom,
  expiresAtOf,
  fieldErrors,
  focusFirstError,
  LifetimeField,
  type DetailsValue,
} from '../../components/application-fields'
import { FormActions } from '../../components/form-actions'
import { DateTime } from '../../components/time'
import { lifetimeChoices, useTenant } from '../../lib/data'
import { formatDateTimeInZone, formatDuration } from '../../lib/format'
import { useSession } from '../../lib/session'
import type { Loaded } from './loaded'

export function DetailsSection({
  loaded,
  editable,
  onChanged,
}: {
  loaded: Loaded
  editable: boolean
  onChanged: (next: Loaded) => void
}) {
  const { tenant } = useSession()
  const tenantInfo = useTenant()
  const { app, etag } = loaded
  const [editing, setEditing] = useState(false)
  const [value, setValue] = useState<DetailsValue>(() => detailsFrom(app))
  const [lifetime, setLifetime] = useState<number | null>(app.token_lifetime_seconds)
  const [dpop, setDpop] = useState(app.dpop_bound_access_tokens)
  const [claims, setClaims] = useState(() => claimsText(app.claims))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | undefined>(undefined)
  const [saved, setSaved] = useState(false)
  const [busy, setBusy] = useState(false)

  const save = (event: Event) => {
    event.preventDefault()
    const found = checkDetails(value)
    const parsedClaims = parseClaims(claims)
    if (typeof parsedClaims === 'string') found['claims'] = parsedClaims
    setErrors(found)
    if (Object.keys(found).length > 0 || typeof parsedClaims === 'string') {
      focusFirstError(found)
      return
    }
    setBusy(true)
    setError(undefined)
    // An untouched expiry keeps its exact instant (it may have been set elsewhere, to the second).
    const before = detailsFrom(app)
    const expiryChanged = value.expiry !== before.expiry || value.expiresOn !== before.expiresOn
    api
      .patch('/admin/v1/tenants/{tenant}/applications/{clientId}', {
        path: { tenant, clientId: app.client_id },
        ifMatch: etag,
        body: {
          name: value.name.trim(),
          description: value.description.trim(),
          environment: value.environment.trim(),
          ...(expiryChanged && { expires_at: expiresAtOf(value) }),
          ...(lifetime !== app.token_lifetime_seconds && { token_lifetime_seconds: lifetime }),
          ...(dpop !== app.dpop_bound_access_tokens && { dpop_bound_access_tokens: dpop }),
          ...(typeof parsedClaims !== 'string' &&
            claimsText(parsedClaims) !== claimsText(app.claims) && { claims: parsedClaims }),
        },
      })
      .then(
        (result) => {
          setBusy(false)
          setEditing(false)
          setSaved(true)
          onChanged({ app: { ...app, ...result.data }, etag: result.etag })
        },
        (reason: unknown) => {
          setBusy(false)
          if (reason instanceof ApiError && reason.fields.length > 0) {
            setErrors(fieldErrors(reason.fields))
          }
          setError(messageOf(reason))
        },
      )
  }

  return (
    <section class="card" id="details" aria-labelledby="details-title">
      <div class="card-header">
        <h2 id="details-title">Details</h2>
        {editable && !editing && (
          <button
            type="button"
            class="button"
            onClick={() => {
              setValue(detailsFrom(app))
              setLifetime(app.token_lifetime_seconds)
              setDpop(app.dpop_bound_access_tokens)
              setClaims(claimsText(app.claims))
              setErrors({})
              setSaved(false)
              setEditing(true)
            }}
          >
            Edit details
          </button>
        )}
      </div>
      {saved && <Notice tone="success">Details saved.</Notice>}
      {!editing ? (
        <dl class="details">
          <dt>Name</dt>
          <dd>{app.name}</dd>
          <dt>Description</dt>
          <dd>{app.description === '' ? <span class="muted">None</span> : app.description}</dd>
          <dt>Environment</dt>
          <dd>{app.environment}</dd>
          <dt>Client ID</dt>
          <dd>
            <code>{app.client_id}</code>
          </dd>
          <dt>Expires</dt>
          <dd>
            {app.expires_at === null ? (
              <span class="muted">Never</span>
            ) : (
              <time dateTime={app.expires_at}>{formatDateTimeInZone(app.expires_at)}</time>
            )}
          </dd>
          <dt>Access token lifetime</dt>
          <dd>
            {app.token_lifetime_seconds === null
              ? `Tenant default${tenantInfo.data === undefined ? '' : ` (${formatDuration(tenantInfo.data.default_token_lifetime_seconds)})`}`
              : formatDuration(app.token_lifetime_seconds)}
          </dd>
          <dt>Grant types</dt>
          <dd>{app.grant_types.join(', ')}</dd>
          <dt>DPoP</dt>
          <dd>
            {app.dpop_bound_access_tokens
              ? 'Required: every token is bound to the key of its request’s proof'
              : 'Optional: a token is bound when its request carries a DPoP proof'}
          </dd>
          <dt>Custom claims</dt>
          <dd>
            {Object.keys(app.claims).length === 0 ? (
              <span class="muted">None</span>
            ) : (
              Object.entries(app.claims).map(([name, claim]) => (
                <div key={name}>
                  <code>
                    {name}: {claim}
                  </code>
                </div>
              ))
            )}
          </dd>
          <dt>Created</dt>
          <dd>
            <DateTime iso={app.created_at} />
          </dd>
          <dt>Updated</dt>
          <dd>
            <DateTime iso={app.updated_at} />
          </dd>
        </dl>
      ) : (
        <form onSubmit={save} noValidate>
          <DetailsFields value={value} onChange={setValue} errors={errors} />
          <LifetimeField
            value={lifetime}
            onChange={setLifetime}
            defaultSeconds={tenantInfo.data?.default_token_lifetime_seconds}
            choices={lifetimeChoices(tenantInfo.data?.max_token_lifetime_seconds ?? 86_400)}
          />
          <div class="field">
            <label class="scope-checkbox">
              <input
                type="checkbox"
                name="dpop"
                checked={dpop}
                aria-describedby="dpop-hint"
                onChange={(event) => {
                  setDpop(event.currentTarget.checked)
                }}
              />
              <span>Require DPoP proofs</span>
            </label>
            <p class="hint" id="dpop-hint">
              RFC 9449: token requests without a proof are refused, and every token works only with
              the key that signed its proof, so a copied token is useless on its own.
            </p>
          </div>
          <div class="field">
            <label for="claims">Custom claims</label>
            <textarea
              id="claims"
              name="claims"
              rows={3}
              value={claims}
              aria-describedby="claims-hint"
              aria-invalid={errors['claims'] !== undefined}
              onInput={(event) => {
                setClaims(event.currentTarget.value)
              }}
            />
            <p class="hint" id="claims-hint">
              One <code>name=value</code> per line, carried by every token of this application.
              Names Tokenmint sets (sub, scope, tenant…) are refused.
            </p>
            {errors['claims'] !== undefined && <p class="field-error">{errors['claims']}</p>}
          </div>
          <ErrorMessage>{error}</ErrorMessage>
          <FormActions
            submit="Save details"
            busyLabel="Saving…"
            busy={busy}
            cancel={() => {
              setEditing(false)
              setError(undefined)
            }}
          />
        </form>
      )}
    </section>
  )
}

function claimsText(claims: Record<string, string>): string {
  return Object.entries(claims)
    .map(([name, value]) => `${name}=${value}`)
    .join('\n')
}

/** `name=value` lines as an object, or what is wrong with them. */
function parseClaims(text: string): Record<string, string> | string {
  const claims: Record<string, string> = {}
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '') continue
    const at = line.indexOf('=')
    if (at <= 0) return `"${line}" is not name=value`
    claims[line.slice(0, at).trim()] = line.slice(at + 1).trim()
  }
  return claims
}
