import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { startServer, temporaryDir, type TestServer } from '../support/server.js'

/** A 4 MiB tmpfs: a disk that really fills up. Returns why not, if this machine will not mount. */
function mountSmallDisk(dir: string): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root'
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'pipe' })
    return undefined
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim()
    return `mount -t tmpfs is not permitted here (${stderr || String(error)})`
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' })
  } catch {
    // Still busy (a server that did not stop): detach it now, free it once closed.
    execFileSync('umount', ['-l', dir])
  }
}

/** Appends to `file` until the file system answers ENOSPC (bounded: the disk is 4 MiB). */
function fillDisk(file: string): void {
  const fd = fs.openSync(file, 'a')
  try {
    for (const size of [1 << 20, 64 << 10, 4 << 10, 512]) {
      try {
        for (let i = 0; i < 8; i++) fs.writeSync(fd, Buffer.alloc(size, 1))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
      }
    }
  } finally {
    fs.closeSync(fd)
  }
}

interface LogLine {
  level: number
  msg: string
  err?: { code?: string; message?: string; stack?: string }
}

describe('SQLite on a full disk', () => {
  let dataDir: string
  let filler: string
  let skipReason: string | undefined = 'not mounted yet'
  const logs: LogLine[] = []
  let server: TestServer
  let app: ApplicationFixture
  let adminToken: string
  const acknowledged = { audiences: [] as string[], jtis: [] as string[] }

  const mint = () =>
    postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic(app.clientId, app.clientSecret) },
    )
  // The admin token is minted before the disk fills: minting one writes its audit record.
  const createApiWith = (audience: string) =>
    fetch(`${server.url}/admin/v1/tenants/${server.tenant}/apis`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ audience, name: 'Filler API', scopes: ['read:things'] }),
    })
  const readyz = async () => {
    const response = await fetch(`${server.url}/readyz`)
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  beforeAll(async () => {
    dataDir = temporaryDir('tokenmint-full-')
    filler = path.join(dataDir, 'filler')
    skipReason = mountSmallDisk(dataDir)
    if (skipReason !== undefined) return
    server = await startServer({
      dataDir,
      logDestination: {
        write: (line: string) => {
          logs.push(JSON.parse(line) as LogLine)
        },
      },
    })
    const api = await createApi(server)
    acknowledged.audiences.push(api.audience)
    app = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const token = await mint()
    expect(token.status).toBe(200)
    acknowledged.jtis.push(decodeJwt(token.body['access_token'] as string).jti!)
    adminToken = await server.adminToken()
  })
  afterAll(async () => {
    try {
      // Undefined when skipped, or when beforeAll failed part way.
      await (server as TestServer | undefined)?.stop()
    } finally {
      if (skipReason === undefined) unmount(dataDir)
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('answers 503 "storage is full" to writes, is not ready, and logs SQLITE_FULL once', async (context) => {
    context.skip(skipReason !== undefined, skipReason)
    // SQLite reuses its WAL file's space after a checkpoint, so some writes still commit on a
    // full disk: keep writing until one fails. Each one that returned 201 must survive.
    let refused: Response | undefined
    for (let i = 0; i < 300 && refused === undefined; i++) {
      fillDisk(filler)
      const audience = `https://full-${i}.example.com`
      const response = await createApiWith(audience)
      if (response.status === 201) acknowledged.audiences.push(audience)
      else refused = response
    }

    expect(refused?.status).toBe(503)
    expect(refused?.headers.get('content-type')).toContain('application/problem+json')
    expect(refused?.headers.get('retry-after')).toBeTruthy()
    const problem = (await refused?.json()) as Record<string, unknown>
    expect(problem).toEqual({
      type: 'about:blank',
      title: 'Service unavailable',
      status: 503,
      detail: 'storage is full, so changes cannot be saved right now; try again later',
      error: 'temporarily_unavailable',
    })
    expect((await createApiWith('https://full-again.example.com')).status).toBe(503)

    const ready = await readyz()
    expect(ready.status).toBe(503)
    expect(ready.body).toMatchObject({ status: 'unavailable', storage: 'unwritable' })

    // A token's audit record is small and may still fit, like the writes above; a token is
    // only ever returned once its record is committed.
    let token = await mint()
    for (let i = 0; i < 1000 && token.status === 200; i++) {
      acknowledged.jtis.push(decodeJwt(token.body['access_token'] as string).jti!)
      token = await mint()
    }
    expect(token.status).toBe(503)
    expect(token.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'the token could not be recorded; try again shortly',
    })
    expect((await readyz()).status).toBe(503)

    const errors = logs.filter((line) => line.level >= 50)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({
      msg: expect.stringContaining('storage is unavailable'),
      err: { code: 'SQLITE_FULL', message: 'database or disk is full' },
    })
    expect(JSON.stringify(logs)).not.toContain('cannot rollback')
    const metrics = await (await fetch(`${server.metricsUrl!}/metrics`)).text()
    expect(metrics).toMatch(/^tokenmint_storage_unavailable_total ([3-9]|\d\d+)$/m)
    expect(metrics).toMatch(/^tokenmint_storage_up 0$/m)
  })

  it('takes writes and is ready again once space is freed, without a restart, having lost nothing acknowledged', async (context) => {
    context.skip(skipReason !== undefined, skipReason)
    fs.rmSync(filler)

    const after = await createApiWith('https://after-full.example.com')
    expect(after.status).toBe(201)
    acknowledged.audiences.push('https://after-full.example.com')
    let ready = await readyz()
    // The probe write runs at most once a second.
    for (let i = 0; i < 40 && ready.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      ready = await readyz()
    }
    expect(ready).toEqual({ status: 200, body: expect.objectContaining({ status: 'ready' }) })
    const token = await mint()
    expect(token.status).toBe(200)
    acknowledged.jtis.push(decodeJwt(token.body['access_token'] as string).jti!)
    expect(logs.filter((line) => line.msg === 'storage is available again')).toHaveLength(1)
    expect(logs.filter((line) => line.level >= 50)).toHaveLength(1)

    // Everything acknowledged is on disk: a fresh process on the same data dir finds it.
    const admin = server.admin
    await server.stop()
    server = await startServer({ dataDir, admin })
    const apis = (await (
      await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/apis`)
    ).json()) as { items: { audience: string }[] }
    expect(apis.items.map((api) => api.audience)).toEqual(
      expect.arrayContaining(acknowledged.audiences),
    )
    const audit = (await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/audit?client_id=${app.clientId}&type=token.issued`,
      )
    ).json()) as { items: { data: { jti: string } }[] }
    expect(audit.items.map((event) => event.data.jti)).toEqual(
      expect.arrayContaining(acknowledged.jtis),
    )
  })
})
