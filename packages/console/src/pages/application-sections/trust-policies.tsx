import { useState } from 'preact/hooks'

import { api, ApiError, messageOf } from '../../api/client'
import type { ApplicationDetail as Application, TrustPolicy } from '../../api/types'
import { ErrorMessage, Notice } from '../../components/alert'
import { ConfirmDialog } from '../../components/dialog'
import { FormActions } from '../../components/form-actions'
import { LastUsed } from '../../components/time'
import { TrustPolicyFields } from '../../components/trust-policy-fields'
import {
  checkTrustPolicy,
  emptyTrustPolicy,
  focusFirstInvalid,
  trustPolicyErrors,
  trustPolicyInput,
  type TrustPolicyDraft,
} from '../../lib/credentials'
import { useSession } from '../../lib/session'

const focusInvalid = () => {
  focusFirstInvalid(document.getElementById('trust-policies') ?? document)
}

/** Which outside workloads (GitHub Actions, GitLab CI, Kubernetes) may act as the application. */
export function TrustPoliciesSection({
  app,
  editable,
  reload,
}: {
  app: Application
  editable: boolean
  reload: () => void
}) {
  const { tenant } = useSession()
  const policies = app.trust_policies ?? []
  const [adding, setAdding] = useState(false)
  const [draft, setDraft] = useState<TrustPolicyDraft>(emptyTrustPolicy)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const [removing, setRemoving] = useState<TrustPolicy | undefined>(undefined)

  const add = (event: Event) => {
    event.preventDefault()
    const found = checkTrustPolicy(draft)
    setErrors(found)
    setError(undefined)
    if (Object.keys(found).length > 0) {
      setTimeout(focusInvalid, 0)
      return
    }
    setBusy(true)
    api
      .post('/admin/v1/tenants/{tenant}/applications/{clientId}/trust-policies', {
        path: { tenant, clientId: app.client_id },
        body: trustPolicyInput(draft),
      })
      .then(
        () => {
          setBusy(false)
          setAdding(false)
          setDraft(emptyTrustPolicy())
          setNotice('Trust policy added: matching workloads get tokens from the next request.')
          reload()
        },
        (reason: unknown) => {
          setBusy(false)
          const byField = reason instanceof ApiError ? trustPolicyErrors(reason.fields, draft) : {}
          const { policy, ...onFields } = byField
          setErrors(onFields)
          if (Object.keys(onFields).length > 0) setTimeout(focusInvalid, 0)
          else setError(policy ?? messageOf(reason))
        },
      )
  }

  return (
    <section class="card" id="trust-policies" aria-labelledby="trust-policies-title">
      <div class="card-header">
        <h2 id="trust-policies-title">Trust policies</h2>
        {editable && !adding && (
          <button
            type="button"
            class="button"
            onClick={() => {
              setNotice(undefined)
              setError(undefined)
              setErrors({})
              setAdding(true)
            }}
          >
            Add trust policy
          </button>
        )}
      </div>
      <p class="hint">
        Workloads whose platform token matches a policy (its issuer, audience, subject and
        conditions) get tokens as this application, sending that token as the client assertion.
      </p>
      {notice !== undefined && <Notice tone="success">{notice}</Notice>}
      <div class="table-wrap" role="region" aria-label="Trust policies" tabIndex={0}>
        <table class="table table-cards">
          <thead>
            <tr>
              <th scope="col">Issuer</th>
              <th scope="col">Audience</th>
              <th scope="col">Subject</th>
              <th scope="col">Conditions</th>
              <th scope="col">Last used</th>
              {editable && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {policies.length === 0 && (
              <tr>
                <td colSpan={editable ? 6 : 5} class="muted">
                  No trust policy: no outside workload may authenticate as this application.
                </td>
              </tr>
            )}
            {policies.map((p) => {
              const conditions = Object.entries(p.conditions)
              return (
                <tr key={p.id}>
                  <td data-label="Issuer">
                    <code>{p.issuer}</code>
                  </td>
                  <td data-label="Audience">
                    <code>{p.audience}</code>
                  </td>
                  <td data-label="Subject">
                    <code>{p.subject}</code>
                  </td>
                  <td data-label="Conditions">
                    {conditions.length === 0 ? (
                      <span class="muted">None</span>
                    ) : (
                      <ul class="plain-list">
                        {conditions.map(([name, pattern]) => (
                          <li key={name}>
                            <code>
                              {name} = {pattern}
                            </code>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td data-label="Last used">
                    <LastUsed iso={p.last_used_at} ip={p.last_used_ip} />
                  </td>
                  {editable && (
                    <td data-label="Actions" class="row-actions">
                      <button
                        type="button"
                        class="button button-small button-danger"
                        onClick={() => {
                          setNotice(undefined)
                          setRemoving(p)
                        }}
                      >
                        Remove <span class="visually-hidden">the policy for {p.subject}</span>
                      </button>
                    </td>
                  )}
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
      {adding && (
        <form class="section-tight" onSubmit={add} noValidate>
          <h3>Add a trust policy</h3>
          <TrustPolicyFields
            idPrefix="add-trust"
            value={draft}
            onChange={setDraft}
            errors={errors}
            disabled={busy}
          />
          <ErrorMessage>{error}</ErrorMessage>
          <FormActions
            submit="Add trust policy"
            busyLabel="Adding…"
            busy={busy}
            cancel={() => {
              setAdding(false)
            }}
          />
        </form>
      )}
      <ConfirmDialog
        title="Remove this trust policy?"
        open={removing !== undefined}
        onClose={() => {
          setRemoving(undefined)
        }}
        confirmLabel="Remove policy"
        danger
        onConfirm={async () => {
          if (removing === undefined) return
          await api.delete(
            '/admin/v1/tenants/{tenant}/applications/{clientId}/trust-policies/{policyId}',
            { path: { tenant, clientId: app.client_id, policyId: removing.id } },
          )
          setNotice(`Trust policy for ${removing.subject} removed.`)
          reload()
        }}
      >
        <p>
          Workloads matching <code>{removing?.subject}</code> from <code>{removing?.issuer}</code>{' '}
          are refused from the next token request.
        </p>
      </ConfirmDialog>
    </section>
  )
}
