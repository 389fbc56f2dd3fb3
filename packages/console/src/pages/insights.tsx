import { useState } from 'preact/hooks'

import { api } from '../api/client'
import { ErrorMessage, Notice } from '../components/alert'
import { InsightFindings } from '../components/insight-findings'
import { useSession } from '../lib/session'
import { useAsync } from '../lib/use-async'

const WINDOWS = [7, 30, 90, 0]

/** What the tenant's applications hold and do not use, churn and quota refusals, with fixes. */
export function InsightsPage() {
  const { tenant, canWrite } = useSession()
  const [days, setDays] = useState(30)
  const [done, setDone] = useState<string | undefined>(undefined)
  const insights = useAsync(
    async (signal) =>
      (
        await api.get('/admin/v1/tenants/{tenant}/insights', {
          path: { tenant },
          query: { days },
          signal,
        })
      ).data,
    [tenant, days],
  )
  return (
    <div class="page">
      <p class="breadcrumb">Settings</p>
      <div class="page-header">
        <h1>Insights</h1>
        <label class="inline-field">
          Window{' '}
          <select
            value={String(days)}
            onChange={(e) => {
              setDays(Number((e.target as HTMLSelectElement).value))
            }}
          >
            {WINDOWS.map((d) => (
              <option key={d} value={String(d)}>
                {d === 0 ? 'All history' : `Last ${String(d)} days`}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p class="hint">
        Scopes granted but neither requested nor required by the API, applications and credentials
        nobody uses, expiries, integrations that discard tokens, and quota refusals. Applications
        younger than the window are given time; “All history” judges them at once.
      </p>
      <ErrorMessage>{insights.error}</ErrorMessage>
      <Notice tone="success">{done}</Notice>
      {insights.data === undefined && insights.error === undefined && (
        <p aria-busy="true">Loading…</p>
      )}
      {insights.data !== undefined &&
        (insights.data.findings.length === 0 ? (
          <p>Nothing to act on in this window.</p>
        ) : (
          <InsightFindings
            tenant={tenant}
            findings={insights.data.findings}
            days={insights.data.days}
            canWrite={canWrite}
            showApplication
            onChanged={(message) => {
              setDone(message)
              insights.reload()
            }}
          />
        ))}
    </div>
  )
}
