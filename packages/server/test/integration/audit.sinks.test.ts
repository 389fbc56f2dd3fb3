import { createHmac } from 'node:crypto'
import https from 'node:https'
import type net from 'node:net'
import path from 'node:path'
import tls from 'node:tls'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { makeTestCertificate } from '../support/certificate.js'
import { freshPostgresSchema } from '../support/databases.js'
import { startServer, temporaryDir, type TestServer } from '../support/server.js'

// Real receivers on 127.0.0.1, each started by this test: an HTTPS endpoint that checks the
// Standard Webhooks signature, a syslog server over TLS (RFC 5425) and an OTLP/HTTP collector
// stand-in. Their certificate comes from the openssl CLI; Tokenmint trusts it through
// TOKENMINT_OUTBOUND_CA_FILE and may reach 127.0.0.1 through TOKENMINT_OUTBOUND_ALLOW.

const dir = temporaryDir()
let cert: string | undefined
let key: string | undefined

/** One certificate for every receiver; Tokenmint trusts it as its CA. */
function makeCertificate(): void {
  if (cert !== undefined) return
  ;({ cert, key } = makeTestCertificate(
    dir,
    'tokenmint audit sink test',
    'IP:127.0.0.1,DNS:localhost',
  ))
}

/** What a receiver got, by record number: a number seen twice is a duplicate. */
class Received {
  readonly seqs: number[] = []
  add(seq: number) {
    this.seqs.push(seq)
  }
}

interface Receiver {
  received: Received
  url: () => string
  start: () => Promise<void>
  stop: () => Promise<void>
}

function listenOn(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      resolve((server.address() as net.AddressInfo).port)
    })
  })
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve()
    })
    if (server instanceof https.Server) server.closeAllConnections()
  })
}

/** An HTTPS receiver of JSON lines or OTLP; `check` validates a request and returns its seqs. */
function httpsReceiver(
  scheme: string,
  pathname: string,
  check: (headers: Record<string, string | string[] | undefined>, body: string) => number[],
): Receiver {
  const received = new Received()
  let port = 0
  let server: https.Server | undefined
  return {
    received,
    url: () => `${scheme}://127.0.0.1:${String(port)}${pathname}`,
    async start() {
      server = https.createServer({ cert, key }, (req, res) => {
        let body = ''
        req.setEncoding('utf8')
        req.on('data', (chunk: string) => (body += chunk))
        req.on('end', () => {
          try {
            for (const seq of check(req.headers, body)) received.add(seq)
            res.writeHead(200).end('{}')
          } catch {
            res.writeHead(400).end()
          }
        })
      })
      port = await listenOn(server, port)
    },
    async stop() {
      if (server !== undefined) await closeServer(server)
    },
  }
}

