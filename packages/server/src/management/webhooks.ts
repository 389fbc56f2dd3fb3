import { randomBytes } from 'node:crypto'

import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import {
  isWebhookEventType,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_TEST_EVENT,
  webhookTestPayload,
  type WebhookEventType,
} from '../domain/webhook-events.js'
import type {
  Page,
  Storage,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  WebhookEndpoint,
} from '../storage/contract.js'
import { requireTenant } from './audit-keys.js'
import { displayedSinkUrl } from './audit-sinks.js'
import type { ManagementDeps } from './deps.js'

export type WebhookDeps = Pick<ManagementDeps, 'storage' | 'sealer' | 'now' | 'outbound'>

/** Per tenant: each endpoint is a delivery stream to keep up; more is a misconfiguration. */
export const MAX_WEBHOOKS_PER_TENANT = 10

export const webhookSealingContext = (endpoint: { tenantId: string; id: string }) =>
  `webhook:${endpoint.tenantId}/${endpoint.id}`

/** A webhook's URL as shown and audited: the query string may carry the receiver's token. */
export const displayedWebhookUrl = displayedSinkUrl

let lastId = { ms: 0, n: 0 }

/**
 * A delivery's id and webhook-id: `msg_`, the time and a counter (so deliveries queued together
 * sort, and list, in the order they were made), then 72 random bits.
 */
export function newDeliveryId(): string {
  const ms = Date.now()
  lastId = ms > lastId.ms ? { ms, n: 0 } : { ms: lastId.ms, n: lastId.n + 1 }
  const time = lastId.ms.toString(36).padStart(9, '0') + lastId.n.toString(36).padStart(3, '0')
  return `msg_${time}${randomBytes(9).toString('base64url')}`
}

async function checkUrl(deps: Pick<WebhookDeps, 'outbound'>, raw: string): Promise<string> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ValidationError('url', 'url must be an absolute https:// URL')
  }
  if (url.protocol !== 'https:')
    throw new ValidationError(
      'url',
      `a webhook's url must be https://… (got ${url.protocol}); events are only sent encrypted`,
    )
  if (url.username !== '' || url.password !== '')
    throw new ValidationError(
      'url',
      'credentials in the url are refused; receivers check the webhook-signature header instead',
    )
  if (url.hash !== '') throw new ValidationError('url', 'a webhook url may not carry a #fragment')
  try {
    await deps.outbound.checkDestination(url.href)
  } catch (error) {
    // The outbound rule's message names the origin and the refused address, never the path.
    throw new ValidationError(
      'url',
      `the url is refused: ${error instanceof Error ? error.message : 'it cannot be checked'}`,
    )
  }
  return url.toString()
}

function checkEventTypes(types: readonly string[]): WebhookEventType[] {
  const allowed = WEBHOOK_EVENT_TYPES.join(', ')
  const unknown = types.filter((t) => !isWebhookEventType(t))
  if (unknown.length > 0)
    throw new ValidationError(
      'event_types',
      `unknown event type${unknown.length > 1 ? 's' : ''} ${unknown.map((t) => JSON.stringify(t)).join(', ')}; webhooks send: ${allowed}`,
    )
  if (types.length === 0)
    throw new ValidationError('event_types', `event_types must name at least one of: ${allowed}`)
  return [...new Set(types as WebhookEventType[])]
}

async function auditHead(storage: Storage, tenantId: string): Promise<number> {
  return (await storage.auditChain.head(tenantId))?.seq ?? 0
}

async function requireEndpoint(
  storage: Storage,
  tenantId: string,
  id: string,
): Promise<WebhookEndpoint> {
  await requireTenant(storage, tenantId)
  const endpoint = await storage.webhooks.getEndpoint(tenantId, id)
  if (endpoint === undefined) throw new NotFoundError('webhook', id)
  return endpoint
}

export const subscribedTypes = (endpoint: WebhookEndpoint): WebhookEventType[] =>
  WEBHOOK_EVENT_TYPES.filter((t) => endpoint.subscriptions[t] !== undefined)

export interface CreatedWebhook {
  endpoint: WebhookEndpoint
  /** The Standard Webhooks secret (`whsec_…`) receivers verify signatures with, shown this once. */
  secret: string
}

/** Adds an endpoint; it is sent the subscribed events that happen from now on. */
export async function createWebhook(
  deps: WebhookDeps,
  actor: string,
  tenantId: string,
  input: { url: string; eventTypes: readonly string[]; enabled?: boolean | undefined },
): Promise<CreatedWebhook> {
  const eventTypes = checkEventTypes(input.eventTypes)
  await requireTenant(deps.storage, tenantId)
  // Before the transaction: a DNS look-up holds no database lock.
  const url = await checkUrl(deps, input.url)
  return deps.storage.transaction(async (storage) => {
    await requireTenant(storage, tenantId)
    await storage.tenants.lockForChange(tenantId)
    if ((await storage.webhooks.listEndpoints(tenantId)).length >= MAX_WEBHOOKS_PER_TENANT)
      throw new ConflictError(
        `a tenant has at most ${String(MAX_WEBHOOKS_PER_TENANT)} webhooks; remove one first`,
      )
    const now = deps.now()
    const id = `wh_${randomBytes(9).toString('base64url')}`
    // 32 random bytes: Standard Webhooks asks for 24 to 64.
    const secret = `whsec_${randomBytes(32).toString('base64')}`
    const head = await auditHead(storage, tenantId)
    const endpoint: WebhookEndpoint = {
      id,
      tenantId,
      url,
      sealedSecret: deps.sealer.seal(Buffer.from(secret), webhookSealingContext({ tenantId, id })),
      subscriptions: Object.fromEntries(eventTypes.map((t) => [t, head])),
      isEnabled: input.enabled ?? true,
      through: head,
      createdAt: now,
      updatedAt: now,
    }
    await storage.webhooks.insertEndpoint(endpoint)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'webhook.added',
        actor,
        clientId: null,
        data: {
          webhook_id: id,
          url: displayedWebhookUrl(url),
          event_types: eventTypes,
          enabled: endpoint.isEnabled,
        },
      },
    ])
    return { endpoint, secret }
  })
}

