import { describe, expect, it } from 'vitest'

import {
  nextWebhookAttempt,
  webhookEventOf,
  webhookPayload,
  type WebhookSourceRecord,
} from './webhook-events.js'

const record = (type: string, data: Record<string, unknown>): WebhookSourceRecord => ({
  seq: 7,
  tenantId: 'acme',
  occurredAt: new Date('2026-12-01T10:00:00.000Z'),
  type,
  actor: 'system',
  clientId: 'tmc_1',
  data,
})

describe('which audit records are webhook events', () => {
  const cases: { description: string; type: string; data: object; event: string | undefined }[] = [
    {
      description: 'an application created is application.created',
      type: 'application.created',
      data: {},
      event: 'application.created',
    },
    {
      description: 'a refusal over the quota is application.quota_exceeded',
      type: 'token.refused',
      data: {
        error: 'rate_limited',
        reason:
          "token quota exceeded: more than 3 token requests in the last minute, against this application's quota of 3 per minute",
      },
      event: 'application.quota_exceeded',
    },
    {
      description: 'so is one in the earlier wording',
      type: 'token.refused',
      data: {
        error: 'rate_limited',
        reason:
          'this application may request 3 tokens per minute; cache its tokens until they expire',
      },
      event: 'application.quota_exceeded',
    },
    {
      description: "the password grant's failed sign-ins limit is not",
      type: 'token.refused',
      data: { error: 'rate_limited', reason: 'too many failed sign-ins; try again later' },
      event: undefined,
    },
    {
      description: 'another refusal is not',
      type: 'token.refused',
      data: { error: 'invalid_scope', reason: 'token quota exceeded: spoofed by a description' },
      event: undefined,
    },
    { description: 'a token issued is not', type: 'token.issued', data: {}, event: undefined },
    {
      description: 'a change of a webhook is not',
      type: 'webhook.updated',
      data: {},
      event: undefined,
    },
  ]
  for (const c of cases)
    it(c.description, () => {
      expect(webhookEventOf(record(c.type, { ...c.data }))).toBe(c.event)
    })
})

describe('the payload', () => {
  it('is the Standard Webhooks envelope naming the tenant, application and record, without addresses', () => {
    const body = webhookPayload(
      'application.quota_exceeded',
      record('token.refused', {
        error: 'rate_limited',
        ip: '203.0.113.9',
        nested: [{ last_used_ip: '203.0.113.9', kept: 1 }],
      }),
    )
    expect(JSON.parse(body)).toEqual({
      type: 'application.quota_exceeded',
      timestamp: '2026-12-01T10:00:00.000Z',
      data: {
        tenant_id: 'acme',
        client_id: 'tmc_1',
        actor: 'system',
        audit_seq: 7,
        error: 'rate_limited',
        nested: [{ kept: 1 }],
      },
    })
  })
})

describe('the retry schedule (Standard Webhooks)', () => {
  const now = new Date('2026-12-01T00:00:00.000Z')
  const after = (attempts: number) => {
    const next = nextWebhookAttempt(attempts, now)
    return next === undefined ? 'dead' : (next.getTime() - now.getTime()) / 1000
  }
  it('waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, then gives up', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map(after)).toEqual([
      5,
      300,
      1800,
      7200,
      18_000,
      36_000,
      36_000,
      'dead',
      'dead',
    ])
  })
})
