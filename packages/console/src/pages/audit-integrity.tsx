import { useState } from 'preact/hooks'

import { api, messageOf } from '../api/client'
import type { ResponseBody } from '../api/client'
import { ErrorMessage, Notice } from '../components/alert'
import { DateTime } from '../components/time'
import { plural } from '../lib/format'
import { useSession } from '../lib/session'
import { useAsync } from '../lib/use-async'

type Verification = ResponseBody<'/admin/v1/tenants/{tenant}/audit/verify', 'get'>

/**
 * The audit log's tamper evidence (docs/audit.md): the newest signed checkpoint, and a check of
 * the whole hash chain on demand, naming each record that was changed, removed, inserted or
 * reordered.
 */
export function AuditIntegrity() {
  const { tenant } = useSession()
  const [checking, setChecking] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const [result, setResult] = useState<{ report: Verification; at: string } | undefined>()
  const latest = useAsync(
    async (signal) =>
      (
        await api.get('/admin/v1/tenants/{tenant}/audit/checkpoints', {
          path: { tenant },
          query: { limit: 1 },
          signal,
        })
      ).data.items[0],
    [tenant],
  )

  const verify = async () => {
    setChecking(true)
    setError(undefined)
    try {
      const { data } = await api.get('/admin/v1/tenants/{tenant}/audit/verify', {
        path: { tenant },
      })
      setResult({ report: data, at: new Date().toISOString() })
    } catch (failure) {
      setError(messageOf(failure))
    } finally {
      setChecking(false)
    }
  }

  const report = result?.report
  return (
    <section class="card audit-integrity" aria-labelledby="audit-integrity-title">
      <div class="card-header">
        <h2 id="audit-integrity-title">Tamper evidence</h2>
        <button type="button" class="button" disabled={checking} onClick={() => void verify()}>
          {checking ? 'Verifying…' : 'Verify the log'}
        </button>
      </div>
      <p class="hint">
        Every record is hash-chained to the one before and the chain is signed at intervals, so a
        record changed, removed, inserted or reordered in the database is found.{' '}
        <a href={`/t/${encodeURIComponent(tenant)}/.well-known/audit-keys.json`}>Public keys</a> for
        checking an export offline.
      </p>
      <p data-testid="latest-checkpoint">
        {latest.data === undefined ? (
          latest.loading ? (
            'Loading the latest checkpoint…'
          ) : (
            'No signed checkpoint yet: the first is taken within the checkpoint interval.'
          )
        ) : (
          <>
            Latest signed checkpoint: record #{latest.data.seq},{' '}
            <DateTime iso={latest.data.created_at} />.
          </>
        )}
      </p>
      <ErrorMessage>{error}</ErrorMessage>
      {report !== undefined && result !== undefined && report.ok && (
        <Notice tone="success">
          Verified up to #{report.verified_through} at <DateTime iso={result.at} />:{' '}
          {plural(report.records, 'record')} and {plural(report.checkpoints_checked, 'checkpoint')}{' '}
          checked, nothing changed.
        </Notice>
      )}
      {report !== undefined && !report.ok && (
        <div class="alert alert-error" role="alert">
          <p>The log was altered: it verifies only up to #{report.verified_through}.</p>
          <ul class="audit-findings">
            {report.findings.map((f) => (
              <li key={`${f.kind}-${String(f.seq)}`}>{f.message}</li>
            ))}
            {report.more_findings > 0 && <li>… and {report.more_findings} more</li>}
          </ul>
        </div>
      )}
    </section>
  )
}
