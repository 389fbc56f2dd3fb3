import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { generateClientSecret } from '../../src/crypto/secret-format.js'
import {
  basic,
  createApi,
  createApplication,
  postForm,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { storageDrivers } from '../support/databases.js'
import { startServer, temporaryDir, type TestServer } from '../support/server.js'

/** A key pair standing in for GitHub's secret-scanning key, published in GitHub's JSON format. */
function scanningKey(identifier: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return {
    identifier,
    privateKey,
    entry: {
      key_identifier: identifier,
      key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      is_current: true,
    },
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** A look-alike: the right prefix and length, a wrong checksum. */
function badChecksum(secret: string): string {
  const last = secret.at(-1) === 'a' ? 'b' : 'a'
  return secret.slice(0, -1) + last
}

describe.each(storageDrivers)('leak response (%s)', (_driver, openDatabase) => {
  let server: TestServer
  let cleanup: () => Promise<void>
  let api: ApiFixture
  const github = scanningKey('github-key-1')
  const stranger = scanningKey('github-key-1')

  beforeAll(async () => {
    const dir = temporaryDir('tokenmint-leaks-')
    const keysFile = path.join(dir, 'github-keys.json')
    fs.writeFileSync(keysFile, JSON.stringify({ public_keys: [github.entry] }))
    const database = await openDatabase()
    cleanup = database.cleanup
    server = await startServer({
      ...(database.databaseUrl !== undefined && { databaseUrl: database.databaseUrl }),
      env: { TOKENMINT_LEAKS_GITHUB_KEYS: keysFile },
    })
    api = await createApi(server)
  })
  afterAll(async () => {
    await server.stop()
    await cleanup()
  })

  const app = () =>
    createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
  const mint = (a: ApplicationFixture) =>
    postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic(a.clientId, a.clientSecret) },
    )

  function alert(body: unknown, key: { identifier: string; privateKey: KeyObject } = github) {
    const raw = JSON.stringify(body)
    return fetch(`${server.url}/leaks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'github-public-key-identifier': key.identifier,
        'github-public-key-signature': sign('sha256', Buffer.from(raw), key.privateKey).toString(
          'base64',
        ),
      },
      body: raw,
    })
  }

  async function introspect(token: string): Promise<boolean> {
    const gateway = await createApplication(server, {})
    await server.admin_(
      'PATCH',
      `/admin/v1/tenants/${server.tenant}/applications/${gateway.clientId}`,
      {
        can_introspect: true,
      },
    )
    const { body } = await postForm(
      `${server.issuer}/oauth/introspect`,
      { token },
      {
        authorization: basic(gateway.clientId, gateway.clientSecret),
      },
    )
    return body['active'] === true
  }

  it('revokes a secret GitHub reports with a valid signature, and its tokens; a look-alike is a false positive', async () => {
    const leaked = await app()
    const issued = await mint(leaked)
    expect(issued.status).toBe(200)
    const token = issued.body['access_token'] as string
    expect(await introspect(token)).toBe(true)
    const lookAlike = badChecksum(generateClientSecret())
    const where = 'https://github.com/octocat/Hello-World/blob/12345/config.env'
    const response = await alert([
      {
        token: leaked.clientSecret,
        type: 'tokenmint_client_secret',
        url: where,
        source: 'content',
      },
      { token: lookAlike, type: 'tokenmint_client_secret', url: where, source: 'content' },
    ])
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(text).not.toContain(leaked.clientSecret)
    expect(JSON.parse(text)).toEqual([
      {
        token_hash: sha256(leaked.clientSecret),
        token_type: 'tokenmint_client_secret',
        label: 'true_positive',
      },
      {
        token_hash: sha256(lookAlike),
        token_type: 'tokenmint_client_secret',
        label: 'false_positive',
      },
    ])
    // The secret no longer authenticates, and the token minted with it is revoked.
    const after = await mint(leaked)
    expect(after.status).toBe(401)
    expect(after.body['error']).toBe('invalid_client')
    expect(await introspect(token)).toBe(false)
    // The application is shown with the leak, where it was found and what was done.
    const leaks = (await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/leaks?client_id=${leaked.clientId}`,
      )
    ).json()) as { items: Record<string, unknown>[] }
    expect(leaks.items).toHaveLength(1)
    expect(leaks.items[0]).toMatchObject({
      client_id: leaked.clientId,
      url: where,
      source: 'github',
      action: 'revoke_secret',
      tokens_revoked: 1,
      reports: 1,
    })
    expect(JSON.stringify(leaks)).not.toContain(leaked.clientSecret)
    const audit = await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/audit?client_id=${leaked.clientId}&type=application.secret_leaked`,
      )
    ).text()
    expect(audit).toContain(where)
    expect(audit).not.toContain(leaked.clientSecret)
    // GitHub sends the same secret again: still a true positive, counted, nothing else changes.
    const again = (await (
      await alert([{ token: leaked.clientSecret, type: 't', url: where }])
    ).json()) as {
      label: string
    }[]
    expect(again[0]?.label).toBe('true_positive')
  })

  it('refuses a forged, unsigned or malformed alert and changes nothing', async () => {
    const victim = await app()
    const body = [{ token: victim.clientSecret, type: 'tokenmint_client_secret', url: 'https://x' }]
    // Signed by another key under the same identifier.
    expect((await alert(body, stranger)).status).toBe(401)
    // A key identifier GitHub never published.
    expect((await alert(body, { ...github, identifier: 'made-up' })).status).toBe(401)
    // No signature at all.
    const unsigned = await fetch(`${server.url}/leaks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(unsigned.status).toBe(401)
    // A valid signature over bytes that were then changed.
    const raw = JSON.stringify(body)
    const tampered = await fetch(`${server.url}/leaks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'github-public-key-identifier': github.identifier,
        'github-public-key-signature': sign('sha256', Buffer.from(raw), github.privateKey).toString(
          'base64',
        ),
      },
      body: raw.replace('https://x', 'https://y'),
    })
    expect(tampered.status).toBe(401)
    // Signed but not the documented shape.
    expect((await alert({ token: victim.clientSecret })).status).toBe(400)
    expect((await mint(victim)).status).toBe(200)
  })

  it('takes reports by hand for its own tenant only, with the tenant policy deciding what is revoked', async () => {
    const reported = await app()
    const report = (secret: string, url?: string) =>
      server.admin_('POST', `/admin/v1/tenants/${server.tenant}/leaks`, { secret, url })
    // Not a Tokenmint secret: a clear 400 that does not repeat the value.
    const wrong = await report(badChecksum(reported.clientSecret))
    expect(wrong.status).toBe(400)
    expect(await wrong.text()).not.toContain(reported.clientSecret.slice(4, 40))
    // A well-formed secret that does not exist is unknown, and so is another tenant's.
    expect(await (await report(generateClientSecret())).json()).toEqual({ outcome: 'unknown' })
    const beta = await server.admin_('POST', '/admin/v1/tenants', { id: 'leak-beta' })
    expect(beta.status).toBe(201)
    const betaAdmin = ((await beta.json()) as { admin: { client_secret: string } }).admin
    expect(await (await report(betaAdmin.client_secret)).json()).toEqual({ outcome: 'unknown' })
    // The policy: revoke the whole application.
    const applied = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/config:apply`, {
      config: { version: 1, tenant: { leak_response: 'revoke_application' } },
    })
    expect(applied.status).toBe(200)
    const result = await report(reported.clientSecret, 'file:///srv/app/.env#L3')
    expect(await result.json()).toMatchObject({
      outcome: 'revoked_application',
      client_id: reported.clientId,
    })
    const shown = (await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/applications/${reported.clientId}`,
      )
    ).json()) as { status: string }
    expect(shown.status).toBe('revoked')
    expect((await report(reported.clientSecret)).status).toBe(200)
    expect(await (await report(reported.clientSecret)).json()).toMatchObject({
      outcome: 'already_revoked',
    })
    await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/config:apply`, {
      config: { version: 1, tenant: { leak_response: 'revoke_secret' } },
    })
  })

  it('takes down only an old secret whose overlap ended, never the live application that replaced it', async () => {
    await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/config:apply`, {
      config: { version: 1, tenant: { leak_response: 'revoke_application' } },
    })
    try {
      const app = await createApplication(server, {
        grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
      })
      const rotated = await server.admin_(
        'POST',
        `/admin/v1/tenants/${server.tenant}/applications/${app.clientId}/rotate-secret`,
        { overlap_seconds: 1 },
      )
      const fresh = ((await rotated.json()) as { client_secret: string }).client_secret
      // The overlap ends; the old secret no longer authenticates, but someone still has it.
      await new Promise((resolve) => setTimeout(resolve, 1_200))
      expect((await mint(app)).status).toBe(401)
      const result = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/leaks`, {
        secret: app.clientSecret,
      })
      expect(await result.json()).toMatchObject({
        outcome: 'revoked_secret',
        client_id: app.clientId,
      })
      const shown = (await (
        await server.admin_(
          'GET',
          `/admin/v1/tenants/${server.tenant}/applications/${app.clientId}`,
        )
      ).json()) as { status: string }
      expect(shown.status).toBe('active')
      expect((await mint({ ...app, clientSecret: fresh })).status).toBe(200)
    } finally {
      await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/config:apply`, {
        config: { version: 1, tenant: { leak_response: 'revoke_secret' } },
      })
    }
  })

  it('revokes a secret reported from many places at once exactly once', async () => {
    const leaked = await app()
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        server
          .admin_('POST', `/admin/v1/tenants/${server.tenant}/leaks`, {
            secret: leaked.clientSecret,
            url: `https://example.com/${String(i)}`,
          })
          .then((r) => r.json() as Promise<{ outcome: string }>),
      ),
    )
    const outcomes = answers.map((a) => a.outcome).sort()
    expect(outcomes.filter((o) => o === 'revoked_secret')).toHaveLength(1)
    expect(outcomes.filter((o) => o === 'already_revoked')).toHaveLength(5)
    const leaks = (await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/leaks?client_id=${leaked.clientId}`,
      )
    ).json()) as { items: { reports: number }[] }
    expect(leaks.items[0]?.reports).toBe(6)
  })
})
