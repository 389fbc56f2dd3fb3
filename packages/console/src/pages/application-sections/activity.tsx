import { api } from '../../api/client'
import { ErrorMessage } from '../../components/alert'
import { Link } from '../../components/link'
import { Pager } from '../../components/pager'
import { AuditTable } from '../audit'
import { useSession } from '../../lib/session'
import { useAsync, useCursor } from '../../lib/use-async'

export function ActivitySection({ clientId }: { clientId: string }) {
  const { tenant } = useSession()
  const pages = useCursor(clientId)
  const events = useAsync(
    async (signal) =>
      (
        await api.get('/admin/v1/tenants/{tenant}/audit', {
          path: { tenant },
          query: { client_id: clientId, limit: 10, cursor: pages.cursor },
          signal,
        })
      ).data,
    [tenant, clientId, pages.cursor],
  )
  return (
    <section class="card" id="activity" aria-labelledby="activity-title">
      <div class="card-header">
        <h2 id="activity-title">Activity</h2>
        <Link href={`/audit?client_id=${encodeURIComponent(clientId)}`}>Open in the audit log</Link>
      </div>
      <ErrorMessage>{events.error}</ErrorMessage>
      {events.data !== undefined && (
        <>
          <AuditTable
            events={events.data.items}
            showApplication={false}
            label="Activity"
            selfClientId={clientId}
          />
          <Pager
            label="Activity pages"
            page={pages.page}
            hasPrevious={pages.hasPrevious}
            nextCursor={events.data.next_cursor}
            onPrevious={pages.previous}
            onNext={pages.next}
          />
        </>
      )}
    </section>
  )
}