export async function listWebhooks(
  deps: WebhookDeps,
  tenantId: string,
): Promise<WebhookEndpoint[]> {
  await requireTenant(deps.storage, tenantId)
  return deps.storage.webhooks.listEndpoints(tenantId)
}

export async function getWebhook(
  deps: WebhookDeps,
  tenantId: string,
  id: string,
): Promise<WebhookEndpoint> {
  return requireEndpoint(deps.storage, tenantId, id)
}

/**
 * Changes what an endpoint is sent. An event type added now is sent from now on; a disabled
 * endpoint is sent nothing new, and its waiting deliveries wait until it is enabled again.
 */
export async function updateWebhook(
  deps: WebhookDeps,
  actor: string,
  tenantId: string,
  id: string,
  change: { eventTypes?: readonly string[] | undefined; enabled?: boolean | undefined },
): Promise<WebhookEndpoint> {
  const eventTypes =
    change.eventTypes === undefined ? undefined : checkEventTypes(change.eventTypes)
  return deps.storage.transaction(async (storage) => {
    const current = await requireEndpoint(storage, tenantId, id)
    const now = deps.now()
    const head = await auditHead(storage, tenantId)
    const updated: WebhookEndpoint = {
      ...current,
      subscriptions:
        eventTypes === undefined
          ? current.subscriptions
          : Object.fromEntries(eventTypes.map((t) => [t, current.subscriptions[t] ?? head])),
      isEnabled: change.enabled ?? current.isEnabled,
      updatedAt: now,
    }
    await storage.webhooks.updateEndpoint(updated)
    if (current.isEnabled && !updated.isEnabled) await storage.webhooks.pauseDeliveries(id)
    if (!current.isEnabled && updated.isEnabled) await storage.webhooks.resumeDeliveries(id, now)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'webhook.updated',
        actor,
        clientId: null,
        data: {
          webhook_id: id,
          ...(eventTypes !== undefined && {
            event_types: { before: subscribedTypes(current), after: subscribedTypes(updated) },
          }),
          ...(change.enabled !== undefined && {
            enabled: { before: current.isEnabled, after: updated.isEnabled },
          }),
        },
      },
    ])
    return updated
  })
}

/** Removes an endpoint with its delivery log; deliveries still waiting are not sent. */
export async function deleteWebhook(
  deps: WebhookDeps,
  actor: string,
  tenantId: string,
  id: string,
): Promise<void> {
  await deps.storage.transaction(async (storage) => {
    await requireTenant(storage, tenantId)
    if (!(await storage.webhooks.deleteEndpoint(tenantId, id)))
      throw new NotFoundError('webhook', id)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: deps.now(),
        type: 'webhook.removed',
        actor,
        clientId: null,
        data: { webhook_id: id },
      },
    ])
  })
}

/**
 * Queues a `webhook.test` event for the endpoint, sent within a second and retried like any
 * other; its delivery shows how the receiver answered.
 */
export async function sendTestWebhook(
  deps: WebhookDeps,
  tenantId: string,
  id: string,
): Promise<WebhookDeliveryRecord> {
  const endpoint = await requireEndpoint(deps.storage, tenantId, id)
  if (!endpoint.isEnabled)
    throw new ConflictError('this webhook is disabled; enable it to send a test event')
  const now = deps.now()
  const delivery: WebhookDeliveryRecord = {
    id: newDeliveryId(),
    tenantId,
    endpointId: id,
    eventType: WEBHOOK_TEST_EVENT,
    auditSeq: null,
    payload: webhookTestPayload(tenantId, id, now),
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    lastAttemptAt: null,
    lastStatus: null,
    lastError: null,
    createdAt: now,
  }
  await deps.storage.webhooks.insertDeliveries([delivery])
  return delivery
}

export async function listWebhookDeliveries(
  deps: WebhookDeps,
  tenantId: string,
  id: string,
  query: { status?: WebhookDeliveryStatus | undefined; limit: number; cursor?: string | undefined },
): Promise<Page<WebhookDeliveryRecord>> {
  await requireEndpoint(deps.storage, tenantId, id)
  return deps.storage.webhooks.listDeliveries(tenantId, id, query)
}

/**
 * Sends a failed or dead delivery again now, with its webhook-id unchanged. A dead one that
 * fails again stays dead; a failed one goes on with its schedule.
 */
export async function retryWebhookDelivery(
  deps: WebhookDeps,
  tenantId: string,
  id: string,
  deliveryId: string,
): Promise<WebhookDeliveryRecord> {
  const endpoint = await requireEndpoint(deps.storage, tenantId, id)
  const delivery = await deps.storage.webhooks.getDelivery(tenantId, id, deliveryId)
  if (delivery === undefined) throw new NotFoundError('delivery', deliveryId)
  if (delivery.status !== 'failed' && delivery.status !== 'dead')
    throw new ConflictError(
      `only a failed or dead delivery is retried; this one is ${delivery.status}`,
    )
  if (!endpoint.isEnabled)
    throw new ConflictError('this webhook is disabled; enable it to retry its deliveries')
  const now = deps.now()
  if (!(await deps.storage.webhooks.requeue(tenantId, id, deliveryId, now)))
    throw new ConflictError('an attempt of this delivery is under way; look again in a moment')
  return { ...delivery, status: 'pending', nextAttemptAt: now }
}
