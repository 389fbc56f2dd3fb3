import { type Command, InvalidArgumentError } from 'commander'

import { print, table } from './output.js'
import { adminClientFor } from './remote.js'

interface FindingView {
  kind: string
  client_id: string
  name: string
  message: string
  audience?: string
  scopes?: string[]
}

interface InsightsView {
  days: number
  generated_at: string
  findings: FindingView[]
}

function days(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 3650)
    throw new InvalidArgumentError('a whole number of days from 0 (all history) to 3650')
  return n
}

const KIND_LABEL: Record<string, string> = {
  unused_scopes: 'unused scopes',
  stale_application: 'stale',
  unused_credential: 'unused credential',
  expiring_application: 'expiring',
  secret_in_use_at_overlap_end: 'secret still in use',
  token_churn: 'token churn',
  quota_exceeded: 'quota exceeded',
}

export function registerInsights(program: Command): void {
  const insights = program
    .command('insights')
    .description(
      'least-privilege findings: unused scopes, stale applications, unused credentials, expiries, token churn, quota refusals',
    )
    .option('--days <n>', 'the window in days; 0 considers all history', days, 30)
    .option('--app <client-id>', 'one application, with each scope it holds')
    .option('--json', 'print JSON')
    .action(async (flags: { days: number; app?: string }, command: Command) => {
      const { client, options } = adminClientFor(command)
      const query = new URLSearchParams({ days: String(flags.days) })
      if (flags.app !== undefined) query.set('client_id', flags.app)
      const result = await client.request<InsightsView>(
        'GET',
        client.tenantPath(`/insights?${query.toString()}`),
      )
      print(options.json, result, () => {
        if (result.findings.length === 0)
          return `No findings over ${result.days === 0 ? 'all history' : `the last ${String(result.days)} days`}.`
        const fixes = result.findings
          .filter((f) => f.kind === 'unused_scopes')
          .map(
            (f) =>
              `  tokenmint insights remove-unused ${f.client_id} --audience ${f.audience ?? ''} --scopes ${(f.scopes ?? []).join(',')}`,
          )
        return [
          table([
            ['KIND', 'APPLICATION', 'FINDING'],
            ...result.findings.map((f) => [KIND_LABEL[f.kind] ?? f.kind, f.client_id, f.message]),
          ]),
          ...(fixes.length > 0 ? ['', 'To remove the unused scopes:', ...fixes] : []),
        ].join('\n')
      })
    })

  insights
    .command('remove-unused <client-id>')
    .description("remove scopes insight found unused from one of an application's grants")
    .requiredOption('--audience <audience>', 'the API the scopes belong to')
    .requiredOption('--scopes <scopes>', 'the scopes to remove (space- or comma-separated)')
    .option('--json', 'print JSON')
    .action(
      async (clientId: string, flags: { audience: string; scopes: string }, command: Command) => {
        const { client, options } = adminClientFor(command)
        // `--days` is the parent's option (the window the scopes were found unused in).
        const window = command.parent?.opts<{ days?: number }>().days ?? 30
        const scopes = flags.scopes.split(/[\s,]+/).filter((s) => s !== '')
        const result = await client.request<{ client_id: string; name: string }>(
          'POST',
          client.tenantPath('/insights/remove-unused-scopes'),
          { client_id: clientId, audience: flags.audience, scopes, days: window },
        )
        print(
          options.json,
          result,
          () =>
            `Removed ${scopes.join(' ')} from ${result.name} (${result.client_id}) on ${flags.audience}.`,
        )
      },
    )
}
