import https from 'node:https'
import type net from 'node:net'

import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import { makeTestCertificate } from '../support/certificate.js'
import { storageDrivers } from '../support/databases.js'
import { basic, createApi, createApplication, postForm } from '../support/fixtures.js'
import { startServer, temporaryDir, type TestServer } from '../support/server.js'

// A real HTTPS receiver on 127.0.0.1 that checks every request with the `standardwebhooks`
// package (the reference library receivers use), against the same clock as the server's: the
// test moves that clock forward to skip the retry schedule's waits. Tokenmint trusts the
// receiver's certificate through TOKENMINT_OUTBOUND_CA_FILE and may reach 127.0.0.1 through
// TOKENMINT_OUTBOUND_ALLOW.

const realNow = Date.now.bind(Date)
let offsetMs = 0
/** While set, the server's clock stands still there: nothing falls due until the test says. */
let frozenMs: number | undefined
const clock = () => new Date(frozenMs ?? realNow() + offsetMs)
const advance = (ms: number) => {
  if (frozenMs === undefined) offsetMs += ms
  else frozenMs += ms
}
const freeze = () => {
  frozenMs = clock().getTime()
}
const thaw = () => {
  if (frozenMs !== undefined) offsetMs = frozenMs - realNow()
  frozenMs = undefined
}

const certDir = temporaryDir()
const { cert, key, certFile } = makeTestCertificate(
  certDir,
  'tokenmint webhook test',
  'IP:127.0.0.1,DNS:localhost',
)

interface Received {
  path: string
  id: string
  timestamp: number
  body: string
  isVerified: boolean
  payload: { type: string; timestamp: string; data: Record<string, unknown> }
}

/** One receiver, a path per endpoint: each path has its secret and answers 2xx or 503. */
class Receiver {
  readonly received: Received[] = []
  readonly #secrets = new Map<string, string>()
  readonly #failing = new Set<string>()
  #server: https.Server | undefined
  #port = 0

  url(path: string): string {
    return `https://127.0.0.1:${String(this.#port)}${path}`
  }

  expect(path: string, secret: string): void {
    this.#secrets.set(path, secret)
  }

  /** `true`: the path answers 503 until told otherwise. */
  fail(path: string, isFailing: boolean): void {
    if (isFailing) this.#failing.add(path)
    else this.#failing.delete(path)
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path)
  }

  async start(): Promise<void> {
    const server = https.createServer({ cert, key }, (req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (body += chunk))
      req.on('end', () => {
        const path = req.url ?? ''
        const headers = {
          'webhook-id': String(req.headers['webhook-id']),
          'webhook-timestamp': String(req.headers['webhook-timestamp']),
          'webhook-signature': String(req.headers['webhook-signature']),
        }
        let isVerified = false
        const secret = this.#secrets.get(path)
        if (secret !== undefined) {
          // The receiver's clock is the server's (moved by the test), so timestamps check out.
          const now = vi.spyOn(Date, 'now').mockReturnValue(clock().getTime())
          try {
            new Webhook(secret).verify(body, headers)
            isVerified = req.headers['content-type'] === 'application/json'
          } catch {
            isVerified = false
          } finally {
            now.mockRestore()
          }
        }
        this.received.push({
          path,
          id: headers['webhook-id'],
          timestamp: Number(headers['webhook-timestamp']),
          body,
          isVerified,
          payload: JSON.parse(body) as Received['payload'],
        })
        res.writeHead(this.#failing.has(path) ? 503 : isVerified ? 204 : 400).end()
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.#port, '127.0.0.1', () => {
        this.#port = (server.address() as net.AddressInfo).port
        resolve()
      })
    })
    this.#server = server
  }

  async stop(): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve()
      })
      server.closeAllConnections()
    })
  }
}

async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = realNow() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (realNow() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

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
  audit_seq: number | null
  payload: { type: string; data: Record<string, unknown> }
}

let pathCounter = 0

