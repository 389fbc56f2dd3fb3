import { execFile, spawn } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'

import SQLite from 'better-sqlite3'
import { CompactSign } from 'jose'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'

import { recordHash } from '../../src/domain/audit-chain.js'
import { pruneAudit } from '../../src/management/audit-integrity.js'
import { freshPostgresSchema } from '../support/databases.js'
import { cliEnvFor } from '../support/serve-process.js'
import { startServer, temporaryDir, type TestServer } from '../support/server.js'

const run = promisify(execFile)
const BIN = path.resolve(import.meta.dirname, '../../bin/tokenmint.js')

interface Finding {
  kind: string
  seq: number
  through?: number
  message: string
}
interface Verification {
  ok: boolean
  records: number
  first: number | null
  last: number | null
  verified_through: number
  checkpoints_checked: number
  findings: Finding[]
}
interface Row {
  id: number
  seq: number
  tenant_id: string
  occurred_at: number
  type: string
  actor: string
  client_id: string | null
  data: string
  prev_hash: string
  hash: string
}

/** Direct access to the database, as someone with the database's credentials would have. */
interface RawDatabase {
  exec(statement: string): Promise<void>
  rows(statement: string): Promise<Row[]>
  close(): Promise<void>
}

interface Setup {
  server: TestServer
  db: RawDatabase
  cleanup: () => Promise<void>
}

/** `env` for the server; `offsetMs`, if given, moves the server's clock from the real one. */
type Open = (env?: Record<string, string>, offsetMs?: () => number) => Promise<Setup>
const clock = (offsetMs?: () => number) =>
  offsetMs === undefined ? {} : { now: () => new Date(Date.now() + offsetMs()) }

const drivers: [string, Open][] = [
  [
    'SQLite',
    async (env, offsetMs) => {
      const server = await startServer({ ...(env && { env }), ...clock(offsetMs) })
      const file = server.databaseUrl.replace(/^sqlite:/, '')
      const sqlite = new SQLite(file)
      sqlite.pragma('busy_timeout = 5000')
      const db: RawDatabase = {
        exec: (statement) => Promise.resolve(void sqlite.exec(statement)),
        rows: (statement) => Promise.resolve(sqlite.prepare<[], Row>(statement).all()),
        close: () => Promise.resolve(void sqlite.close()),
      }
      return { server, db, cleanup: () => Promise.resolve() }
    },
  ],
  [
    'PostgreSQL',
    async (env, offsetMs) => {
      const schema = await freshPostgresSchema()
      const server = await startServer({
        databaseUrl: schema.url,
        ...(env && { env }),
        ...clock(offsetMs),
      })
      const client = new pg.Client({ connectionString: schema.url.replace(/\?.*$/, '') })
      await client.connect()
      await client.query(`set search_path to ${schema.schema}`)
      const db: RawDatabase = {
        exec: async (statement) => {
          await client.query(statement)
        },
        rows: async (statement) => (await client.query<Row>(statement)).rows,
        close: () => client.end(),
      }
      return { server, db, cleanup: schema.drop }
    },
  ],
]

async function json<T>(response: Response): Promise<T> {
  expect(response.status, await response.clone().text()).toBeLessThan(300)
  return (await response.json()) as T
}

/** Writes `n` audit records at least: each admin call mints (and records) a token. */
async function writeRecords(server: TestServer, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await server.admin_('GET', '/admin/v1/tenants/acme/apis')
}

const verify = (server: TestServer, query = '') =>
  server.admin_('GET', `/admin/v1/tenants/acme/audit/verify${query}`).then(json<Verification>)

/** The findings, without the records the test's own verify calls appended meanwhile. */
const kinds = (report: Verification) => report.findings.map((f) => [f.kind, f.seq, f.through])

async function cli(server: TestServer, ...args: string[]) {
  try {
    const { stdout } = await run(process.execPath, [BIN, ...args], {
      env: cliEnvFor(server),
    })
    return { code: 0, stdout }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout + failed.stderr }
  }
}

