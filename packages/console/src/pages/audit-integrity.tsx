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

type Sink = ResponseBody<'/admin/v1/tenants/{tenant}/audit/sinks', 'get'>['items'][number]

function sinkState(sink: Sink): string {
  if (sink.status === 'retrying')
    return `Retrying after ${plural(sink.failures, 'failed attempt')}: ${sink.last_error ?? 'no answer'}`
  if (sink.status === 'delivering') return `Delivering: ${plural(sink.behind, 'record')} to go`
  return 'Up to date'
}

/** Where the log is delivered (HTTPS, syslog, OTLP) and whether each receiver keeps up. */
export function AuditSinks() {
  const { tenant } = useSession()
  const sinks = useAsync(
    async (signal) =>
      (
        await api.get('/admin/v1/tenants/{tenant}/audit/sinks', {
          path: { tenant },
          signal,
        })
      ).data.items,
    [tenant],
  )
  return (
    <section class="card" aria-labelledby="audit-sinks-title">
      <div class="card-header">
        <h2 id="audit-sinks-title">Sinks</h2>
        <button type="button" class="button" onClick={sinks.reload}>
          Refresh
        </button>
      </div>
      <ErrorMessage>{sinks.error}</ErrorMessage>
      {sinks.data !== undefined && sinks.data.length === 0 && (
        <p class="hint">
          None. Owners add one with <code>tokenmint audit sinks add</code> to send every record to a
          SIEM over HTTPS, syslog (TLS) or OTLP.
        </p>
      )}
      {sinks.data !== undefined && sinks.data.length > 0 && (
        <div class="table-wrap" role="region" aria-label="Audit sinks" tabIndex={0}>
          <table class="table table-cards">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Receiver</th>
                <th scope="col">Delivered</th>
                <th scope="col">State</th>
                <th scope="col">Last delivery</th>
              </tr>
            </thead>
            <tbody>
              {sinks.data.map((sink) => (
                <tr key={sink.id}>
                  <td data-label="Kind">
                    {sink.kind === 'otlp' ? 'OTLP' : sink.kind === 'https' ? 'HTTPS' : 'Syslog'}
                  </td>
                  <td data-label="Receiver">
                    <code>{sink.url}</code>
                  </td>
                  <td data-label="Delivered">through #{sink.delivered_through}</td>
                  <td
                    data-label="State"
                    class={sink.status === 'retrying' ? 'text-danger' : undefined}
                  >
                    {sinkState(sink)}
                  </td>
                  <td data-label="Last delivery">
                    {sink.last_success_at === null ? '—' : <DateTime iso={sink.last_success_at} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