/** A syslog receiver over TLS reading octet-counted RFC 5424 messages. */
function syslogReceiver(): Receiver & { messages: string[] } {
  const received = new Received()
  const messages: string[] = []
  let port = 0
  let server: tls.Server | undefined
  return {
    received,
    messages,
    url: () => `syslog+tls://127.0.0.1:${String(port)}`,
    async start() {
      server = tls.createServer({ cert, key }, (socket) => {
        let buffer = Buffer.alloc(0)
        socket.on('data', (chunk: Buffer) => {
          buffer = Buffer.concat([buffer, chunk])
          for (;;) {
            const space = buffer.indexOf(0x20)
            if (space < 0) break
            const length = Number(buffer.subarray(0, space).toString())
            if (buffer.length < space + 1 + length) break
            const message = buffer.subarray(space + 1, space + 1 + length).toString('utf8')
            buffer = buffer.subarray(space + 1 + length)
            messages.push(message)
            const seq = /\[tokenmint@32473 tenant="acme" seq="(\d+)"\]/.exec(message)?.[1]
            if (seq !== undefined) received.add(Number(seq))
          }
        })
        socket.on('end', () => socket.end())
        socket.on('error', () => undefined)
      })
      port = await listenOn(server, port)
    },
    async stop() {
      if (server !== undefined) await closeServer(server)
    },
  }
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const databases: [string, () => Promise<{ url?: string; drop: () => Promise<void> }>][] = [
  ['SQLite', () => Promise.resolve({ drop: () => Promise.resolve() })],
  ['PostgreSQL', () => freshPostgresSchema()],
]

describe.each(databases)('audit sinks on %s', (_name, database) => {
  let server: TestServer
  let secret = ''
  let databaseUrl: string | undefined
  let dropDatabase = () => Promise.resolve()
  const dataDir = temporaryDir()
  const env = () => ({
    TOKENMINT_OUTBOUND_CA_FILE: path.join(dir, 'cert.pem'),
    TOKENMINT_OUTBOUND_ALLOW: '127.0.0.1',
  })

  const webhook = httpsReceiver('https', '/audit', (headers, body) => {
    const id = String(headers['webhook-id'])
    const timestamp = String(headers['webhook-timestamp'])
    const expected = createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64'))
      .update(`${id}.${timestamp}.${body}`)
      .digest('base64')
    if (headers['webhook-signature'] !== `v1,${expected}`) throw new Error('bad signature')
    if (headers['content-type'] !== 'application/x-ndjson') throw new Error('not JSON lines')
    return body
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { seq: number }).seq)
  })
  const otlp = httpsReceiver('https', '/v1/logs', (_headers, body) => {
    const request = JSON.parse(body) as {
      resourceLogs: {
        scopeLogs: {
          logRecords: { attributes: { key: string; value: { intValue?: string } }[] }[]
        }[]
      }[]
    }
    return request.resourceLogs.flatMap((r) =>
      r.scopeLogs.flatMap((s) =>
        s.logRecords.map((l) =>
          Number(l.attributes.find((a) => a.key === 'tokenmint.seq')?.value.intValue),
        ),
      ),
    )
  })
  const syslog = syslogReceiver()
  const receivers = [webhook, otlp, syslog]

  beforeAll(async () => {
    makeCertificate()
    for (const r of receivers) await r.start()
    const db = await database()
    databaseUrl = db.url
    dropDatabase = db.drop
    server = await startServer({
      dataDir,
      env: env(),
      ...(databaseUrl !== undefined && { databaseUrl }),
    })
  })
  afterAll(async () => {
    await server.stop()
    for (const r of receivers) await r.stop()
    await dropDatabase()
  })

  const head = async () => {
    const report = (await (
      await server.admin_('GET', '/admin/v1/tenants/acme/audit/verify')
    ).json()) as { last: number }
    return report.last
  }
  const writeRecords = async (n: number) => {
    for (let i = 0; i < n; i++) await server.admin_('GET', '/admin/v1/tenants/acme/apis')
  }
  const allCaughtUp = async () => {
    const last = await head()
    await until(
      () => receivers.every((r) => r.received.seqs.filter((s) => s <= last).length >= last),
      `every receiver to reach #${String(last)}`,
    )
    return last
  }

  it('refuses sinks that would send the log in the clear or to an unchecked place', async () => {
    const refused = async (body: unknown) => {
      const response = await server.admin_('POST', '/admin/v1/tenants/acme/audit/sinks', body)
      expect(response.status).toBe(400)
      return ((await response.json()) as { detail: string }).detail
    }
    expect(await refused({ kind: 'syslog', url: 'syslog://127.0.0.1:514' })).toMatch(/syslog\+tls/)
    expect(await refused({ kind: 'https', url: 'http://127.0.0.1/audit' })).toMatch(/https/)
    expect(await refused({ kind: 'otlp', url: 'https://user:pw@127.0.0.1/v1/logs' })).toMatch(
      /credentials/,
    )

    // Reading the log is not enough to send it elsewhere: that needs update:keys (owners).
    const reader = (await (
      await server.admin_('POST', '/admin/v1/tenants/acme/applications', {
        name: `audit-reader-${String(Date.now())}`,
        grants: [{ audience: 'urn:tokenmint:admin', scopes: ['read:audit'] }],
      })
    ).json()) as { client_id: string; client_secret: string }
    const token = (await (
      await fetch(server.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: reader.client_id,
          client_secret: reader.client_secret,
          audience: 'urn:tokenmint:admin',
        }),
      })
    ).json()) as { access_token: string }
    const call = (method: string) =>
      fetch(`${server.url}/admin/v1/tenants/acme/audit/sinks`, {
        method,
        headers: {
          authorization: `Bearer ${token.access_token}`,
          'content-type': 'application/json',
        },
        ...(method === 'POST' && { body: JSON.stringify({ kind: 'https', url: webhook.url() }) }),
      })
    expect((await call('GET')).status).toBe(200)
    const forbidden = await call('POST')
    expect(forbidden.status).toBe(403)
    expect(await forbidden.text()).toContain('update:keys')

    // A key in a collector's query string is neither shown nor audited.
    const keyed = await server.admin_('POST', '/admin/v1/tenants/acme/audit/sinks', {
      kind: 'otlp',
      url: 'https://127.0.0.1:9/v1/logs?api_key=do-not-show-me',
    })
    const sink = ((await keyed.json()) as { sink: { id: string; url: string } }).sink
    expect(sink.url).toBe('https://127.0.0.1:9/v1/logs?…')
    const audit = await (
      await server.admin_('GET', '/admin/v1/tenants/acme/audit?type=audit.sink_added')
    ).text()
    expect(audit).toContain(sink.id)
    expect(audit).not.toContain('do-not-show-me')
    const removed = await server.admin_('DELETE', `/admin/v1/tenants/acme/audit/sinks/${sink.id}`)
    expect(removed.status).toBe(204)
  })

  it('delivers every record exactly once to each sink across a receiver restart and a Tokenmint restart', async () => {
    const add = async (kind: string, url: string) => {
      const response = await server.admin_('POST', '/admin/v1/tenants/acme/audit/sinks', {
        kind,
        url,
        start: 'beginning',
      })
      expect(response.status, await response.clone().text()).toBe(201)
      return (await response.json()) as { sink: { id: string }; secret: string | null }
    }
    const created = await add('https', webhook.url())
    expect(created.secret).toMatch(/^whsec_/)
    secret = created.secret ?? ''
    expect((await add('otlp', otlp.url())).secret).toBeNull()
    await add('syslog', syslog.url())
    await writeRecords(5)
    await allCaughtUp()

    // The receivers go away: records written meanwhile wait, failed attempts are retried.
    for (const r of receivers) await r.stop()
    await writeRecords(5)
    await until(async () => {
      const list = (await (
        await server.admin_('GET', '/admin/v1/tenants/acme/audit/sinks')
      ).json()) as { items: { status: string; last_error: string | null }[] }
      return list.items.every((s) => s.status === 'retrying' && s.last_error !== null)
    }, 'every sink to report its failure')
    for (const r of receivers) await r.start()
    await allCaughtUp()

    // Tokenmint restarts: delivery resumes after the last record each receiver took.
    const admin = server.admin
    await server.stop()
    server = await startServer({
      dataDir,
      env: env(),
      admin,
      ...(databaseUrl !== undefined && { databaseUrl }),
    })
    await writeRecords(5)
    const last = await allCaughtUp()

    for (const r of receivers) {
      const seqs = r.received.seqs.filter((s) => s <= last)
      expect(seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1))
    }
    expect(syslog.messages[0]).toMatch(
      /^<110>1 \d{4}-\d\d-\d\dT[\d:.]+Z \S+ tokenmint - \S+ \[tokenmint@32473 tenant="acme" seq="1"\] \{/,
    )
    const list = (await (
      await server.admin_('GET', '/admin/v1/tenants/acme/audit/sinks')
    ).json()) as { items: { kind: string; failures: number; delivered_through: number }[] }
    expect(list.items.map((s) => s.kind)).toEqual(['https', 'otlp', 'syslog'])
    for (const s of list.items) expect(s.failures).toBe(0)
  })
})
