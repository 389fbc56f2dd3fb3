import type { Command } from 'commander'

import { AUDIT_EVENT_TYPES } from '../domain/audit-events.js'

import { CliError } from './cli-error.js'
import { adminClientFor } from './remote.js'
import type { AuditPageView } from './wire.js'

function isoOrThrow(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined
  const date = new Date(value)
  if (Number.isNaN(date.getTime()))
    throw new CliError(`${flag} must be an ISO 8601 date or date-time, got "${value}"`)
  return date.toISOString()
}

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('print the audit log, newest first (as JSON lines with --json)')
    .option('--app <client-id>', 'only this application')
    .option('--type <type>', 'only this event type, e.g. token.issued')
    .option('--since <time>', 'from this time')
    .option('--until <time>', 'before this time')
    .option('--limit <n>', 'at most this many events (all pages)', '1000')
    .option('--json', 'JSON lines, one event a line')
    .action(
      async (
        flags: { app?: string; type?: string; since?: string; until?: string; limit: string },
        command: Command,
      ) => {
        const { client, options } = adminClientFor(command)
        let remaining = Number(flags.limit)
        if (!Number.isInteger(remaining) || remaining < 1)
          throw new CliError('--limit must be a positive whole number')
        if (
          flags.type !== undefined &&
          !(AUDIT_EVENT_TYPES as readonly string[]).includes(flags.type)
        )
          throw new CliError(`--type must be one of ${AUDIT_EVENT_TYPES.join(', ')}`)
        let cursor: string | null = null
        do {
          const query = new URLSearchParams({ limit: String(Math.min(remaining, 1000)) })
          if (flags.app !== undefined) query.set('client_id', flags.app)
          if (flags.type !== undefined) query.set('type', flags.type)
          const since = isoOrThrow(flags.since, '--since')
          const until = isoOrThrow(flags.until, '--until')
          if (since !== undefined) query.set('since', since)
          if (until !== undefined) query.set('until', until)
          if (cursor !== null) query.set('cursor', cursor)
          const page: AuditPageView = await client.request<AuditPageView>(
            'GET',
            client.tenantPath(`/audit?${query.toString()}`),
          )
          for (const event of page.items) {
            process.stdout.write(
              options.json === true
                ? JSON.stringify(event) + '\n'
                : `${event.occurred_at}  ${event.type.padEnd(20)} ${event.client_id ?? '-'}  ${event.actor}  ${JSON.stringify(event.data)}\n`,
            )
          }
          remaining -= page.items.length
          cursor = page.next_cursor
        } while (cursor !== null && remaining > 0)
      },
    )
}