describe.each(drivers)('tamper-evident audit log on %s', (_name, open) => {
  let setup: Setup | undefined
  afterEach(async () => {
    await setup?.db.close()
    await setup?.server.stop()
    await setup?.cleanup()
    setup = undefined
  })

  it('a clean log verifies, and each edit, removal, insertion and reordering is named', async () => {
    setup = await open()
    const { server, db } = setup
    await writeRecords(server, 25)
    const clean = await verify(server)
    expect(clean).toMatchObject({ ok: true, first: 1, findings: [] })
    expect(clean.verified_through).toBe(clean.last)
    expect(clean.records).toBe(clean.last)

    await db.exec(`update audit_events set data = '{"scope":"everything"}' where seq = 5`)
    await db.exec(`delete from audit_events where seq = 10`)
    // Numbers are unique: someone inserting with one already taken drops the index first.
    await db.exec(`drop index audit_events_tenant_seq`)
    await db.exec(`insert into audit_events (tenant_id, occurred_at, type, actor, client_id, data, seq, prev_hash, hash)
      select tenant_id, occurred_at, type, 'client:intruder', client_id, data, seq, prev_hash, hash
        from audit_events where seq = 15`)
    await db.exec(`update audit_events set seq = -1 where seq = 20`)
    await db.exec(`update audit_events set seq = 20 where seq = 21`)
    await db.exec(`update audit_events set seq = 21 where seq = -1`)

    const broken = await verify(server)
    expect(broken.ok).toBe(false)
    expect(kinds(broken)).toEqual([
      ['changed', 5, undefined],
      ['removed', 10, undefined],
      ['inserted', 15, undefined],
      ['reordered', 20, undefined],
      ['reordered', 21, undefined],
    ])
    expect(broken.verified_through).toBe(4)
    expect(broken.findings.map((f) => f.message)).toContain(
      'record #20 holds the record written as #21',
    )

    const viaCli = await cli(server, 'audit', 'verify')
    expect(viaCli.code).toBe(2)
    expect(viaCli.stdout).toContain('BROKEN')
    expect(viaCli.stdout).toContain('record #10 was removed')
    const viaCliJson = await cli(server, 'audit', 'verify', '--json')
    expect(viaCliJson.code).toBe(2)
    expect((JSON.parse(viaCliJson.stdout) as Verification).findings).toHaveLength(5)
    // A range that avoids the damage verifies.
    expect(await verify(server, '?from=23&to=25')).toMatchObject({ ok: true, records: 3 })
  })

  it('records cut off the end are found against the head and the checkpoints', async () => {
    setup = await open()
    const { server, db } = setup
    await writeRecords(server, 6)
    // One token for the rest, so the calls below add no records of their own.
    const token = await server.adminToken()
    const call = (method: string, pathname: string) =>
      fetch(`${server.url}/admin/v1/tenants/acme${pathname}`, {
        method,
        headers: { authorization: `Bearer ${token}` },
      })
    const checkpoint = await json<{ seq: number }>(await call('POST', '/audit/checkpoints'))
    const last = checkpoint.seq
    await db.exec(`delete from audit_events where seq >= ${String(last - 1)}`)
    // Hide it from the head too: the signed checkpoint still names #last.
    const [before] = await db.rows(`select * from audit_events where seq = ${String(last - 2)}`)
    await db.exec(
      `update audit_heads set seq = ${String(last - 2)}, hash = '${before?.hash ?? ''}'`,
    )
    const report = await json<Verification>(await call('GET', '/audit/verify'))
    expect(kinds(report)).toEqual([['removed', last - 1, last]])
    expect(report.findings[0]?.message).toContain('from the end (a checkpoint signed at')
    expect(report.verified_through).toBe(last - 2)
  })

  it('a checkpoint refuses a rewrite with recomputed hashes, and a forged checkpoint is refused', async () => {
    setup = await open()
    const { server, db } = setup
    await writeRecords(server, 8)
    const checkpoint = await json<{ seq: number; kid: string; hash: string }>(
      await server.admin_('POST', '/admin/v1/tenants/acme/audit/checkpoints'),
    )
    // Someone with the database rewrites #3 and recomputes every hash after it, and the head.
    const rows = await db.rows(`select * from audit_events order by seq`)
    let prev = rows.find((r) => r.seq === 2)?.hash ?? ''
    for (const r of rows.filter((x) => x.seq >= 3)) {
      const actor = r.seq === 3 ? 'client:someone-else' : r.actor
      const hash = recordHash(prev, {
        tenantId: r.tenant_id,
        seq: r.seq,
        occurredAtMs: r.occurred_at,
        type: r.type,
        actor,
        clientId: r.client_id,
        data: r.data,
      })
      await db.exec(`update audit_events set actor = '${actor}', prev_hash = '${prev}', hash = '${hash}'
        where id = ${String(r.id)}`)
      prev = hash
    }
    const last = rows.at(-1)?.seq ?? 0
    await db.exec(`update audit_heads set hash = '${prev}' where seq = ${String(last)}`)
    const rewritten = await verify(server)
    expect(kinds(rewritten)).toEqual([['checkpoint_mismatch', checkpoint.seq, undefined]])
    expect(rewritten.verified_through).toBe(checkpoint.seq - 1)

    // A checkpoint signed with another key, under the real key's id, is refused.
    const { privateKey } = generateKeyPairSync('ed25519')
    const claims = {
      tenant: 'acme',
      seq: 2,
      hash: 'x',
      kind: 'on_demand',
      time: new Date().toISOString(),
    }
    const forged = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({
        alg: 'EdDSA',
        kid: checkpoint.kid,
        typ: 'tokenmint-audit-checkpoint+jws',
      })
      .sign(privateKey)
    await db.exec(`insert into audit_checkpoints (tenant_id, seq, hash, kind, created_at, kid, jws)
      values ('acme', 2, 'x', 'on_demand', 0, '${checkpoint.kid}', '${forged}')`)
    const withForgery = await verify(server)
    expect(withForgery.findings).toContainEqual({
      kind: 'checkpoint_invalid',
      seq: 2,
      message: 'a checkpoint was refused: its signature does not verify',
    })
  })

  it('an export verifies offline with only the public keys, and an edited copy does not', async () => {
    setup = await open()
    const { server } = setup
    await writeRecords(server, 5)
    await json(await server.admin_('POST', '/admin/v1/tenants/acme/audit/checkpoints'))
    const dir = temporaryDir()
    const exported = path.join(dir, 'audit.jsonl')
    const keys = path.join(dir, 'keys.json')
    expect((await cli(server, 'audit', 'export', '--out', exported)).code).toBe(0)
    const published = await fetch(`${server.issuer}/.well-known/audit-keys.json`)
    expect(published.headers.get('cache-control')).toMatch(/^public/)
    fs.writeFileSync(keys, await published.text())

    const offline = await cli(
      server,
      'audit',
      'verify',
      '--file',
      exported,
      '--keys',
      keys,
      '--json',
    )
    expect(offline.code, offline.stdout).toBe(0)
    const report = JSON.parse(offline.stdout) as Verification
    expect(report).toMatchObject({ ok: true, first: 1, checkpoints_checked: 1 })

    // An independent verifier with no Tokenmint code (Python) recomputes the same chain.
    const python = path.resolve(import.meta.dirname, '../../../../scripts/verify-audit-export.py')
    const independent = await run('python3', [python, exported])
    expect(independent.stdout).toMatch(/^\d+ records checked, 0 broken$/m)

    const lines = fs.readFileSync(exported, 'utf8').trimEnd().split('\n')
    const third = lines.findIndex((l) => l.includes('"seq":3,'))
    lines[third] = lines[third]?.replace('"type":"token.issued"', '"type":"token.refused"') ?? ''
    fs.writeFileSync(exported, lines.join('\n') + '\n')
    const edited = await cli(server, 'audit', 'verify', '--file', exported, '--keys', keys)
    expect(edited.code).toBe(2)
    expect(edited.stdout).toContain('record #3 was changed: its content no longer matches its hash')
    await expect(run('python3', [python, exported])).rejects.toMatchObject({ code: 2 })

    // Another tenant's keys do not verify this tenant's checkpoints.
    const otherKeys = path.join(dir, 'other.json')
    const { publicKey } = generateKeyPairSync('ed25519')
    fs.writeFileSync(
      otherKeys,
      JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'x' }] }),
    )
    const wrongKeys = await cli(server, 'audit', 'verify', '--file', exported, '--keys', otherKeys)
    expect(wrongKeys.code).toBe(2)
    expect(wrongKeys.stdout).toContain("names a key the tenant's audit keys do not include")
  })

  it('rotates the audit key without a gap: old checkpoints still verify, new ones use the pre-published key', async () => {
    setup = await open()
    const { server } = setup
    const keys = async () =>
      (
        (await (await fetch(`${server.issuer}/.well-known/audit-keys.json`)).json()) as {
          keys: { kid: string; crv: string }[]
        }
      ).keys.map((k) => k.kid)
    const before = await keys()
    expect(before).toHaveLength(2) // current and the pre-published next
    const first = await json<{ kid: string }>(
      await server.admin_('POST', '/admin/v1/tenants/acme/audit/checkpoints'),
    )
    expect(before).toContain(first.kid)
    const prePublished = before.find((kid) => kid !== first.kid)
    const rotated = await cli(server, 'audit', 'rotate-key', '--json')
    expect(rotated.code, rotated.stdout).toBe(0)
    const ids = JSON.parse(rotated.stdout) as { current: string; next: string; retired: string }
    expect(ids).toMatchObject({ current: prePublished, retired: first.kid })
    expect((await keys()).sort()).toEqual([...before, ids.next].sort())
    const second = await json<{ kid: string }>(
      await server.admin_('POST', '/admin/v1/tenants/acme/audit/checkpoints'),
    )
    expect(second.kid).toBe(ids.current)
    expect(await verify(server)).toMatchObject({ ok: true, checkpoints_checked: 2 })
    const audit = await json<{ items: { type: string }[] }>(
      await server.admin_('GET', '/admin/v1/tenants/acme/audit?type=audit.key_rotated'),
    )
    expect(audit.items).toHaveLength(1)
  })

  it('retention cuts old records behind a signed checkpoint and what remains verifies', async () => {
    setup = await open()
    const { server, db } = setup
    await writeRecords(server, 10)
    const [sixth] = await db.rows(`select * from audit_events where seq = 6`)
    const cut = await pruneAudit(
      server.services.management,
      'acme',
      new Date(Number(sixth?.occurred_at) + 1),
    )
    expect(cut?.through).toBeGreaterThanOrEqual(6)
    const after = await verify(server)
    expect(after).toMatchObject({ ok: true, first: (cut?.through ?? 0) + 1 })
    const audit = await json<{ items: { type: string; data: { through_seq: number } }[] }>(
      await server.admin_('GET', '/admin/v1/tenants/acme/audit?type=audit.pruned'),
    )
    expect(audit.items[0]?.data.through_seq).toBe(cut?.through)
    // A removed record put back is an insertion, not history.
    await db.exec(`drop index audit_events_tenant_seq`)
    await db.exec(`insert into audit_events (tenant_id, occurred_at, type, actor, client_id, data, seq, prev_hash, hash)
      values ('acme', ${String(sixth?.occurred_at)}, '${sixth?.type ?? ''}', '${sixth?.actor ?? ''}', null, '${sixth?.data ?? ''}', 6, '${sixth?.prev_hash ?? ''}', '${sixth?.hash ?? ''}')`)
    const putBack = await verify(server)
    expect(kinds(putBack)).toEqual([['inserted', 6, undefined]])
  })

  it('a cut of every record keeps the numbering: what is written next continues the chain', async () => {
    setup = await open()
    const { server, db } = setup
    await writeRecords(server, 4)
    const cut = await pruneAudit(server.services.management, 'acme', new Date(Date.now() + 60_000))
    const through = cut?.through ?? 0
    expect(through).toBeGreaterThanOrEqual(4)
    await writeRecords(server, 3)
    const rows = await db.rows(`select * from audit_events where tenant_id = 'acme' order by seq`)
    expect(rows[0]?.seq).toBe(through + 1)
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => through + 1 + i))
    expect(await verify(server)).toMatchObject({ ok: true, first: through + 1 })
  })

  it('takes a scheduled checkpoint once the interval has passed and the chain has grown', async () => {
    // A long interval, so the server's own timer stays out of it; the server's clock is moved
    // instead of waiting (a short real interval let the timer sign too on a slow machine).
    let offsetMs = 0
    setup = await open({ TOKENMINT_AUDIT_CHECKPOINT_INTERVAL: '600' }, () => offsetMs)
    const { server } = setup
    const scheduled = async () =>
      (
        await json<{ items: { kind: string; seq: number }[] }>(
          await server.admin_('GET', '/admin/v1/tenants/acme/audit/checkpoints'),
        )
      ).items.filter((c) => c.kind === 'scheduled')
    await writeRecords(server, 2)
    await server.services.auditSchedule.tick()
    await server.services.auditSchedule.tick()
    expect(await scheduled()).toHaveLength(1)
    // The chain grew (the calls above are audited), but the interval has not passed.
    await server.services.auditSchedule.tick()
    expect(await scheduled()).toHaveLength(1)
    offsetMs += 601_000
    await server.services.auditSchedule.tick()
    const both = await scheduled()
    expect(both).toHaveLength(2)
    // Newest first: the second one covers the records written since the first.
    expect(both[0]?.seq).toBeGreaterThan(both[1]?.seq ?? Infinity)
  })
})

