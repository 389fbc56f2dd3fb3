import type { Logger } from 'pino'

import { checkpointIfDue, pruneAudit } from './audit-integrity.js'
import { BackgroundJob } from './periodic.js'
import type { ManagementDeps } from './deps.js'

const DAY_MS = 86_400_000

/**
 * Every node runs this: each tenant's chain gets a signed checkpoint once per interval while it
 * grows, and with a retention period, records older than it are cut away behind a checkpoint.
 * Both are decided under the tenant's lock, so any number of nodes do each once.
 */
export class AuditSchedule extends BackgroundJob {
  #lastPrune = 0

  constructor(
    private readonly deps: Pick<ManagementDeps, 'storage' | 'sealer' | 'now'> & {
      logger: Logger
      intervalSeconds: number
      retentionDays: number
      /** False during a storage outage: nothing to do, and nothing new to log. */
      storageAvailable: () => boolean
    },
  ) {
    super(
      Math.min(deps.intervalSeconds * 1000, 60_000),
      deps,
      'could not checkpoint or prune the audit log',
    )
  }

  protected async round(): Promise<void> {
    const now = this.deps.now()
    const dueBefore = new Date(now.getTime() - this.deps.intervalSeconds * 1000)
    const pruneNow =
      this.deps.retentionDays > 0 &&
      now.getTime() - this.#lastPrune >= Math.min(DAY_MS / 24, this.deps.intervalSeconds * 1000)
    for (const tenantId of await this.deps.storage.auditChain.chainedTenants()) {
      if (pruneNow)
        await pruneAudit(
          this.deps,
          tenantId,
          new Date(now.getTime() - this.deps.retentionDays * DAY_MS),
        )
      await checkpointIfDue(this.deps, tenantId, dueBefore)
    }
    if (pruneNow) this.#lastPrune = now.getTime()
  }
}
