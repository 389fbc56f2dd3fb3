import type { AuditQuery, Page, StoredAuditEvent } from '../storage/contract.js'
import type { ManagementDeps } from './deps.js'

export function queryAudit(
  deps: Pick<ManagementDeps, 'storage'>,
  query: AuditQuery,
): Promise<Page<StoredAuditEvent>> {
  return deps.storage.audit.list(query)
}
