import { api } from '../../api/client'
import { ErrorMessage } from '../../components/alert'
import { Link } from '../../components/link'
import { Pager } from '../../components/pager'
import { AuditTable, useApplicationNames } from '../audit'
import { useSession } from '../../lib/session'
import { useAsync, useCursor } from '../../lib/use-async'

/** `version` changes with every change to the application, which reloads its events. */
export function ActivitySection({ clientId, version }: { clientId: string; version: number }) {
  const { tenant } = useSession()
  const pages = useCursor(clientId)
  const names = useApplicationNames()
  const events = useAsync(
    async (signal) =>
      (
        await api.get('/admin/v1/tenants/{tenant}/audit', {
          path: { tenant },
          query: { client_id: clientId, limit: 10, cursor: pages.cursor },
          signal,
        })
      ).data,
    [tenant, clientId, pages.cursor, version],
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
            names={names.data}
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
