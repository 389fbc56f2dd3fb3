import { useState } from 'preact/hooks'

import { api, ApiError, messageOf } from '../../api/client'
import type { ApplicationDetail as Application, ClientKey } from '../../api/types'
import { ErrorMessage, Notice } from '../../components/alert'
import { CopyButton } from '../../components/copy-button'
import { ConfirmDialog } from '../../components/dialog'
import { FormActions } from '../../components/form-actions'
import { JwksField } from '../../components/jwks-field'
import { DateTime, LastUsed } from '../../components/time'
import { focusFirstInvalid, keyErrors, parseJwks, shortThumbprint } from '../../lib/credentials'
import { plural } from '../../lib/format'
import { useSession } from '../../lib/session'

const focusInvalid = () => {
  focusFirstInvalid(document.getElementById('keys') ?? document)
}

/** A private_key_jwt application's public keys (or the URL it publishes them at). */
export function KeysSection({
  app,
  editable,
  reload,
}: {
  app: Application
  editable: boolean
  reload: () => void
}) {
  const { tenant } = useSession()
  const keys = app.keys ?? []
  const jwksUri = app.jwks_uri ?? null
  const [adding, setAdding] = useState(false)
  const [text, setText] = useState('')
  const [fieldError, setFieldError] = useState<string | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const [removing, setRemoving] = useState<ClientKey | undefined>(undefined)

  const add = (event: Event) => {
    event.preventDefault()
    const parsed = parseJwks(text)
    if ('error' in parsed) {
      setFieldError(parsed.error)
      setTimeout(focusInvalid, 0)
      return
    }
    setBusy(true)
    setFieldError(undefined)
    setError(undefined)
    api
      .post('/admin/v1/tenants/{tenant}/applications/{clientId}/keys', {
        path: { tenant, clientId: app.client_id },
        body: { jwks: parsed.jwks },
      })
      .then(
        ({ data }) => {
          setBusy(false)
          setAdding(false)
          setText('')
          setNotice(
            `${plural(data.keys.length, 'key')} added. Assertions signed with ${data.keys.length === 1 ? 'it' : 'them'} are accepted from the next token request.`,
          )
          reload()
        },
        (reason: unknown) => {
          setBusy(false)
          const onField = reason instanceof ApiError ? keyErrors(reason.fields)['jwks'] : undefined
          if (onField === undefined) setError(messageOf(reason))
          else {
            setFieldError(onField)
            setTimeout(focusInvalid, 0)
          }
        },
      )
  }

  return (
    <section class="card" id="keys" aria-labelledby="keys-title">
      <div class="card-header">
        <h2 id="keys-title">Keys</h2>
        {editable && jwksUri === null && !adding && (
          <button
            type="button"
            class="button"
            onClick={() => {
              setNotice(undefined)
              setError(undefined)
              setFieldError(undefined)
              setAdding(true)
            }}
          >
            Add keys
          </button>
        )}
      </div>
      <p class="hint">
        {keys.length === 0 && jwksUri === null
          ? 'An integration may also sign its client assertions with its own private key: register the public key here.'
          : 'The application signs its client assertions with a private key that never leaves it; Tokenmint checks them with these public keys. To rotate, add the new key, switch the integration to it, then remove the old one: both work in between.'}
      </p>
      {notice !== undefined && <Notice tone="success">{notice}</Notice>}
      {jwksUri !== null ? (
        <>
          <dl class="details">
            <dt>Published at</dt>
            <dd>
              <code>{jwksUri}</code>
            </dd>
          </dl>
          <p class="muted">
            Tokenmint fetches the keys from this URL and caches them: add and remove keys there.
          </p>
        </>
      ) : (
        <div class="table-wrap" role="region" aria-label="Keys" tabIndex={0}>
          <table class="table table-cards">
            <thead>
              <tr>
                <th scope="col">Key ID</th>
                <th scope="col">Thumbprint</th>
                <th scope="col">Added</th>
                <th scope="col">Last used</th>
                {editable && (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {keys.length === 0 && (
                <tr>
                  <td colSpan={editable ? 5 : 4} class="muted">
                    No registered key.
                    {(app.trust_policies ?? []).length > 0 &&
                      ' The application authenticates with its trust policies.'}
                  </td>
                </tr>
              )}
              {keys.map((k) => (
                <tr key={k.id}>
                  <td data-label="Key ID">
                    <code>{k.kid}</code>
                  </td>
                  <td data-label="Thumbprint">
                    <code title={k.thumbprint}>{shortThumbprint(k.thumbprint)}</code>{' '}
                    <CopyButton text={k.thumbprint} what={`thumbprint of ${k.kid}`} />
                  </td>
                  <td data-label="Added">
                    <DateTime iso={k.created_at} />
                  </td>
                  <td data-label="Last used">
                    <LastUsed iso={k.last_used_at} ip={k.last_used_ip} />
                  </td>
                  {editable && (
                    <td data-label="Actions" class="row-actions">
                      <button
                        type="button"
                        class="button button-small button-danger"
                        onClick={() => {
                          setNotice(undefined)
                          setRemoving(k)
                        }}
                      >
                        Remove <span class="visually-hidden">key {k.kid}</span>
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {adding && (
        <form class="section-tight" onSubmit={add} noValidate>
          <h3>Add keys</h3>
          <JwksField
            id="add-jwks"
            value={text}
            onChange={setText}
            error={fieldError}
            disabled={busy}
          />
          <ErrorMessage>{error}</ErrorMessage>
          <FormActions
            submit="Add keys"
            busyLabel="Adding…"
            busy={busy}
            cancel={() => {
              setAdding(false)
            }}
          />
        </form>
      )}
      <ConfirmDialog
        title={`Remove key ${removing?.kid ?? ''}?`}
        open={removing !== undefined}
        onClose={() => {
          setRemoving(undefined)
        }}
        confirmLabel="Remove key"
        danger
        onConfirm={async () => {
          if (removing === undefined) return
          await api.delete('/admin/v1/tenants/{tenant}/applications/{clientId}/keys/{kid}', {
            path: { tenant, clientId: app.client_id, kid: removing.kid },
          })
          setNotice(`Key ${removing.kid} removed.`)
          reload()
        }}
      >
        <p>
          Assertions signed with this key are refused from the next token request. Make sure the
          integration already signs with another key.
        </p>
      </ConfirmDialog>
    </section>
  )
}
