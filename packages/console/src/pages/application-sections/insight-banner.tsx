import { api } from '../../api/client'
import type { ApplicationDetail } from '../../api/types'
import { InsightFindings } from '../../components/insight-findings'
import { Time } from '../../components/time'
import { useSession } from '../../lib/session'
import { useAsync } from '../../lib/use-async'

/**
 * The application's findings (all history, so a new application's never-requested scopes show at
 * once) and its reported leaks, above its details.
 */
export function InsightBanner({
  app,
  mayChange,
  reload,
}: {
  app: ApplicationDetail
  mayChange: boolean
  reload: () => void
}) {
  const { tenant } = useSession()
  const found = useAsync(
    async (signal) => {
      const [insights, leaks] = await Promise.all([
        api.get('/admin/v1/tenants/{tenant}/insights', {
          path: { tenant },
          query: { days: 0, client_id: app.client_id },
          signal,
        }),
        api.get('/admin/v1/tenants/{tenant}/leaks', {
          path: { tenant },
          query: { client_id: app.client_id },
          signal,
        }),
      ])
      return { findings: insights.data.findings, leaks: leaks.data.items }
    },
    [tenant, app.client_id, app.version],
  )
  if (found.data === undefined) return null
  const { findings, leaks } = found.data
  if (findings.length === 0 && leaks.length === 0) return null
  return (
    <section class="alert alert-warning insight-banner" aria-labelledby="insight-title">
      <h2 id="insight-title">Insights</h2>
      {leaks.map((leak) => (
        <p key={leak.secret_id} class="leak">
          <strong>Secret {leak.hint} was reported leaked</strong> (
          <Time iso={leak.first_reported_at} />, by {leak.reporter})
          {leak.url !== null && (
            <>
              {' '}
              at <code>{leak.url}</code>
            </>
          )}
          :{' '}
          {leak.action === 'revoke_application'
            ? 'the application was revoked.'
            : `the secret was removed and ${String(leak.tokens_revoked)} of its tokens revoked.`}
        </p>
      ))}
      {findings.length > 0 && (
        <InsightFindings
          tenant={tenant}
          findings={findings}
          days={0}
          canWrite={mayChange && app.status === 'active'}
          showApplication={false}
          onChanged={() => {
            // The application reloads with its new scopes, and this banner with it.
            found.reload()
            reload()
          }}
        />
      )}
    </section>
  )
}
