import type { Services } from '../../compose.js'
import { WEBHOOK_EVENT_TYPES } from '../../domain/webhook-events.js'
import {
  createWebhook,
  deleteWebhook,
  displayedWebhookUrl,
  getWebhook,
  listWebhookDeliveries,
  listWebhooks,
  retryWebhookDelivery,
  sendTestWebhook,
  subscribedTypes,
  updateWebhook,
} from '../../management/webhooks.js'
import type { WebhookDeliveryRecord, WebhookEndpoint } from '../../storage/contract.js'
import type { AdminApp } from './api-routes.js'
import { bearer, callerOf, config, errors, guardFor } from './route-kit.js'
import * as S from './schemas.js'

const T = S.Type
const Time = T.String({ format: 'date-time' })
const TimeOrNull = T.Union([T.Null(), Time])

const EventTypes = T.Array(T.String({ maxLength: 64 }), {
  maxItems: 20,
  description: `The events to send, any of: ${WEBHOOK_EVENT_TYPES.join(', ')} (docs/webhooks.md)`,
})

const WebhookParams = T.Object({ tenant: T.String(), webhook: T.String({ maxLength: 64 }) })
const DeliveryParams = T.Object({
  tenant: T.String(),
  webhook: T.String({ maxLength: 64 }),
  delivery: T.String({ maxLength: 64 }),
})

const CreateWebhookBody = T.Object(
  {
    url: T.String({
      minLength: 1,
      maxLength: 2048,
      description:
        'An https:// URL reachable under the outbound rule (public addresses only unless TOKENMINT_OUTBOUND_ALLOW lists it), without credentials',
    }),
    event_types: EventTypes,
    enabled: T.Optional(T.Boolean({ default: true })),
  },
  { additionalProperties: false },
)

