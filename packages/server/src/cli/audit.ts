import type { Command } from 'commander'

import { AUDIT_EVENT_TYPES } from '../domain/audit-events.js'

import { registerAuditChain } from './audit-chain.js'
import { registerAuditSinks } from './audit-sinks.js'
import { CliError } from './cli-error.js'
import { table } from './output.js'
import { adminClientFor } from './remote.js'
import type { AuditPageView } from './wire.js'

type AuditEventView = AuditPageView['items'][number]

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const scalar = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined

/** One short line on what happened; `--json` has every field. */
export function summarize(event: AuditEventView): string {
  const data = event.data
  if (event.type === 'token.issued')
    return `${scalar(data['scope']) || '(no scopes)'} for ${scalar(data['aud']) ?? '?'}`
  if (event.type === 'token.refused')
    return [scalar(data['error']), scalar(data['reason'])].filter(Boolean).join(': ')
  const before = data['before']
  const after = data['after']
  if (isRecord(before) && isRecord(after)) {
    const changed = Object.keys(after).filter(
      (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
    )
    return `changed ${changed.join(', ') || 'nothing'}`
  }
  const subject = isRecord(after) ? after : isRecord(before) ? before : undefined
  if (subject !== undefined && scalar(subject['name']) !== undefined)
    return `${scalar(subject['name']) ?? ''}${subject['environment'] === undefined ? '' : ` (${scalar(subject['environment']) ?? ''})`}`
  return Object.entries(data)
    .flatMap(([key, value]) => {
      const text = scalar(value)
      return text === undefined ? [] : [`${key}=${text}`]
    })
    .join(' ')
}

function humanTable(events: readonly AuditEventView[]): string {
  if (events.length === 0) return 'No audit events match.'
  return table(
    [
      ['TIME (UTC)', 'TYPE', 'ACTOR', 'CLIENT', 'SUMMARY'],
      ...events.map((e) => [
        e.occurred_at.replace('T', ' ').replace(/(\.\d+)?Z$/, ''),
        e.type,
        e.actor,
        e.client_id ?? '-',
        summarize(e),
      ]),
    ],
    // Time, type and client id stay whole; the actor and the summary give way on a narrow terminal.
    { keep: [0, 1, 3] },
  )
}

function isoOrThrow(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined
  const date = new Date(value)
  if (Number.isNaN(date.getTime()))
    throw new CliError(`${flag} must be an ISO 8601 date or date-time, got "${value}"`)
  return date.toISOString()
}

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('print the audit log, newest first, as a table (as JSON lines with --json)')
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
        const events: AuditEventView[] = []
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
          // JSON lines stream page by page; the table needs every row to size its columns.
          if (options.json === true)
            for (const event of page.items) process.stdout.write(JSON.stringify(event) + '\n')
          else events.push(...page.items)
          remaining -= page.items.length
          cursor = page.next_cursor
        } while (cursor !== null && remaining > 0)
        if (options.json !== true) process.stdout.write(humanTable(events) + '\n')
      },
    )
  registerAuditChain(audit)
  registerAuditSinks(audit)
}