describe.each(storageDrivers)('webhooks on %s', (_name, driver) => {
  let server: TestServer
  let databaseUrl: string | undefined
  let cleanup = () => Promise.resolve()
  const dataDir = temporaryDir()
  const receiver = new Receiver()
  const env = { TOKENMINT_OUTBOUND_CA_FILE: certFile, TOKENMINT_OUTBOUND_ALLOW: '127.0.0.1' }
  /** The first start initialises the data dir; a restart passes the admin credentials it made. */
  const start = (admin?: TestServer['admin']) =>
    startServer({
      dataDir,
      env,
      now: clock,
      ...(admin !== undefined && { admin }),
      ...(databaseUrl !== undefined && { databaseUrl }),
    })

  beforeAll(async () => {
    await receiver.start()
    const database = await driver()
    databaseUrl = database.databaseUrl
    cleanup = database.cleanup
    server = await start()
  })
  afterAll(async () => {
    await server.stop()
    await receiver.stop()
    await cleanup()
  })

  const base = () => `/admin/v1/tenants/${server.tenant}/webhooks`

  /** Adds an endpoint at a fresh path of the receiver, which learns its secret. */
  async function addWebhook(eventTypes: string[], query = '') {
    const path = `/hooks/${String(++pathCounter)}`
    const response = await server.admin_('POST', base(), {
      url: receiver.url(path) + query,
      event_types: eventTypes,
    })
    expect(response.status, await response.clone().text()).toBe(201)
    const created = (await response.json()) as { webhook: WebhookView; secret: string }
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    receiver.expect(path + query, created.secret)
    return { ...created.webhook, path: path + query }
  }

  async function deliveries(webhookId: string, status?: string): Promise<DeliveryView[]> {
    const response = await server.admin_(
      'GET',
      `${base()}/${webhookId}/deliveries${status === undefined ? '' : `?status=${status}`}`,
    )
    expect(response.status).toBe(200)
    return ((await response.json()) as { items: DeliveryView[] }).items
  }

  async function oneDelivery(webhookId: string): Promise<DeliveryView | undefined> {
    const items = await deliveries(webhookId)
    expect(items.length).toBeLessThanOrEqual(1)
    return items[0]
  }

  it('refuses an http:// or private url, credentials in it and unknown event types, naming what is wrong', async () => {
    const refused = async (body: unknown) => {
      const response = await server.admin_('POST', base(), body)
      expect(response.status).toBe(400)
      return ((await response.json()) as { detail: string }).detail
    }
    const events = ['application.created']
    expect(await refused({ url: 'http://127.0.0.1/hook', event_types: events })).toMatch(
      /must be https:\/\/… \(got http:\)/,
    )
    expect(await refused({ url: 'https://10.1.2.3/hook', event_types: events })).toMatch(
      /https:\/\/10\.1\.2\.3 refused: a private address; .*TOKENMINT_OUTBOUND_ALLOW/,
    )
    expect(await refused({ url: 'https://[::1]:8443/hook', event_types: events })).toMatch(
      /loopback address/,
    )
    expect(await refused({ url: 'https://user:pw@127.0.0.1/hook', event_types: events })).toMatch(
      /credentials in the url are refused/,
    )
    const unknown = await refused({
      url: receiver.url('/hooks/never'),
      event_types: ['application.created', 'token.issued'],
    })
    expect(unknown).toContain('unknown event type "token.issued"')
    expect(unknown).toContain('application.quota_exceeded')
    expect(await refused({ url: receiver.url('/hooks/never'), event_types: [] })).toMatch(
      /at least one of: application\.created/,
    )

    // Nothing was added, nor audited.
    const list = (await (await server.admin_('GET', base())).json()) as { items: unknown[] }
    expect(list.items).toEqual([])
    const audit = (await (
      await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/audit?type=webhook.added`)
    ).json()) as { items: unknown[] }
    expect(audit.items).toEqual([])
  })

  it('lets a token with read:audit read webhooks, but not add, change, test or retry them', async () => {
    const hook = await addWebhook(['application.created'])
    const reader = await createApplication(server, {
      grants: [{ audience: 'urn:tokenmint:admin', scopes: ['read:audit'] }],
    })
    const token = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials', audience: 'urn:tokenmint:admin' },
      { authorization: basic(reader.clientId, reader.clientSecret) },
    )
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${String(token.body['access_token'])}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
    expect((await call('GET', base())).status).toBe(200)
    expect((await call('GET', `${base()}/${hook.id}/deliveries`)).status).toBe(200)
    const forbidden = [
      await call('POST', base(), { url: receiver.url('/x'), event_types: ['insight.found'] }),
      await call('PATCH', `${base()}/${hook.id}`, { enabled: false }),
      await call('POST', `${base()}/${hook.id}/test`),
      await call('DELETE', `${base()}/${hook.id}`),
    ]
    for (const response of forbidden) {
      expect(response.status).toBe(403)
      expect(await response.text()).toContain('update:keys')
    }
    const list = (await (await server.admin_('GET', base())).json()) as { items: WebhookView[] }
    expect(list.items).toMatchObject([{ id: hook.id, enabled: true }])
    expect((await server.admin_('DELETE', `${base()}/${hook.id}`)).status).toBe(204)
  })

  it('sends signed events of the subscribed types only when applications are created, rotated and revoked', async () => {
    const lifecycle = await addWebhook(
      ['application.created', 'application.revoked'],
      '?token=receiver-credential',
    )
    expect(lifecycle.url).toBe(`${receiver.url(lifecycle.path.split('?')[0] ?? '')}?…`)
    const rotations = await addWebhook(['application.secret_rotated'])

    const app = await createApplication(server)
    const app2 = await createApplication(server)
    const apps = `/admin/v1/tenants/${server.tenant}/applications`
    expect((await server.admin_('POST', `${apps}/${app.clientId}/rotate-secret`, {})).status).toBe(
      200,
    )
    expect((await server.admin_('POST', `${apps}/${app.clientId}/revoke`)).status).toBe(200)

    const ofApps = (path: string) =>
      receiver
        .at(path)
        .filter((r) => [app.clientId, app2.clientId].includes(String(r.payload.data['client_id'])))
    await until(
      () => ofApps(lifecycle.path).length >= 3 && ofApps(rotations.path).length >= 1,
      'the events to arrive',
    )
    // Anything else would have come by now: deliveries are queued within one tick.
    await sleep(1500)
    expect(
      ofApps(lifecycle.path).map((r) => [r.payload.type, r.payload.data['client_id']]),
    ).toEqual([
      ['application.created', app.clientId],
      ['application.created', app2.clientId],
      ['application.revoked', app.clientId],
    ])
    expect(ofApps(rotations.path).map((r) => r.payload.type)).toEqual([
      'application.secret_rotated',
    ])
    for (const r of [...ofApps(lifecycle.path), ...ofApps(rotations.path)]) {
      expect(r.isVerified).toBe(true)
      expect(r.id).toMatch(/^msg_[0-9a-z]{12}[\w-]{12}$/)
      expect(r.payload.data['tenant_id']).toBe(server.tenant)
      expect(typeof r.payload.data['audit_seq']).toBe('number')
      expect(new Date(r.payload.timestamp).toISOString()).toBe(r.payload.timestamp)
      expect(r.body).not.toMatch(/"ip"|"\w+_ip"/)
    }
    const rotated = ofApps(rotations.path)[0]?.payload.data
    expect(rotated).toMatchObject({ client_id: app.clientId, overlap_seconds: 86_400 })
    expect(String(rotated?.['secret_id'])).toMatch(/^sec_/)

    // The delivery log has them as delivered; neither the list nor the audit shows the secret
    // or the url's query string.
    const log = await deliveries(lifecycle.id, 'delivered')
    expect(log.filter((d) => d.payload.data['client_id'] === app.clientId)).toMatchObject([
      { event_type: 'application.revoked', status: 'delivered', attempts: 1, last_status: 204 },
      { event_type: 'application.created', status: 'delivered', attempts: 1, last_status: 204 },
    ])
    const listed = await (await server.admin_('GET', base())).text()
    expect(listed).not.toContain('whsec_')
    expect(listed).not.toContain('receiver-credential')
    const audit = await (
      await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/audit?type=webhook.added`)
    ).text()
    expect(audit).toContain(lifecycle.id)
    expect(audit).not.toContain('receiver-credential')

    // Unsubscribing stops the events of that type; subscribing starts from now on.
    const patched = await server.admin_('PATCH', `${base()}/${lifecycle.id}`, {
      event_types: ['application.revoked', 'application.secret_rotated'],
    })
    expect(patched.status).toBe(200)
    expect(((await patched.json()) as WebhookView).event_types).toEqual([
      'application.revoked',
      'application.secret_rotated',
    ])
    // The rotation happened before the subscription: it is not sent.
    expect(receiver.at(lifecycle.path).some((r) => r.payload.type.endsWith('rotated'))).toBe(false)
    const app3 = await createApplication(server)
    expect((await server.admin_('POST', `${apps}/${app3.clientId}/revoke`)).status).toBe(200)
    await until(
      () => receiver.at(lifecycle.path).some((r) => r.payload.data['client_id'] === app3.clientId),
      'the revoke of the third application',
    )
    await sleep(1000)
    expect(
      receiver
        .at(lifecycle.path)
        .filter((r) => r.payload.data['client_id'] === app3.clientId)
        .map((r) => r.payload.type),
    ).toEqual(['application.revoked'])

    for (const hook of [lifecycle, rotations])
      expect((await server.admin_('DELETE', `${base()}/${hook.id}`)).status).toBe(204)
  })

  it('sends a signed webhook.test event on request and logs how the receiver answered', async () => {
    const hook = await addWebhook(['insight.found'])
    const response = await server.admin_('POST', `${base()}/${hook.id}/test`)
    expect(response.status).toBe(202)
    const queued = (await response.json()) as DeliveryView
    expect(queued).toMatchObject({ event_type: 'webhook.test', status: 'pending', audit_seq: null })
    const received = await until(() => receiver.at(hook.path)[0], 'the test event')
    expect(received).toMatchObject({ id: queued.id, isVerified: true })
    expect(received.payload).toMatchObject({
      type: 'webhook.test',
      data: { tenant_id: server.tenant, webhook_id: hook.id },
    })
    await until(
      async () => (await oneDelivery(hook.id))?.status === 'delivered',
      'the test delivery to be logged',
    )
    expect(await oneDelivery(hook.id)).toMatchObject({
      id: queued.id,
      attempts: 1,
      last_status: 204,
      last_error: null,
      next_attempt_at: null,
    })

    // A disabled endpoint is sent nothing, not even a test.
    await server.admin_('PATCH', `${base()}/${hook.id}`, { enabled: false })
    const disabled = await server.admin_('POST', `${base()}/${hook.id}/test`)
    expect(disabled.status).toBe(409)
    expect(await disabled.text()).toContain('enable it')
    expect((await server.admin_('DELETE', `${base()}/${hook.id}`)).status).toBe(204)
  })

  it('sends one quota_exceeded event per application when its token quota refuses requests', async () => {
    const hook = await addWebhook(['application.quota_exceeded'])
    const api = await createApi(server)
    const app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const patched = await server.admin_(
      'PATCH',
      `/admin/v1/tenants/${server.tenant}/applications/${app.clientId}`,
      { token_rate_limit_per_minute: 1 },
    )
    expect(patched.status).toBe(200)
    const statuses: number[] = []
    for (let i = 0; i < 4; i++)
      statuses.push(
        (
          await postForm(
            server.tokenEndpoint,
            { grant_type: 'client_credentials' },
            { authorization: basic(app.clientId, app.clientSecret) },
          )
        ).status,
      )
    expect(statuses).toEqual([200, 429, 429, 429])
    const event = await until(() => receiver.at(hook.path)[0], 'the quota event')
    await sleep(1500)
    expect(receiver.at(hook.path)).toHaveLength(1)
    expect(event.isVerified).toBe(true)
    expect(event.payload).toMatchObject({
      type: 'application.quota_exceeded',
      data: { client_id: app.clientId, error: 'rate_limited' },
    })
    expect(event.body).not.toContain('"ip"')
    expect((await server.admin_('DELETE', `${base()}/${hook.id}`)).status).toBe(204)
  })

  it('retries with backoff while the receiver fails or is down, and delivers with the same webhook-id once it is back', async () => {
    const hook = await addWebhook(['application.created'])
    receiver.fail(hook.path, true)
    freeze()
    try {
      const app = await createApplication(server)
      const first = await until(async () => {
        const d = await oneDelivery(hook.id)
        return d?.attempts === 1 && d
      }, 'the first attempt')
      expect(first).toMatchObject({
        status: 'failed',
        last_status: 503,
        last_error: 'the receiver answered 503',
      })
      // The next attempt waits 5 s by the server's clock, and not a moment less.
      expect(
        Date.parse(first.next_attempt_at ?? '') - Date.parse(first.last_attempt_at ?? ''),
      ).toBe(5_000)
      advance(4_000)
      await sleep(1200)
      expect(receiver.at(hook.path)).toHaveLength(1)

      // Down altogether: the second attempt finds no one, and the third waits 5 minutes.
      await receiver.stop()
      try {
        advance(1_000)
        const second = await until(async () => {
          const d = await oneDelivery(hook.id)
          return d?.attempts === 2 && d
        }, 'the second attempt')
        expect(second.status).toBe('failed')
        expect(second.last_status).toBeNull()
        expect(second.last_error).toMatch(/^https:\/\/127\.0\.0\.1:\d+: connection failed/)
        expect(
          Date.parse(second.next_attempt_at ?? '') - Date.parse(second.last_attempt_at ?? ''),
        ).toBe(300_000)
      } finally {
        await receiver.start()
      }
      receiver.fail(hook.path, false)
      advance(300_000)
      await until(
        async () => (await oneDelivery(hook.id))?.status === 'delivered',
        'the delivery once the receiver is back',
      )
      const attempts = receiver.at(hook.path)
      expect(attempts).toHaveLength(2)
      expect(new Set(attempts.map((r) => r.id))).toEqual(new Set([first.id]))
      expect(
        attempts.every((r) => r.isVerified && r.payload.data['client_id'] === app.clientId),
      ).toBe(true)
      expect(await oneDelivery(hook.id)).toMatchObject({ attempts: 3, last_status: 204 })
    } finally {
      thaw()
    }
    expect((await server.admin_('DELETE', `${base()}/${hook.id}`)).status).toBe(204)
  }, 60_000)

  it('ends a delivery that keeps failing as dead, lists it as a dead letter, and sends it again on retry', async () => {
    const hook = await addWebhook(['application.created'])
    receiver.fail(hook.path, true)
    freeze()
    try {
      await createApplication(server)
      // Standard Webhooks' schedule: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h.
      const schedule = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]
      for (let attempt = 1; attempt <= 8; attempt++) {
        const delivery = await until(
          async () => {
            const d = await oneDelivery(hook.id)
            return d?.attempts === attempt && d
          },
          `attempt ${String(attempt)}`,
        )
        const delay = schedule[attempt - 1]
        if (delay === undefined) {
          expect(delivery).toMatchObject({ status: 'dead', next_attempt_at: null })
          break
        }
        expect(delivery.status).toBe('failed')
        expect(
          Date.parse(delivery.next_attempt_at ?? '') - Date.parse(delivery.last_attempt_at ?? ''),
        ).toBe(delay)
        advance(delay)
      }
      const dead = await deliveries(hook.id, 'dead')
      expect(dead).toHaveLength(1)
      expect(await deliveries(hook.id, 'failed')).toEqual([])
      expect(receiver.at(hook.path)).toHaveLength(8)

      // The dead letter is sent again, with its webhook-id, once the receiver is fixed.
      receiver.fail(hook.path, false)
      const retry = `${base()}/${hook.id}/deliveries/${dead[0]?.id ?? ''}/retry`
      const retried = await server.admin_('POST', retry)
      expect(retried.status).toBe(202)
      expect(await retried.json()).toMatchObject({ id: dead[0]?.id, status: 'pending' })
      await until(
        async () => (await oneDelivery(hook.id))?.status === 'delivered',
        'the retried delivery',
      )
      expect(receiver.at(hook.path)).toHaveLength(9)
      expect(new Set(receiver.at(hook.path).map((r) => r.id))).toEqual(new Set([dead[0]?.id]))
      expect(await oneDelivery(hook.id)).toMatchObject({ attempts: 9, last_status: 204 })

      const again = await server.admin_('POST', retry)
      expect(again.status).toBe(409)
      expect(await again.text()).toContain('only a failed or dead delivery is retried')
    } finally {
      thaw()
    }
    expect((await server.admin_('DELETE', `${base()}/${hook.id}`)).status).toBe(204)
  }, 60_000)

  it('keeps its queue across a restart: deliveries waiting when the server stopped arrive from the next one', async () => {
    const hook = await addWebhook(['application.created'])
    await receiver.stop()
    let before: string[]
    try {
      const app1 = await createApplication(server)
      await until(async () => (await oneDelivery(hook.id))?.attempts === 1, 'a failed attempt')
      // The second is written just before the stop: queued or not, it is not lost.
      const app2 = await createApplication(server)
      before = [app1.clientId, app2.clientId]
      await server.stop()
      server = await start(server.admin)
    } finally {
      await receiver.start()
    }
    advance(5_000)
    await until(
      () =>
        before.every((id) =>
          receiver.at(hook.path).some((r) => r.payload.data['client_id'] === id),
        ),
      'both events after the restart',
    )
    const log = await deliveries(hook.id)
    expect(log.map((d) => d.status)).toEqual(['delivered', 'delivered'])
    expect(receiver.at(hook.path).every((r) => r.isVerified)).toBe(true)
    // Each event once: the ids the receiver saw are the two deliveries'.
    expect(new Set(receiver.at(hook.path).map((r) => r.id))).toEqual(new Set(log.map((d) => d.id)))
    expect((await server.admin_('DELETE', `${base()}/${hook.id}`)).status).toBe(204)
  }, 60_000)
})
