import type { Command } from 'commander'

import { CliError } from './cli-error.js'
import { print, table } from './output.js'
import { adminClientFor } from './remote.js'

interface WebhookView {
  id: string
  url: string
  event_types: string[]
  enabled: boolean
}

interface DeliveryView {
  id: string
  event_type: string
  status: string
  attempts: number
  next_attempt_at: string | null
  last_attempt_at: string | null
  last_status: number | null
  last_error: string | null
  created_at: string
}

const STATUSES = ['pending', 'delivered', 'failed', 'dead']

/** `a,b c` → `['a', 'b', 'c']`; the server names any type it does not know. */
const eventList = (value: string) => value.split(/[\s,]+/).filter((t) => t !== '')

function webhookTable(webhooks: readonly WebhookView[]): string {
  if (webhooks.length === 0) return 'No webhooks.'
  return table(
    [
      ['ID', 'URL', 'EVENTS', 'ENABLED'],
      ...webhooks.map((w) => [w.id, w.url, w.event_types.join(','), w.enabled ? 'yes' : 'no']),
    ],
    { keep: [0] },
  )
}

function deliveryTable(deliveries: readonly DeliveryView[]): string {
  if (deliveries.length === 0) return 'No deliveries.'
  return table(
    [
      ['ID', 'EVENT', 'STATUS', 'ATTEMPTS', 'CREATED', 'LAST ANSWER', 'NEXT ATTEMPT'],
      ...deliveries.map((d) => [
        d.id,
        d.event_type,
        d.status,
        String(d.attempts),
        d.created_at,
        d.last_error ?? (d.last_status === null ? '' : String(d.last_status)),
        d.next_attempt_at ?? '',
      ]),
    ],
    { keep: [0, 1, 2] },
  )
}

/** `tokenmint webhooks …`: per-tenant webhooks signed per Standard Webhooks (docs/webhooks.md). */
export function registerWebhooks(program: Command): void {
  const webhooks = program
    .command('webhooks')
    .description('send application and insight events to HTTPS endpoints (Standard Webhooks)')
  const path = (suffix = '') => `/webhooks${suffix}`
  const one = (id: string, suffix = '') => path(`/${encodeURIComponent(id)}${suffix}`)

  webhooks
    .command('list', { isDefault: true })
    .description('the endpoints and the events each one is sent')
    .option('--json', 'as JSON')
    .action(async (_flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const { items } = await client.request<{ items: WebhookView[] }>(
        'GET',
        client.tenantPath(path()),
      )
      print(options.json, items, () => webhookTable(items))
    })

  webhooks
    .command('add')
    // The URL is an argument: `--url` is the global option naming the Tokenmint server.
    .argument('<url>', 'https://… (a public address, or one TOKENMINT_OUTBOUND_ALLOW lists)')
    .description('add an endpoint; prints its signing secret once')
    .requiredOption(
      '--events <types>',
      'comma-separated, e.g. application.revoked,application.secret_leaked',
    )
    .option('--disabled', 'add it without sending anything yet')
    .option('--json', 'as JSON')
    .action(
      async (url: string, flags: { events: string; disabled?: boolean }, command: Command) => {
        const { client, options } = adminClientFor(command)
        const created = await client.request<{ webhook: WebhookView; secret: string }>(
          'POST',
          client.tenantPath(path()),
          {
            url,
            event_types: eventList(flags.events),
            ...(flags.disabled === true && { enabled: false }),
          },
        )
        print(options.json, created, () =>
          [
            `added webhook ${created.webhook.id} → ${created.webhook.url} (${created.webhook.event_types.join(', ')})`,
            `signing secret (shown once; verify each delivery's webhook-signature with it): ${created.secret}`,
          ].join('\n'),
        )
      },
    )

  webhooks
    .command('update')
    .argument('<id>', 'the webhook id')
    .description('change the events an endpoint is sent, or disable and enable it')
    .option('--events <types>', 'comma-separated: replaces the subscribed events')
    .option('--enable', 'send to it again (waiting deliveries go out)')
    .option('--disable', 'send it nothing new; waiting deliveries wait')
    .option('--json', 'as JSON')
    .action(
      async (
        id: string,
        flags: { events?: string; enable?: boolean; disable?: boolean },
        command: Command,
      ) => {
        if (flags.enable === true && flags.disable === true)
          throw new CliError('--enable and --disable contradict each other')
        if (flags.events === undefined && flags.enable !== true && flags.disable !== true)
          throw new CliError('name a change: --events, --enable or --disable')
        const { client, options } = adminClientFor(command)
        const updated = await client.request<WebhookView>('PATCH', client.tenantPath(one(id)), {
          ...(flags.events !== undefined && { event_types: eventList(flags.events) }),
          ...(flags.enable === true && { enabled: true }),
          ...(flags.disable === true && { enabled: false }),
        })
        print(options.json, updated, () => webhookTable([updated]))
      },
    )

  webhooks
    .command('remove')
    .argument('<id>', 'the webhook id')
    .description('remove an endpoint with its delivery log')
    .option('--json', 'as JSON')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      await client.request('DELETE', client.tenantPath(one(id)))
      print(options.json, { removed: id }, () => `removed webhook ${id}`)
    })

  webhooks
    .command('test')
    .argument('<id>', 'the webhook id')
    .description('send a webhook.test event now; `webhooks deliveries ID` shows the answer')
    .option('--json', 'as JSON')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const delivery = await client.request<DeliveryView>(
        'POST',
        client.tenantPath(one(id, '/test')),
      )
      print(
        options.json,
        delivery,
        () => `queued test event ${delivery.id}; see: tokenmint webhooks deliveries ${id}`,
      )
    })

  webhooks
    .command('deliveries')
    .argument('<id>', 'the webhook id')
    .description('the delivery log, newest first; --status dead lists the dead letters')
    .option('--status <status>', STATUSES.join(', '))
    .option('--limit <n>', 'at most this many (1–200)', '50')
    .option('--json', 'as JSON')
    .action(async (id: string, flags: { status?: string; limit: string }, command: Command) => {
      if (flags.status !== undefined && !STATUSES.includes(flags.status))
        throw new CliError(`--status must be one of ${STATUSES.join(', ')}`)
      const { client, options } = adminClientFor(command)
      const query = new URLSearchParams({
        limit: flags.limit,
        ...(flags.status !== undefined && { status: flags.status }),
      })
      const { items } = await client.request<{ items: DeliveryView[] }>(
        'GET',
        client.tenantPath(one(id, `/deliveries?${query.toString()}`)),
      )
      print(options.json, items, () => deliveryTable(items))
    })

  webhooks
    .command('retry')
    .argument('<id>', 'the webhook id')
    .argument('<delivery>', 'the delivery id (msg_…)')
    .description('send a failed or dead delivery again now, with the same webhook-id')
    .option('--json', 'as JSON')
    .action(async (id: string, delivery: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const queued = await client.request<DeliveryView>(
        'POST',
        client.tenantPath(one(id, `/deliveries/${encodeURIComponent(delivery)}/retry`)),
      )
      print(options.json, queued, () => `queued ${queued.id} again`)
    })
}
