import { useState } from 'preact/hooks'

import { api } from '../../api/client'
import type { ApplicationDetail as Application } from '../../api/types'
import { Warning } from '../../components/alert'
import { ConfirmDialog } from '../../components/dialog'
import { navigate } from '../../lib/router'
import { useSession } from '../../lib/session'
import type { Loaded } from './loaded'

export function DangerSection({
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
      {app.built_in && (
        <Warning>
          <strong>The tokenmint CLI depends on this application.</strong> It is the tenant's
          built-in admin application: revoking it stops every CLI command at once, and deleting it
          leaves the CLI with no credentials. Rotate its secret instead if it may have leaked.
        </Warning>
      )}
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
        {app.built_in && <BuiltInWarning />}
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
        {app.built_in && <BuiltInWarning />}
      </ConfirmDialog>
    </section>
  )
}

function BuiltInWarning() {
  return (
    <p class="text-warning">
      <strong>The tokenmint CLI stops working:</strong> this is the built-in admin application whose
      credentials the CLI uses.
    </p>
  )
}
