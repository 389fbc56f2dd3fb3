import { useState } from 'preact/hooks'

import { api, messageOf } from '../api/client'
import type { Webhook, WebhookDelivery } from '../api/types'
import { ErrorMessage, Notice } from '../components/alert'
import { CopyValue } from '../components/code-block'
import { describedBy, Field, nextId } from '../components/field'
import { Time } from '../components/time'
import { useSession } from '../lib/session'
import { useAsync } from '../lib/use-async'

/** The events an endpoint may subscribe to (the server's closed list, docs/webhooks.md). */
const EVENT_TYPES: [string, string][] = [
  ['application.created', 'Application created'],
  ['application.revoked', 'Application revoked'],
  ['application.expired', 'Application expired'],
  ['application.expiring', 'Application expires within 14 days'],
  ['application.secret_rotated', 'Secret rotated'],
  ['application.secret_leaked', 'Secret reported leaked'],
  ['application.secret_still_in_use', 'Old secret still in use as its overlap ends'],
  ['application.quota_exceeded', 'Quota exceeded'],
  ['insight.found', 'Insight found (token churn)'],
]

const STATUSES = ['', 'pending', 'failed', 'dead', 'delivered'] as const

/**
 * Webhook endpoints: signed (Standard Webhooks) events delivered from a durable queue, with each
 * endpoint's delivery log, its dead letters, a test event and a retry. Owners change them.
 */
export function WebhooksPage() {
  const { tenant, isOwner } = useSession()
  const hooks = useAsync(
    async (signal) =>
      (await api.get('/admin/v1/tenants/{tenant}/webhooks', { path: { tenant }, signal })).data
        .items,
    [tenant],
  )
  const [created, setCreated] = useState<{ id: string; secret: string } | undefined>(undefined)
  return (
    <div class="page">
      <p class="breadcrumb">Settings</p>
      <h1>Webhooks</h1>
      <p class="hint">
        Events are signed per the Standard Webhooks specification with each endpoint’s secret,
        retried with backoff for about a day, and kept as dead letters after the last attempt.
      </p>
      <ErrorMessage>{hooks.error}</ErrorMessage>
      {created !== undefined && (
        <div class="alert alert-success" role="status">
          <p>
            Endpoint added. Its signing secret is shown this once: store it where the receiver
            checks signatures.
          </p>
          <CopyValue value={created.secret} label="Signing secret" id="webhook-secret" secret />
        </div>
      )}
      {hooks.data === undefined && hooks.error === undefined && <p aria-busy="true">Loading…</p>}
      {hooks.data?.length === 0 && <p>No endpoints yet.</p>}
      {hooks.data?.map((hook) => (
        <WebhookCard key={hook.id} hook={hook} canChange={isOwner} onChanged={hooks.reload} />
      ))}
      {isOwner && (
        <AddWebhook
          onAdded={(id, secret) => {
            setCreated({ id, secret })
            hooks.reload()
          }}
        />
      )}
    </div>
  )
}

function AddWebhook({ onAdded }: { onAdded: (id: string, secret: string) => void }) {
  const { tenant } = useSession()
  const [url, setUrl] = useState('')
  const [types, setTypes] = useState<string[]>(['application.secret_leaked'])
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [id] = useState(() => nextId('webhook-url'))
  const hint = 'https:// only; the address must be reachable under the outbound rule.'
  return (
    <section class="card" aria-labelledby="add-webhook-title">
      <h2 id="add-webhook-title">Add an endpoint</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault()
          setBusy(true)
          setError(undefined)
          api
            .post('/admin/v1/tenants/{tenant}/webhooks', {
              path: { tenant },
              body: { url, event_types: types },
            })
            .then(({ data }) => {
              setUrl('')
              onAdded(data.webhook.id, data.secret)
            })
            .catch((e: unknown) => {
              setError(messageOf(e))
            })
            .finally(() => {
              setBusy(false)
            })
        }}
      >
        <Field id={id} label="URL" hint={hint} error={error}>
          <input
            id={id}
            type="url"
            required
            value={url}
            aria-describedby={describedBy(id, hint, error)}
            aria-invalid={error !== undefined}
            onInput={(e) => {
              setUrl((e.target as HTMLInputElement).value)
            }}
          />
        </Field>
        <fieldset>
          <legend>Events</legend>
          {EVENT_TYPES.map(([type, label]) => (
            <label key={type} class="scope-checkbox">
              <input
                type="checkbox"
                checked={types.includes(type)}
                onChange={(e) => {
                  const on = (e.target as HTMLInputElement).checked
                  setTypes((now) => (on ? [...now, type] : now.filter((t) => t !== type)))
                }}
              />{' '}
              {label} <code>{type}</code>
            </label>
          ))}
        </fieldset>
        <button type="submit" class="button button-primary" disabled={busy || types.length === 0}>
          Add endpoint
        </button>
      </form>
    </section>
  )
}