describe('tamper-evident audit log with two nodes on one PostgreSQL database', () => {
  it('keeps one order per tenant while both write at once', async () => {
    const schema = await freshPostgresSchema()
    const env = { TOKENMINT_MASTER_KEY: randomBytes(32).toString('base64') }
    const first = await startServer({ databaseUrl: schema.url, env })
    const second = await startServer({ databaseUrl: schema.url, env, admin: first.admin })
    try {
      const token = async (server: TestServer) => {
        const response = await fetch(server.tokenEndpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: first.admin.clientId,
            client_secret: first.admin.clientSecret,
            audience: 'urn:tokenmint:admin',
          }),
        })
        expect(response.status).toBe(200)
      }
      for (let round = 0; round < 5; round++)
        await Promise.all(Array.from({ length: 40 }, (_, i) => token(i % 2 === 0 ? first : second)))
      const report = await verify(first)
      expect(report).toMatchObject({ ok: true, first: 1, findings: [] })
      expect(report.records).toBe(report.last)
      expect(report.records).toBeGreaterThanOrEqual(200)
    } finally {
      await second.stop()
      await first.stop()
      await schema.drop()
    }
  })
})

describe('the audit stream', () => {
  it('sends every record once, in order, and resumes after Last-Event-ID', async () => {
    const server = await startServer()
    try {
      await writeRecords(server, 3)
      const token = await server.adminToken()
      /** Reads events until `until` records arrived, then hangs up. */
      const read = async (headers: Record<string, string>, until: number) => {
        const abort = new AbortController()
        const response = await fetch(`${server.url}/admin/v1/tenants/acme/audit/stream`, {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers },
          signal: abort.signal,
        })
        expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
        const seqs: number[] = []
        let buffer = ''
        const decoder = new TextDecoder()
        for await (const chunk of response.body ?? []) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true })
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const id = /^id: (\d+)$/m.exec(block)?.[1]
            const data = /^data: (.*)$/m.exec(block)?.[1]
            if (id === undefined || data === undefined) continue
            expect((JSON.parse(data) as { seq: number }).seq).toBe(Number(id))
            seqs.push(Number(id))
          }
          if (seqs.length >= until) break
        }
        abort.abort()
        return seqs
      }
      const newest = async () => {
        const page = await fetch(`${server.url}/admin/v1/tenants/acme/audit?limit=1`, {
          headers: { authorization: `Bearer ${token}` },
        }).then(json<{ items: { seq: number }[] }>)
        return page.items[0]?.seq ?? 0
      }
      const upTo = (from: number, to: number) =>
        Array.from({ length: to - from + 1 }, (_, i) => from + i)
      const head = await newest()
      expect(await read({}, head)).toEqual(upTo(1, head))
      // Written while nobody listens: the next connection starts right after what it saw.
      await writeRecords(server, 2)
      const later = await newest()
      expect(await read({ 'last-event-id': String(head) }, later - head)).toEqual(
        upTo(head + 1, later),
      )
      // And a record written while a client listens arrives (the stream looks every second).
      const live = read({ 'last-event-id': String(later) }, 1)
      await writeRecords(server, 1)
      expect(await live).toEqual([later + 1])

      // Without SSE: JSON lines after a number, and a long poll that waits for the next one.
      const lines = async (query: string) => {
        const response = await fetch(`${server.url}/admin/v1/tenants/acme/audit/stream?${query}`, {
          headers: { authorization: `Bearer ${token}` },
        })
        expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/)
        return (await response.text())
          .trimEnd()
          .split('\n')
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { seq: number }).seq)
      }
      expect(await lines(`after=${String(later - 1)}`)).toEqual([later, later + 1])
      const polled = lines(`after=${String(later + 1)}&wait=10`)
      await writeRecords(server, 1)
      expect(await polled).toEqual([later + 2])

      // `tokenmint audit tail` follows the same stream: from the start here, as JSON lines.
      const tail = spawn(process.execPath, [BIN, 'audit', 'tail', '--after', '0', '--json'], {
        env: cliEnvFor(server),
      })
      const tailed = await new Promise<number[]>((resolve, reject) => {
        let out = ''
        tail.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          const seqs = out
            .split('\n')
            .filter(Boolean)
            .map((line) => (JSON.parse(line) as { seq: number }).seq)
          if (seqs.length >= later + 2) resolve(seqs)
        })
        tail.on('exit', (code) => {
          reject(new Error(`audit tail exited with ${String(code)}`))
        })
      }).finally(() => tail.kill())
      expect(tailed.slice(0, later + 2)).toEqual(upTo(1, later + 2))
    } finally {
      await server.stop()
    }
  })
})
