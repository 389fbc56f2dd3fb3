import { useState } from 'preact/hooks'

import { api, messageOf } from '../../api/client'
import type { Api, Grant } from '../../api/types'
import { ErrorMessage, Notice } from '../../components/alert'
import { Field } from '../../components/field'
import { FormActions } from '../../components/form-actions'
import { ScopePicker } from '../../components/scope-picker'
import { apiLabel, isApiCredentials } from '../../lib/data'
import { sortScopes } from '../../lib/scopes'
import { useSession } from '../../lib/session'
import type { Loaded } from './loaded'

export function ScopesSection({
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
          <NoticeText notice={notice} canRevoke={app.status === 'active'} />
        </Notice>
      )}
      {!editing ? (
        isApiCredentials(app) ? (
          <p class="muted">
            None needed: these are API credentials, used by a resource server to introspect tokens
            and follow the revocation feed.
          </p>
        ) : app.grants.length === 0 ? (
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

/**
 * The server's notice already says to revoke the application to end issued tokens: that phrase
 * becomes the link to the revoke section rather than a second sentence saying it again.
 */
function NoticeText({ notice, canRevoke }: { notice: string; canRevoke: boolean }) {
  const phrase = /revoke the application/i.exec(notice)
  if (!canRevoke) return <>{notice}</>
  if (phrase === null)
    return (
      <>
        {notice} <a href="#danger">Revoke the application to end issued tokens now.</a>
      </>
    )
  return (
    <>
      {notice.slice(0, phrase.index)}
      <a href="#danger">{phrase[0]}</a>
      {notice.slice(phrase.index + phrase[0].length)}
    </>
  )
}