const UpdateWebhookBody = T.Object(
  {
    event_types: T.Optional(EventTypes),
    enabled: T.Optional(
      T.Boolean({
        description:
          'false: nothing new is queued, and waiting deliveries wait until it is enabled again',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
)

const Webhook = T.Object({
  id: T.String(),
  url: T.String({ description: 'The query string, which may hold a credential, is shown as ?…' }),
  event_types: T.Array(T.String()),
  enabled: T.Boolean(),
  created_at: Time,
  updated_at: Time,
})

const DeliveryStatus = T.Union(
  [T.Literal('pending'), T.Literal('delivered'), T.Literal('failed'), T.Literal('dead')],
  {
    description:
      'pending: not tried yet (or queued again); failed: retried on the Standard Webhooks schedule; delivered: the receiver answered 2xx; dead: every attempt failed',
  },
)

const Delivery = T.Object({
  id: T.String({ description: "The event's webhook-id header, the same on every attempt" }),
  event_type: T.String(),
  status: DeliveryStatus,
  attempts: T.Integer(),
  next_attempt_at: TimeOrNull,
  last_attempt_at: TimeOrNull,
  last_status: T.Union([T.Null(), T.Integer()], {
    description: "The receiver's HTTP status at the last attempt; null when it did not answer",
  }),
  last_error: T.Union([T.Null(), T.String()]),
  audit_seq: T.Union([T.Null(), T.Integer()], {
    description: 'The audit record the event was made from; null for a test event',
  }),
  payload: T.Unknown({ description: 'The body sent: type, timestamp and data' }),
  created_at: Time,
})

const DeliveryQuery = T.Object({
  status: T.Optional(DeliveryStatus),
  limit: T.Optional(T.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: T.Optional(T.String({ maxLength: 200 })),
})

function webhookView(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    url: displayedWebhookUrl(endpoint.url),
    event_types: subscribedTypes(endpoint),
    enabled: endpoint.isEnabled,
    created_at: endpoint.createdAt.toISOString(),
    updated_at: endpoint.updatedAt.toISOString(),
  }
}

function deliveryView(delivery: WebhookDeliveryRecord) {
  return {
    id: delivery.id,
    event_type: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    next_attempt_at: delivery.nextAttemptAt?.toISOString() ?? null,
    last_attempt_at: delivery.lastAttemptAt?.toISOString() ?? null,
    last_status: delivery.lastStatus,
    last_error: delivery.lastError,
    audit_seq: delivery.auditSeq,
    payload: JSON.parse(delivery.payload) as unknown,
    created_at: delivery.createdAt.toISOString(),
  }
}

/**
 * Webhooks, per tenant. Reading them takes `read:audit`, as their events are audit records;
 * changing them, and sending a test or a retry, also `update:keys` (owners), as an endpoint
 * receives the tenant's events at an address outside Tokenmint.
 */
export function registerWebhookRoutes(app: AdminApp, services: Services): void {
  const guard = guardFor(services)
  const deps = services.management
  const change = guard(['read:audit', 'update:keys'])
  const tags = ['webhooks']

  app.get(
    '/admin/v1/tenants/:tenant/webhooks',
    {
      config,
      preValidation: guard('read:audit'),
      schema: {
        tags,
        summary: "The tenant's webhook endpoints and the events each one is sent",
        security: bearer,
        params: S.TenantParams,
        response: { 200: T.Object({ items: T.Array(Webhook) }), ...errors },
      },
    },
    async (request) => ({
      items: (await listWebhooks(deps, request.params.tenant)).map(webhookView),
    }),
  )

  app.post(
    '/admin/v1/tenants/:tenant/webhooks',
    {
      config,
      preValidation: change,
      schema: {
        tags,
        summary:
          'Add a webhook endpoint: events signed per Standard Webhooks, with the signing secret shown once',
        security: bearer,
        params: S.TenantParams,
        body: CreateWebhookBody,
        response: {
          201: T.Object({
            webhook: Webhook,
            secret: T.String({
              description:
                "The Standard Webhooks secret (whsec_…) to verify each delivery's webhook-signature with; shown this once",
            }),
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const created = await createWebhook(deps, callerOf(request).actor, request.params.tenant, {
        url: request.body.url,
        eventTypes: request.body.event_types,
        enabled: request.body.enabled,
      })
      return reply
        .code(201)
        .header('Cache-Control', 'no-store')
        .send({ webhook: webhookView(created.endpoint), secret: created.secret })
    },
  )

  app.get(
    '/admin/v1/tenants/:tenant/webhooks/:webhook',
    {
      config,
      preValidation: guard('read:audit'),
      schema: {
        tags,
        summary: 'One webhook endpoint',
        security: bearer,
        params: WebhookParams,
        response: { 200: Webhook, ...errors },
      },
    },
    async (request) =>
      webhookView(await getWebhook(deps, request.params.tenant, request.params.webhook)),
  )

  app.patch(
    '/admin/v1/tenants/:tenant/webhooks/:webhook',
    {
      config,
      preValidation: change,
      schema: {
        tags,
        summary: 'Change the events a webhook endpoint is sent, or disable and enable it',
        security: bearer,
        params: WebhookParams,
        body: UpdateWebhookBody,
        response: { 200: Webhook, ...errors },
      },
    },
    async (request) =>
      webhookView(
        await updateWebhook(
          deps,
          callerOf(request).actor,
          request.params.tenant,
          request.params.webhook,
          { eventTypes: request.body.event_types, enabled: request.body.enabled },
        ),
      ),
  )

  app.delete(
    '/admin/v1/tenants/:tenant/webhooks/:webhook',
    {
      config,
      preValidation: change,
      schema: {
        tags,
        summary: 'Remove a webhook endpoint with its delivery log',
        security: bearer,
        params: WebhookParams,
        response: { 204: T.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteWebhook(
        deps,
        callerOf(request).actor,
        request.params.tenant,
        request.params.webhook,
      )
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/admin/v1/tenants/:tenant/webhooks/:webhook/test',
    {
      config,
      preValidation: change,
      schema: {
        tags,
        summary: 'Send a webhook.test event to the endpoint now; its delivery shows the answer',
        security: bearer,
        params: WebhookParams,
        response: { 202: Delivery, ...errors },
      },
    },
    async (request, reply) => {
      const delivery = await sendTestWebhook(deps, request.params.tenant, request.params.webhook)
      return reply.code(202).send(deliveryView(delivery))
    },
  )

  app.get(
    '/admin/v1/tenants/:tenant/webhooks/:webhook/deliveries',
    {
      config,
      preValidation: guard('read:audit'),
      schema: {
        tags,
        summary:
          "A webhook endpoint's delivery log, newest first; status=dead lists its dead letters",
        security: bearer,
        params: WebhookParams,
        querystring: DeliveryQuery,
        response: {
          200: T.Object({
            items: T.Array(Delivery),
            next_cursor: T.Union([T.Null(), T.String()]),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const page = await listWebhookDeliveries(
        deps,
        request.params.tenant,
        request.params.webhook,
        {
          status: request.query.status,
          limit: request.query.limit ?? 50,
          cursor: request.query.cursor,
        },
      )
      return { items: page.items.map(deliveryView), next_cursor: page.nextCursor }
    },
  )

  app.post(
    '/admin/v1/tenants/:tenant/webhooks/:webhook/deliveries/:delivery/retry',
    {
      config,
      preValidation: change,
      schema: {
        tags,
        summary: 'Send a failed or dead delivery again now, with the same webhook-id',
        security: bearer,
        params: DeliveryParams,
        response: { 202: Delivery, ...errors },
      },
    },
    async (request, reply) => {
      const delivery = await retryWebhookDelivery(
        deps,
        request.params.tenant,
        request.params.webhook,
        request.params.delivery,
      )
      return reply.code(202).send(deliveryView(delivery))
    },
  )
}
