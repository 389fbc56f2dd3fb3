import type { Command } from 'commander'

import { CliError } from './cli-error.js'
import { print, table } from './output.js'
import { adminClientFor } from './remote.js'

interface SinkView {
  id: string
  kind: string
  url: string
  delivered_through: number
  behind: number
  status: string
  failures: number
  last_error: string | null
  last_success_at: string | null
}

const KINDS = ['https', 'syslog', 'otlp']

function sinkTable(sinks: readonly SinkView[]): string {
  if (sinks.length === 0) return 'No audit sinks.'
  return table(
    [
      ['ID', 'KIND', 'URL', 'DELIVERED', 'BEHIND', 'STATUS'],
      ...sinks.map((s) => [
        s.id,
        s.kind,
        s.url,
        `#${String(s.delivered_through)}`,
        String(s.behind),
        s.failures > 0 ? `${s.status} (${String(s.failures)}× : ${s.last_error ?? ''})` : s.status,
      ]),
    ],
    { keep: [0, 1] },
  )
}

/** `tokenmint audit sinks …`: where the audit log is delivered (docs/audit.md). */
export function registerAuditSinks(audit: Command): void {
  const sinks = audit
    .command('sinks')
    .description('deliver the audit log to a SIEM: HTTPS, syslog over TLS or OTLP')

  sinks
    .command('list', { isDefault: true })
    .description('the sinks and how far delivery got')
    .option('--json', 'as JSON')
    .action(async (_flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const { items } = await client.request<{ items: SinkView[] }>(
        'GET',
        client.tenantPath('/audit/sinks'),
      )
      print(options.json, items, () => sinkTable(items))
    })

  sinks
    .command('add')
    .description('add a sink; an HTTPS sink prints its signing secret once')
    // The URL is an argument: `--url` is the global option naming the Tokenmint server, which
    // took it before the sink ever saw it.
    .argument('<url>', "https://… (otlp: the collector's /v1/logs), or syslog+tls://host:port")
    .requiredOption('--kind <kind>', 'https, syslog or otlp')
    .option('--from-beginning', 'send every record kept, not only new ones')
    .option('--json', 'as JSON')
    .action(
      async (url: string, flags: { kind: string; fromBeginning?: boolean }, command: Command) => {
        if (!KINDS.includes(flags.kind))
          throw new CliError(`--kind must be one of ${KINDS.join(', ')}`)
        const { client, options } = adminClientFor(command)
        const created = await client.request<{ sink: SinkView; secret: string | null }>(
          'POST',
          client.tenantPath('/audit/sinks'),
          {
            kind: flags.kind,
            url,
            start: flags.fromBeginning === true ? 'beginning' : 'now',
          },
        )
        print(options.json, created, () =>
          [
            `added ${created.sink.kind} sink ${created.sink.id} → ${created.sink.url}`,
            ...(created.secret === null
              ? []
              : [
                  `signing secret (shown once; check each delivery's webhook-signature with it): ${created.secret}`,
                ]),
          ].join('\n'),
        )
      },
    )

  sinks
    .command('remove')
    .argument('<id>', 'the sink id')
    .description('stop delivering to a sink')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const { client } = adminClientFor(command)
      await client.request('DELETE', client.tenantPath(`/audit/sinks/${encodeURIComponent(id)}`))
      process.stdout.write(`removed audit sink ${id}\n`)
    })
}
