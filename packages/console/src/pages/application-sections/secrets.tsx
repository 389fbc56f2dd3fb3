import { useState } from 'preact/hooks'

import { api } from '../../api/client'
import type { ApplicationDetail as Application, RotatedSecret } from '../../api/types'
import { Notice, Warning } from '../../components/alert'
import { ConfirmDialog, Dialog } from '../../components/dialog'
import { Field } from '../../components/field'
import { SecretReveal } from '../../components/secret-reveal'
import { DateTime, Time } from '../../components/time'
import { isApiCredentials } from '../../lib/data'
import { formatDuration, plural } from '../../lib/format'
import { useSession } from '../../lib/session'

const OVERLAPS: [number, string][] = [
  [0, 'None: the current secret stops working at once'],
  [3600, '1 hour'],
  [86_400, '24 hours (default)'],
  [604_800, '7 days'],
  [2_592_000, '30 days'],
]

export function SecretsSection({
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
  // A revoked or expired application's secrets no longer work: no client "still uses" them.
  const inUse = app.status === 'active' ? ending.filter((s) => s.still_in_use) : []

  return (
    <section class="card" id="secrets" aria-labelledby="secrets-title">
      <h2 id="secrets-title">Secrets</h2>
      <p class="hint">
        Only a hint of each secret is kept. Rotate to get a new one; during the overlap both the old
        and the new secret work, so clients can switch without downtime.
      </p>
      {notice !== undefined && <Notice tone="success">{notice}</Notice>}
      {isApiCredentials(app) && (
        <p class="hint">
          “Last used” counts introspection, the revocation feed and revocation as well as token
          requests, to within about ten seconds.
        </p>
      )}
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
