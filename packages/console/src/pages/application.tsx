import { useState } from 'preact/hooks'

import { api, ApiError, messageOf } from '../api/client'
import type { Api, ApplicationDetail as Application, Grant, RotatedSecret } from '../api/types'
import { ErrorMessage, Notice, Warning } from '../components/alert'
import {
  checkDetails,
  DetailsFields,
  detailsFrom,
  expiresAtOf,
  fieldErrors,
  focusFirstError,
  LifetimeField,
  type DetailsValue,
} from '../components/application-fields'
import { CopyValue } from '../components/code-block'
import { ConfirmDialog, Dialog } from '../components/dialog'
import { Field } from '../components/field'
import { FormActions } from '../components/form-actions'
import { Link } from '../components/link'
import { Pager } from '../components/pager'
import { ScopePicker } from '../components/scope-picker'
import { SecretReveal } from '../components/secret-reveal'
import { SnippetTabs } from '../components/snippet-tabs'
import { StatusBadge } from '../components/status-badge'
import { DateTime, Time } from '../components/time'
import { UsageChart } from '../components/usage-chart'
import { AuditTable } from './audit'
import { ADMIN_AUDIENCE, apiLabel, lifetimeChoices, useApis, useTenant } from '../lib/data'
import { formatDuration, plural } from '../lib/format'
import { navigate } from '../lib/router'
import { sortScopes } from '../lib/scopes'
import { useSession } from '../lib/session'
import { useAsync, useCursor } from '../lib/use-async'

interface Loaded {
  app: Application
  etag: string | undefined
}

/** One application: details, scopes, token request, secrets, usage, activity, revoke, delete. */
export function ApplicationPage({ clientId }: { clientId: string }) {
  const { tenant } = useSession()
  const loaded = useAsync(
    async (signal): Promise<Loaded> => {
      const { data, etag } = await api.get('/admin/v1/tenants/{tenant}/applications/{clientId}', {
        path: { tenant, clientId },
        signal,
      })
      return { app: data, etag }
    },
    [tenant, clientId],
  )
  const apis = useApis({ for: 'applications' })

  if (loaded.data === undefined) {
    return (
      <div class="page">
        <p class="breadcrumb">
          <Link href="/applications">OAuth Applications</Link>
        </p>
        {loaded.error !== undefined ? (
          <>
            <h1>Application not available</h1>
            <ErrorMessage>{loaded.error}</ErrorMessage>
          </>
        ) : (
          <p aria-busy="true">Loading the application…</p>
        )}
      </div>
    )
  }
  return (
    <ApplicationView
      key={clientId}
      loaded={loaded.data}
      apis={apis.data ?? []}
      onChanged={(next) => {
        loaded.setData(next)
      }}
      reload={loaded.reload}
    />
  )
}

interface ViewProps {
  loaded: Loaded
  apis: Api[]
  onChanged: (next: Loaded) => void
  reload: () => void
}

