import { exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ROOT_ADMIN_SCOPES, TENANT_ADMIN_SCOPES } from '../../src/domain/admin-api.js'
import { ConsoleClient } from '../support/console-client.js'
import { createApi, createApplication, postForm } from '../support/fixtures.js'
import { startLocalIssuers, type LocalIssuers } from '../support/oidc-issuer.js'
import { startServer, type TestServer } from '../support/server.js'

const ADMIN = 'urn:tokenmint:admin'
const EVERY_ADMIN_SCOPE = [...TENANT_ADMIN_SCOPES, ...ROOT_ADMIN_SCOPES]
const APPS = '/admin/v1/tenants/acme/applications'

/**
 * Finding 1 of the outside probe: a console `admin` granted itself admin API scopes through an
 * application and became owner. Roles never widen: nobody grants, holds or obtains more
 * authority than they have, whichever way they ask (console session, API token, rotate, update).
 */
describe('admin API: roles never widen (finding 1, privilege escalation)', () => {
  let server: TestServer
  const consoles: Record<'owner' | 'admin' | 'viewer', ConsoleClient> = {} as never
  let ownersApp: string
  let plainApp: string
  let issuers: LocalIssuers

  async function tokenFor(app: { clientId: string; clientSecret: string }): Promise<string> {
    const { status, body } = await postForm(server.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.clientSecret,
      audience: ADMIN,
    })
    expect(status).toBe(200)
    return body['access_token'] as string
  }

  function withToken(token: string) {
    return (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
  }

  async function applicationCount(): Promise<number> {
    const response = await server.admin_('GET', `${APPS}?limit=200`)
    return ((await response.json()) as { items: unknown[] }).items.length
  }

  beforeAll(async () => {
    issuers = await startLocalIssuers()
    server = await startServer({
      env: { TOKENMINT_OUTBOUND_CA_FILE: issuers.caFile, TOKENMINT_OUTBOUND_ALLOW: '127.0.0.1' },
    })
    if (server.owner === undefined) throw new Error('first start creates an owner')
    consoles.owner = new ConsoleClient(server)
    expect((await consoles.owner.signIn('acme', 'owner', server.owner.password)).status).toBe(200)
    for (const role of ['admin', 'viewer'] as const) {
      const created = await consoles.owner.call('POST', '/admin/v1/tenants/acme/administrators', {
        username: `a-${role}`,
        role,
      })
      expect(created.status).toBe(201)
      const { password } = (await created.json()) as { password: string }
      consoles[role] = new ConsoleClient(server)
      expect((await consoles[role].signIn('acme', `a-${role}`, password)).status).toBe(200)
    }
    const api = await createApi(server)
    plainApp = (
      await createApplication(server, { grants: [{ audience: api.audience, scopes: [] }] })
    ).clientId
    ownersApp = (
      await createApplication(server, {
        grants: [{ audience: ADMIN, scopes: ['create:administrators'] }],
      })
    ).clientId
  })
  afterAll(async () => {
    await server.stop()
    await issuers.close()
  })

  it('ends the probe chain with 403 at its first step, for admin and viewer alike', async () => {
    const before = await applicationCount()
    for (const role of ['admin', 'viewer'] as const) {
      const response = await consoles[role].call('POST', APPS, {
        name: 'ci-helper',
        grants: [{ audience: ADMIN, scopes: ['create:administrators'] }],
      })
      expect(response.status, role).toBe(403)
      const body = (await response.json()) as { detail?: string; title?: string }
      expect(JSON.stringify(body)).not.toContain('client_secret')
    }
    expect(await applicationCount()).toBe(before)
  })

  it('lets only an owner grant each admin API scope from the console, on create and update', async () => {
    for (const scope of EVERY_ADMIN_SCOPE) {
      for (const role of ['owner', 'admin', 'viewer'] as const) {
        const created = await consoles[role].call('POST', APPS, {
          name: `grant-${role}-${scope}`,
          grants: [{ audience: ADMIN, scopes: [scope] }],
        })
        expect(created.status, `${role} creates with ${scope}`).toBe(role === 'owner' ? 201 : 403)
        const updated = await consoles[role].call('PATCH', `${APPS}/${plainApp}`, {
          grants: [{ audience: ADMIN, scopes: [scope] }],
        })
        expect(updated.status, `${role} updates to ${scope}`).toBe(role === 'owner' ? 200 : 403)
        if (role === 'owner') {
          // Back to no admin scopes, so the next role starts from a plain application.
          const reset = await consoles.owner.call('PATCH', `${APPS}/${plainApp}`, {
            grants: [],
          })
          expect(reset.status).toBe(200)
        }
      }
    }
    const detail = await server.admin_('GET', `${APPS}/${plainApp}`)
    expect(((await detail.json()) as { grants: unknown[] }).grants).toEqual([])
  })

  it('lets an API token grant only the admin scopes it carries, on create and update', async () => {
    const carried = ['read:applications', 'create:applications', 'update:applications', 'read:apis']
    const limited = await createApplication(server, {
      grants: [{ audience: ADMIN, scopes: carried }],
    })
    const call = withToken(await tokenFor(limited))
    for (const scope of EVERY_ADMIN_SCOPE) {
      const allowed = carried.includes(scope)
      const created = await call('POST', APPS, {
        name: `token-grant-${scope}`,
        grants: [{ audience: ADMIN, scopes: [scope] }],
      })
      expect(created.status, `token creates with ${scope}`).toBe(allowed ? 201 : 403)
      if (!allowed) {
        const problem = (await created.json()) as { detail: string }
        expect(problem.detail).toContain(scope)
      }
      const updated = await call('PATCH', `${APPS}/${plainApp}`, {
        grants: [{ audience: ADMIN, scopes: [scope] }],
      })
      expect(updated.status, `token updates to ${scope}`).toBe(allowed ? 200 : 403)
    }
    // The application this token granted read:apis to is now out of its reach only if wider.
    const wider = await call('PATCH', `${APPS}/${ownersApp}`, { name: 'taken-over' })
    expect(wider.status).toBe(403)
  })

  it('refuses rotating, revoking, deleting or editing an application holding scopes the caller lacks', async () => {
    const limited = await createApplication(server, {
      grants: [{ audience: ADMIN, scopes: ['update:applications', 'delete:applications'] }],
    })
    const token = withToken(await tokenFor(limited))
    const attempts = (clientId: string) =>
      [
        ['POST', `${APPS}/${clientId}/rotate-secret`, { overlap_seconds: 0 }],
        ['POST', `${APPS}/${clientId}/end-overlap`, undefined],
        ['PATCH', `${APPS}/${clientId}`, { token_lifetime_seconds: 600 }],
        ['POST', `${APPS}/${clientId}/revoke`, undefined],
        ['DELETE', `${APPS}/${clientId}`, undefined],
      ] as const
    for (const clientId of [server.admin.clientId, ownersApp]) {
      for (const [method, path, body] of attempts(clientId)) {
        expect((await consoles.admin.call(method, path, body)).status, `admin ${path}`).toBe(403)
        expect((await consoles.viewer.call(method, path, body)).status, `viewer ${path}`).toBe(403)
        expect((await token(method, path, body)).status, `token ${path}`).toBe(403)
      }
    }
    // The CLI's credentials still work: nothing was rotated, revoked or deleted.
    expect(await tokenFor(server.admin)).toMatch(/^ey/)
  })

  it('refuses adding a key to (or removing one from) an application holding scopes the caller lacks, by every road', async () => {
    const jwk = async () => {
      const { publicKey } = await generateKeyPair('ES256', { extractable: true })
      return { ...(await exportJWK(publicKey)), kid: `k-${Math.random().toString(36).slice(2)}` }
    }
    const first = await jwk()
    // An owner's private_key_jwt application holding an admin scope: a key added by someone else
    // would let them authenticate as it.
    const created = await consoles.owner.call('POST', APPS, {
      name: 'owners-key-app',
      jwks: { keys: [first] },
      grants: [{ audience: ADMIN, scopes: ['create:administrators'] }],
    })
    expect(created.status).toBe(201)
    const keyApp = ((await created.json()) as { client_id: string }).client_id
    const limited = await createApplication(server, {
      grants: [{ audience: ADMIN, scopes: ['update:applications', 'read:applications'] }],
    })
    const roads = {
      admin: (m: string, p: string, b?: unknown) => consoles.admin.call(m, p, b),
      viewer: (m: string, p: string, b?: unknown) => consoles.viewer.call(m, p, b),
      token: withToken(await tokenFor(limited)),
    }
    const stranger = await jwk()
    const requests = await Promise.all(
      Object.entries(roads).flatMap(([road, call]) => [
        call('POST', `${APPS}/${keyApp}/keys`, { jwks: { keys: [stranger] } }).then((r) => [
          `${road} add`,
          r.status,
        ]),
        call('DELETE', `${APPS}/${keyApp}/keys/${first.kid}`).then((r) => [
          `${road} remove`,
          r.status,
        ]),
      ]),
    )
    for (const [what, status] of requests) expect(status, String(what)).toBe(403)
    const view = (await (await server.admin_('GET', `${APPS}/${keyApp}`)).json()) as {
      keys: { kid: string }[]
    }
    expect(view.keys.map((k) => k.kid)).toEqual([first.kid])
    // The owner may, and a viewer may not touch even a plain key application.
    expect(
      (await consoles.owner.call('POST', `${APPS}/${keyApp}/keys`, { jwks: { keys: [stranger] } }))
        .status,
    ).toBe(201)
    const plainKeyApp = await consoles.admin.call('POST', APPS, {
      name: 'plain-key-app',
      jwks: { keys: [await jwk()] },
    })
    expect(plainKeyApp.status).toBe(201)
    const plainId = ((await plainKeyApp.json()) as { client_id: string }).client_id
    const byViewer = await consoles.viewer.call('POST', `${APPS}/${plainId}/keys`, {
      jwks: { keys: [await jwk()] },
    })
    expect(byViewer.status).toBe(403)
    const byAdmin = await consoles.admin.call('POST', `${APPS}/${plainId}/keys`, {
      jwks: { keys: [await jwk()] },
    })
    expect(byAdmin.status).toBe(201)
  })

  it('refuses adding a trust policy to (or removing one from) an application holding scopes the caller lacks, by every road', async () => {
    // A trust policy is a credential: whoever adds one for a workload they control can
    // authenticate as the application. The owner's federated application holds an admin scope.
    const ci = await issuers.issuer('escalation-ci')
    const trusted = {
      issuer: ci.url,
      audience: 'tokenmint',
      subject: 'repo:acme/ops:ref:refs/heads/main',
    }
    const created = await consoles.owner.call('POST', APPS, {
      name: 'owners-federated-app',
      trust_policies: [trusted],
      grants: [{ audience: ADMIN, scopes: ['create:administrators'] }],
    })
    expect(created.status, await created.clone().text()).toBe(201)
    const body = (await created.json()) as { client_id: string; trust_policies: { id: string }[] }
    const federated = body.client_id
    const policyId = body.trust_policies[0]?.id ?? ''
    const limited = await createApplication(server, {
      grants: [{ audience: ADMIN, scopes: ['update:applications', 'read:applications'] }],
    })
    const roads = {
      admin: (m: string, p: string, b?: unknown) => consoles.admin.call(m, p, b),
      viewer: (m: string, p: string, b?: unknown) => consoles.viewer.call(m, p, b),
      token: withToken(await tokenFor(limited)),
    }
    const mine = { ...trusted, subject: 'repo:attacker/repo:ref:refs/heads/main' }
    const fetchesBefore = issuers.fetches.get('escalation-ci') ?? 0
    const requests = await Promise.all(
      Object.entries(roads).flatMap(([road, call]) => [
        call('POST', `${APPS}/${federated}/trust-policies`, mine).then((r) => [
          `${road} add`,
          r.status,
        ]),
        call('DELETE', `${APPS}/${federated}/trust-policies/${policyId}`).then((r) => [
          `${road} remove`,
          r.status,
        ]),
      ]),
    )
    for (const [what, status] of requests) expect(status, String(what)).toBe(403)
    // Refused before the issuer is fetched: a caller without the right cannot make us fetch.
    expect(issuers.fetches.get('escalation-ci') ?? 0).toBe(fetchesBefore)
    const view = (await (await server.admin_('GET', `${APPS}/${federated}`)).json()) as {
      trust_policies: { subject: string }[]
    }
    expect(view.trust_policies.map((p) => p.subject)).toEqual([trusted.subject])
    // Nor can an admin or viewer make their own federated application with the admin scope.
    for (const role of ['admin', 'viewer'] as const) {
      const own = await consoles[role].call('POST', APPS, {
        name: 'my-federated-app',
        trust_policies: [mine],
        grants: [{ audience: ADMIN, scopes: ['create:administrators'] }],
      })
      expect(own.status, role).toBe(403)
    }
    // The owner may; an admin may on an application without admin scopes; a viewer never.
    expect(
      (await consoles.owner.call('POST', `${APPS}/${federated}/trust-policies`, mine)).status,
    ).toBe(201)
    const plain = await consoles.admin.call('POST', APPS, {
      name: 'plain-federated-app',
      trust_policies: [trusted],
    })
    expect(plain.status).toBe(201)
    const plainId = ((await plain.json()) as { client_id: string }).client_id
    expect(
      (await consoles.viewer.call('POST', `${APPS}/${plainId}/trust-policies`, mine)).status,
    ).toBe(403)
    expect(
      (await consoles.admin.call('POST', `${APPS}/${plainId}/trust-policies`, mine)).status,
    ).toBe(201)
  })

  it('lets an owner rotate the built-in admin application, warning that the CLI depends on it', async () => {
    const rotated = await consoles.owner.call(
      'POST',
      `${APPS}/${server.admin.clientId}/rotate-secret`,
      { overlap_seconds: 3600 },
    )
    expect(rotated.status).toBe(200)
    const body = (await rotated.json()) as { warnings?: string[] }
    expect(body.warnings?.join(' ')).toMatch(/tokenmint CLI/)
    const view = await server.admin_('GET', `${APPS}/${server.admin.clientId}`)
    expect(((await view.json()) as { built_in: boolean }).built_in).toBe(true)
  })

  it('never lets a password-grant user hold or obtain admin API scopes', async () => {
    for (const call of [
      (path: string, body: unknown) => consoles.owner.call('POST', path, body),
      (path: string, body: unknown) => server.admin_('POST', path, body),
    ]) {
      const response = await call('/admin/v1/tenants/acme/users', {
        username: `u-${Math.random().toString(36).slice(2)}`,
        password: 'correct horse battery staple 1',
        grants: [{ audience: ADMIN, scopes: ['read:applications'] }],
      })
      expect(response.status).toBe(400)
    }
    // An application with both the password grant and admin scopes still never mints one.
    const scanner = await createApplication(server, {
      grant_types: ['password'],
      grants: [{ audience: ADMIN, scopes: ['read:applications'] }],
    })
    const user = await server.admin_('POST', '/admin/v1/tenants/acme/users', {
      username: 'scanner-user',
      password: 'correct horse battery staple 1',
    })
    expect(user.status).toBe(201)
    const { status, body } = await postForm(server.tokenEndpoint, {
      grant_type: 'password',
      client_id: scanner.clientId,
      client_secret: scanner.clientSecret,
      username: 'scanner-user',
      password: 'correct horse battery staple 1',
      audience: ADMIN,
    })
    expect(status).toBe(400)
    expect(body['error']).toBe('invalid_target')
  })

  it('lets only a caller holding every scope of a role create or change an administrator of it', async () => {
    const hr = await createApplication(server, {
      grants: [
        {
          audience: ADMIN,
          scopes: ['read:administrators', 'create:administrators', 'update:administrators'],
        },
      ],
    })
    const call = withToken(await tokenFor(hr))
    for (const role of ['owner', 'admin', 'viewer']) {
      const response = await call('POST', '/admin/v1/tenants/acme/administrators', {
        username: `hr-${role}`,
        role,
      })
      expect(response.status, role).toBe(403)
    }
    const list = await server.admin_('GET', '/admin/v1/tenants/acme/administrators')
    const items = ((await list.json()) as { items: { id: string; username: string }[] }).items
    expect(items.map((a) => a.username)).not.toContain('hr-owner')
    const ownerId = items.find((a) => a.username === 'owner')?.id
    const takeover = await call('PATCH', `/admin/v1/tenants/acme/administrators/${ownerId}`, {
      password: 'a brand new password for me 1',
    })
    expect(takeover.status).toBe(403)
    const full = withToken(await server.adminToken())
    const made = await full('POST', '/admin/v1/tenants/acme/administrators', {
      username: 'second-owner',
      role: 'owner',
    })
    expect(made.status).toBe(201)
  })
})