function WebhookCard({
  hook,
  canChange,
  onChanged,
}: {
  hook: Webhook
  canChange: boolean
  onChanged: () => void
}) {
  const { tenant } = useSession()
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('')
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const deliveries = useAsync(
    async (signal) =>
      (
        await api.get('/admin/v1/tenants/{tenant}/webhooks/{webhook}/deliveries', {
          path: { tenant, webhook: hook.id },
          query: status === '' ? { limit: 20 } : { status, limit: 20 },
          signal,
        })
      ).data.items,
    [tenant, hook.id, status],
  )
  const act = (work: () => Promise<unknown>, done: string) => {
    setError(undefined)
    setNotice(undefined)
    work()
      .then(() => {
        setNotice(done)
        deliveries.reload()
      })
      .catch((e: unknown) => {
        setError(messageOf(e))
      })
  }
  const titleId = `webhook-${hook.id}`
  return (
    <section class="card webhook" aria-labelledby={titleId}>
      <h2 id={titleId}>
        <code>{hook.url}</code> {!hook.enabled && <span class="tag">Disabled</span>}
      </h2>
      <p class="muted">{hook.event_types.join(', ')}</p>
      <ErrorMessage>{error}</ErrorMessage>
      <Notice tone="success">{notice}</Notice>
      {canChange && (
        <p class="actions">
          <button
            type="button"
            class="button"
            onClick={() => {
              act(
                () =>
                  api.post('/admin/v1/tenants/{tenant}/webhooks/{webhook}/test', {
                    path: { tenant, webhook: hook.id },
                  }),
                'Test event queued.',
              )
            }}
          >
            Send test event
          </button>{' '}
          <button
            type="button"
            class="button button-danger"
            onClick={() => {
              act(
                () =>
                  api
                    .delete('/admin/v1/tenants/{tenant}/webhooks/{webhook}', {
                      path: { tenant, webhook: hook.id },
                    })
                    .then(onChanged),
                'Endpoint removed.',
              )
            }}
          >
            Remove
          </button>
        </p>
      )}
      <label class="inline-field">
        Deliveries{' '}
        <select
          value={status}
          onChange={(e) => {
            setStatus((e.target as HTMLSelectElement).value as (typeof STATUSES)[number])
          }}
        >
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === '' ? 'All' : s === 'dead' ? 'Dead letters' : s}
            </option>
          ))}
        </select>
      </label>
      {deliveries.data?.length === 0 && <p>No deliveries.</p>}
      {deliveries.data !== undefined && deliveries.data.length > 0 && (
        <div class="table-wrap" role="region" aria-label="Delivery log" tabIndex={0}>
          <table class="table table-cards">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col">Queued</th>
                {canChange && <th scope="col">Action</th>}
              </tr>
            </thead>
            <tbody>
              {deliveries.data.map((d: WebhookDelivery) => (
                <tr key={d.id} data-status={d.status}>
                  <td data-label="Event">
                    <code>{d.event_type}</code>
                  </td>
                  <td data-label="Status">{d.status}</td>
                  <td data-label="Attempts">{d.attempts}</td>
                  <td data-label="Last answer">
                    {d.last_status ??
                      d.last_error ??
                      (d.status === 'pending' ? 'not tried yet' : '')}
                  </td>
                  <td data-label="Queued">
                    <Time iso={d.created_at} />
                  </td>
                  {canChange && (
                    <td data-label="Action">
                      {(d.status === 'dead' || d.status === 'failed') && (
                        <button
                          type="button"
                          class="button"
                          onClick={() => {
                            act(
                              () =>
                                api.post(
                                  '/admin/v1/tenants/{tenant}/webhooks/{webhook}/deliveries/{delivery}/retry',
                                  { path: { tenant, webhook: hook.id, delivery: d.id } },
                                ),
                              'Delivery queued again.',
                            )
                          }}
                        >
                          Retry now
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