function ApplicationView({ loaded, apis, onChanged, reload }: ViewProps) {
  const { canWrite, isOwner } = useSession()
  const { app } = loaded
  // Only an owner may change an application holding admin API scopes (the server enforces it).
  const privileged = app.built_in || app.grants.some((g) => g.audience === ADMIN_AUDIENCE)
  const mayChange = canWrite && (isOwner || !privileged)
  const editable = mayChange && app.status !== 'revoked'
  const sections = [
    ['details', 'Details'],
    ['scopes', 'Scopes'],
    ['token-request', 'Token request'],
    ['secrets', 'Secrets'],
    ['usage', 'Usage'],
    ['activity', 'Activity'],
    ...(mayChange ? [['danger', 'Revoke or delete']] : []),
  ]
  return (
    <div class="page">
      <p class="breadcrumb">
        <Link href="/applications">OAuth Applications</Link> <span aria-hidden="true">/</span>{' '}
        {app.name}
      </p>
      <div class="page-header">
        <div>
          <h1 class="app-title">
            {app.name} <StatusBadge status={app.status} />
          </h1>
          <p class="muted">
            <span class="env">{app.environment}</span> · <code>{app.client_id}</code> · last used{' '}
            <Time iso={app.last_used_at} never="never" />
          </p>
        </div>
      </div>
      {app.built_in && (
        <Warning>
          This is the built-in admin application: the tokenmint CLI signs in with its credentials.
          Rotating its secret, revoking or deleting it stops the CLI until its profile has the new
          secret. {isOwner ? '' : 'Only an owner may change it.'}
        </Warning>
      )}
      {!app.built_in && privileged && !isOwner && (
        <Warning>
          This application holds scopes of the admin API: only an owner may change it.
        </Warning>
      )}
      {app.status === 'revoked' && (
        <Warning>
          This application is revoked: it can no longer get tokens, and its tokens are rejected.
          Revocation cannot be undone; create a new application if the integration still needs
          access.
        </Warning>
      )}
      {app.status === 'expired' && (
        <Warning>
          This application expired on <DateTime iso={app.expires_at} />. Set a later expiration
          below to let it get tokens again.
        </Warning>
      )}
      {app.warnings
        ?.filter((w) => !/^secret .* still in use/.test(w))
        .map((w) => (
          <Warning key={w}>{w}</Warning>
        ))}
      {(app.secrets ?? []).some((s) => s.still_in_use) && (
        <Warning>
          A client still uses a secret whose overlap is ending.{' '}
          <a href="#secrets">See the secrets</a> before ending the overlap.
        </Warning>
      )}
      <nav class="toc" aria-label="On this page">
        <ul>
          {sections.map(([id, label]) => (
            <li key={id}>
              <a href={`#${id ?? ''}`}>{label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <DetailsSection loaded={loaded} editable={editable} onChanged={onChanged} />
      <ScopesSection loaded={loaded} apis={apis} editable={editable} onChanged={onChanged} />
      <TokenRequestSection app={app} />
      <SecretsSection app={app} editable={editable} reload={reload} />
      <section class="card" id="usage" aria-labelledby="usage-title">
        <h2 id="usage-title">Usage</h2>
        <p class="muted">
          Last used <Time iso={app.usage?.last_used_at ?? app.last_used_at} never="never" />
          {app.usage?.last_client_ip !== null && app.usage?.last_client_ip !== undefined && (
            <>
              {' '}
              from <code>{app.usage.last_client_ip}</code>
            </>
          )}
          .
        </p>
        <UsageChart days={app.usage?.tokens_per_day ?? []} />
      </section>
      <ActivitySection clientId={app.client_id} />
      {mayChange && <DangerSection app={app} onChanged={onChanged} />}
    </div>
  )
}

function DetailsSection({
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
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | undefined>(undefined)
  const [saved, setSaved] = useState(false)
  const [busy, setBusy] = useState(false)

  const save = (event: Event) => {
    event.preventDefault()
    const found = checkDetails(value)
    setErrors(found)
    if (Object.keys(found).length > 0) {
      focusFirstError(found)
      return
    }
    setBusy(true)
    setError(undefined)
    api
      .patch('/admin/v1/tenants/{tenant}/applications/{clientId}', {
        path: { tenant, clientId: app.client_id },
        ifMatch: etag,
        body: {
          name: value.name.trim(),
          description: value.description.trim(),
          environment: value.environment.trim(),
          expires_at: expiresAtOf(value),
          ...(lifetime !== app.token_lifetime_seconds && { token_lifetime_seconds: lifetime }),
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
            <DateTime iso={app.expires_at} never="Never" />
          </dd>
          <dt>Access token lifetime</dt>
          <dd>
            {app.token_lifetime_seconds === null
              ? `Tenant default${tenantInfo.data === undefined ? '' : ` (${formatDuration(tenantInfo.data.default_token_lifetime_seconds)})`}`
              : formatDuration(app.token_lifetime_seconds)}
          </dd>
          <dt>Grant types</dt>
          <dd>{app.grant_types.join(', ')}</dd>
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

function ScopesSection({
  loaded,
  apis,
  editable,
  onChanged,
}: {
  loaded: Loaded
  apis: Api[]
  editable: boolean
  onChanged: (next: Loaded) => void
}) {
  const { tenant } = useSession()
  const { app, etag } = loaded
  const [editing, setEditing] = useState(false)
  const [grants, setGrants] = useState<Grant[]>(app.grants)
  const [adding, setAdding] = useState('')
  const [error, setError] = useState<string | undefined>(undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const apiOf = (audience: string) => apis.find((a) => a.audience === audience)
  const addable = apis.filter((a) => !grants.some((g) => g.audience === a.audience))

  const save = (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    api
      .patch('/admin/v1/tenants/{tenant}/applications/{clientId}', {
        path: { tenant, clientId: app.client_id },
        ifMatch: etag,
        body: { grants: grants.map((g) => ({ audience: g.audience, scopes: g.scopes })) },
      })
      .then(
        (result) => {
          setBusy(false)
          setEditing(false)
          setNotice(
            result.data.notice ??
              'Scopes saved. They apply to the next token request; tokens already issued keep their scopes until they expire.',
          )
          onChanged({ app: { ...app, ...result.data }, etag: result.etag })
        },
        (reason: unknown) => {
          setBusy(false)
          setError(messageOf(reason))
        },
      )
  }

  return (
    <section class="card" id="scopes" aria-labelledby="scopes-title">
      <div class="card-header">
        <h2 id="scopes-title">Scopes</h2>
        {editable && !editing && (
          <button
            type="button"
            class="button"
            onClick={() => {
              setGrants(app.grants)
              setNotice(undefined)
              setError(undefined)
              setEditing(true)
            }}
          >
            Edit scopes
          </button>
        )}
      </div>
      {notice !== undefined && (
        <Notice tone="success">
          {notice}{' '}
          {app.status === 'active' && (
            <a href="#danger">Revoke the application to end issued tokens now.</a>
          )}
        </Notice>
      )}
      {!editing ? (
        app.grants.length === 0 ? (
          <p class="muted">No scopes: this application cannot get a token for any API yet.</p>
        ) : (
          app.grants.map((grant) => {
            const known = apiOf(grant.audience)
            return (
              <div class="grant" key={grant.audience}>
                <h3>{known === undefined ? grant.audience : apiLabel(known)}</h3>
                {grant.scopes.length === 0 ? (
                  <p class="muted">No scopes for this API.</p>
                ) : (
                  <ul class="chips" aria-label={`Scopes for ${grant.audience}`}>
                    {sortScopes(known, grant.scopes).map((s) => (
                      <li key={s}>
                        <code>{s}</code>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            )
          })
        )
      ) : (
        <form onSubmit={save}>
          <p class="hint">
            The change applies to the very next token request. Tokens already issued keep their
            scopes until they expire; revoke the application to end them at once.
          </p>
          {grants.map((grant) => {
            const known = apiOf(grant.audience)
            return (
              <fieldset class="grant" key={grant.audience}>
                <legend>{known === undefined ? grant.audience : apiLabel(known)}</legend>
                {known === undefined ? (
                  <p class="muted">This API no longer exists; its scopes cannot be edited.</p>
                ) : (
                  <ScopePicker
                    api={known}
                    selected={grant.scopes}
                    onChange={(scopes) => {
                      setGrants((gs) =>
                        gs.map((g) => (g.audience === grant.audience ? { ...g, scopes } : g)),
                      )
                    }}
                  />
                )}
                <button
                  type="button"
                  class="button button-small"
                  onClick={() => {
                    setGrants((gs) => gs.filter((g) => g.audience !== grant.audience))
                  }}
                >
                  Remove access to {known?.name ?? grant.audience}
                </button>
              </fieldset>
            )
          })}
          {addable.length > 0 && (
            <div class="inline-form">
              <Field id="add-api" label="Grant access to another API">
                <select
                  id="add-api"
                  value={adding}
                  onChange={(e) => {
                    setAdding(e.currentTarget.value)
                  }}
                >
                  <option value="">Choose an API…</option>
                  {addable.map((a) => (
                    <option key={a.id} value={a.audience}>
                      {apiLabel(a)}
                    </option>
                  ))}
                </select>
              </Field>
              <button
                type="button"
                class="button"
                disabled={adding === ''}
                onClick={() => {
                  setGrants((gs) => [...gs, { audience: adding, scopes: [] }])
                  setAdding('')
                }}
              >
                Add API
              </button>
            </div>
          )}
          <ErrorMessage>{error}</ErrorMessage>
          <FormActions
            submit="Save scopes"
            busyLabel="Saving…"
            busy={busy}
            cancel={() => {
              setEditing(false)
            }}
          />
        </form>
      )}
    </section>
  )
}

function TokenRequestSection({ app }: { app: Application }) {
  const [audience, setAudience] = useState(app.grants[0]?.audience ?? '')
  const grant = app.grants.find((g) => g.audience === audience) ?? app.grants[0]
  // The server writes the snippets (the same code as at creation), the secret a placeholder.
  const snippets =
    app.token_requests.find((s) => s.audience === (grant?.audience ?? null)) ??
    app.token_requests[0]
  return (
    <section class="card" id="token-request" aria-labelledby="token-request-title">
      <h2 id="token-request-title">Token request</h2>
      <dl class="details">
        <dt>Token URL</dt>
        <dd>
          <code>{app.token_endpoint}</code>
        </dd>
        <dt>Audience</dt>
        <dd>
          {grant === undefined ? (
            <span class="muted">None granted</span>
          ) : (
            <code>{grant.audience}</code>
          )}
        </dd>
      </dl>
      <CopyValue id="app-client-id" label="Client ID" value={app.client_id} />
      {app.grants.length > 1 && (
        <Field id="snippet-audience" label="Show the request for">
          <select
            id="snippet-audience"
            value={audience}
            onChange={(e) => {
              setAudience(e.currentTarget.value)
            }}
          >
            {app.grants.map((g) => (
              <option key={g.audience} value={g.audience}>
                {g.audience}
              </option>
            ))}
          </select>
        </Field>
      )}
      {snippets !== undefined && <SnippetTabs snippets={snippets} />}
    </section>
  )
}

const OVERLAPS: [number, string][] = [
  [0, 'None: the current secret stops working at once'],
  [3600, '1 hour'],
  [86_400, '24 hours (default)'],
  [604_800, '7 days'],
  [2_592_000, '30 days'],
]

function SecretsSection({
  app,
  editable,
  reload,
}: {
  app: Application
  editable: boolean
  reload: () => void
}) {
  const { tenant } = useSession()
  const [overlap, setOverlap] = useState(86_400)
  const [confirmRotate, setConfirmRotate] = useState(false)
  const [confirmEnd, setConfirmEnd] = useState(false)
  const [rotated, setRotated] = useState<RotatedSecret | undefined>(undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const secrets = app.secrets ?? []
  const ending = secrets.filter((s) => s.expires_at !== null)
  const inUse = ending.filter((s) => s.still_in_use)

  return (
    <section class="card" id="secrets" aria-labelledby="secrets-title">
      <h2 id="secrets-title">Secrets</h2>
      <p class="hint">
        Only a hint of each secret is kept. Rotate to get a new one; during the overlap both the old
        and the new secret work, so clients can switch without downtime.
      </p>
      {notice !== undefined && <Notice tone="success">{notice}</Notice>}
      {inUse.map((s) => (
        <Warning key={s.id}>
          Secret <code>{s.hint}</code> stops working <Time iso={s.expires_at} /> but was used{' '}
          <Time iso={s.last_used_at} />
          {s.last_used_ip !== null && (
            <>
              {' '}
              from <code>{s.last_used_ip}</code>
            </>
          )}
          : a client still uses it. Update that client before the overlap ends.
        </Warning>
      ))}
      <div class="table-wrap" role="region" aria-label="Secrets" tabIndex={0}>
        <table class="table table-cards">
          <thead>
            <tr>
              <th scope="col">Secret</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Stops working</th>
            </tr>
          </thead>
          <tbody>
            {secrets.length === 0 && (
              <tr>
                <td colSpan={4} class="muted">
                  No live secret.
                </td>
              </tr>
            )}
            {secrets.map((s) => (
              <tr key={s.id}>
                <td data-label="Secret">
                  <code>{s.hint}</code>
                </td>
                <td data-label="Created">
                  <DateTime iso={s.created_at} />
                </td>
                <td data-label="Last used">
                  <Time iso={s.last_used_at} never="Never" />
                  {s.last_used_ip !== null && (
                    <span class="muted">
                      {' '}
                      from <code>{s.last_used_ip}</code>
                    </span>
                  )}
                </td>
                <td data-label="Stops working">
                  {s.expires_at === null ? (
                    <span class="muted">When rotated</span>
                  ) : (
                    <>
                      <DateTime iso={s.expires_at} /> (<Time iso={s.expires_at} />)
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {editable && (
        <div class="secret-actions">
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault()
              setConfirmRotate(true)
            }}
          >
            <Field id="rotate-overlap" label="Overlap">
              <select
                id="rotate-overlap"
                value={String(overlap)}
                onChange={(e) => {
                  setOverlap(Number(e.currentTarget.value))
                }}
              >
                {OVERLAPS.map(([seconds, label]) => (
                  <option key={seconds} value={String(seconds)}>
                    {label}
                  </option>
                ))}
              </select>
            </Field>
            <button type="submit" class="button">
              Rotate secret
            </button>
          </form>
          {ending.length > 0 && (
            <button
              type="button"
              class="button"
              onClick={() => {
                setConfirmEnd(true)
              }}
            >
              End overlap now
            </button>
          )}
        </div>
      )}
      <ConfirmDialog
        title="Rotate the client secret?"
        open={confirmRotate}
        onClose={() => {
          setConfirmRotate(false)
        }}
        confirmLabel="Rotate secret"
        danger={overlap === 0}
        onConfirm={async () => {
          const { data } = await api.post(
            '/admin/v1/tenants/{tenant}/applications/{clientId}/rotate-secret',
            { path: { tenant, clientId: app.client_id }, body: { overlap_seconds: overlap } },
          )
          setRotated(data)
        }}
      >
        <p>
          A new secret is created and shown once.{' '}
          {overlap === 0
            ? 'The current secret stops working at once: clients using it fail until they get the new one.'
            : `The current secret keeps working for ${formatDuration(overlap)}, then stops.`}
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        title="End the overlap now?"
        open={confirmEnd}
        onClose={() => {
          setConfirmEnd(false)
        }}
        confirmLabel="End overlap"
        danger
        onConfirm={async () => {
          const { data } = await api.post(
            '/admin/v1/tenants/{tenant}/applications/{clientId}/end-overlap',
            { path: { tenant, clientId: app.client_id } },
          )
          setNotice(`${plural(data.ended_secrets, 'old secret')} ended.`)
          reload()
        }}
      >
        <p>
          The old {ending.length === 1 ? 'secret stops' : 'secrets stop'} working at once; only the
          newest secret is accepted.
        </p>
        {inUse.length > 0 && (
          <p class="text-warning">
            <strong>A client still uses an old secret</strong> (last used{' '}
            <Time iso={inUse[0]?.last_used_at} />
            ): it will fail until it is given the new secret.
          </p>
        )}
      </ConfirmDialog>
      <Dialog
        title="New client secret"
        open={rotated !== undefined}
        onClose={() => {}}
        dismissible={false}
        wide
      >
        {rotated !== undefined && (
          <SecretReveal
            clientId={rotated.client_id}
            secret={rotated.client_secret}
            closeLabel="Done"
            onClose={() => {
              setRotated(undefined)
              setNotice(
                rotated.previous_secret?.expires_at === null || rotated.previous_secret === null
                  ? 'Secret rotated.'
                  : 'Secret rotated. The previous secret keeps working until the overlap ends.',
              )
              reload()
            }}
          />
        )}
      </Dialog>
    </section>
  )
}

function ActivitySection({ clientId }: { clientId: string }) {
  const { tenant } = useSession()
  const pages = useCursor(clientId)
  const events = useAsync(
    async (signal) =>
      (
        await api.get('/admin/v1/tenants/{tenant}/audit', {
          path: { tenant },
          query: { client_id: clientId, limit: 10, cursor: pages.cursor },
          signal,
        })
      ).data,
    [tenant, clientId, pages.cursor],
  )
  return (
    <section class="card" id="activity" aria-labelledby="activity-title">
      <div class="card-header">
        <h2 id="activity-title">Activity</h2>
        <Link href={`/audit?client_id=${encodeURIComponent(clientId)}`}>Open in the audit log</Link>
      </div>
      <ErrorMessage>{events.error}</ErrorMessage>
      {events.data !== undefined && (
        <>
          <AuditTable
            events={events.data.items}
            showApplication={false}
            label="Activity"
            selfClientId={clientId}
          />
          <Pager
            label="Activity pages"
            page={pages.page}
            hasPrevious={pages.hasPrevious}
            nextCursor={events.data.next_cursor}
            onPrevious={pages.previous}
            onNext={pages.next}
          />
        </>
      )}
    </section>
  )
}

function DangerSection({
  app,
  onChanged,
}: {
  app: Application
  onChanged: (next: Loaded) => void
}) {
  const { tenant } = useSession()
  const [revoking, setRevoking] = useState(false)
  const [deleting, setDeleting] = useState(false)
  return (
    <section class="card card-danger" id="danger" aria-labelledby="danger-title">
      <h2 id="danger-title">Revoke or delete</h2>
      {app.status !== 'revoked' && (
        <div class="danger-row">
          <div>
            <h3>Revoke</h3>
            <p>
              Takes effect at once: the next token request is refused and tokens already issued are
              rejected by APIs within a second. It cannot be undone.
            </p>
          </div>
          <button
            type="button"
            class="button button-danger"
            onClick={() => {
              setRevoking(true)
            }}
          >
            Revoke application
          </button>
        </div>
      )}
      <div class="danger-row">
        <div>
          <h3>Delete</h3>
          <p>Removes the application and its secrets. Its audit history stays.</p>
        </div>
        <button
          type="button"
          class="button button-danger"
          onClick={() => {
            setDeleting(true)
          }}
        >
          Delete application
        </button>
      </div>
      <ConfirmDialog
        title={`Revoke ${app.name}?`}
        open={revoking}
        onClose={() => {
          setRevoking(false)
        }}
        confirmLabel="Revoke now"
        danger
        onConfirm={async () => {
          const { data } = await api.post(
            '/admin/v1/tenants/{tenant}/applications/{clientId}/revoke',
            { path: { tenant, clientId: app.client_id } },
          )
          onChanged({ app: { ...app, ...data }, etag: `"${data.version}"` })
        }}
      >
        <p>
          <strong>This takes effect at once</strong>, also for tokens already issued: the next token
          request of <code>{app.client_id}</code> is refused, and APIs that verify tokens with
          Tokenmint reject its unexpired tokens within a second.
        </p>
        <p>Revocation cannot be undone.</p>
      </ConfirmDialog>
      <ConfirmDialog
        title={`Delete ${app.name}?`}
        open={deleting}
        onClose={() => {
          setDeleting(false)
        }}
        confirmLabel="Delete application"
        danger
        requireText={app.name}
        onConfirm={async () => {
          await api.delete('/admin/v1/tenants/{tenant}/applications/{clientId}', {
            path: { tenant, clientId: app.client_id },
          })
          navigate(`/applications?deleted=${encodeURIComponent(app.name)}`)
        }}
      >
        <p>
          The application and its secrets are removed and it can no longer get tokens. Its audit
          history stays. This cannot be undone.
        </p>
      </ConfirmDialog>
    </section>
  )
}
