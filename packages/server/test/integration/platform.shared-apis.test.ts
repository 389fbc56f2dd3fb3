import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { basic, postForm } from '../support/fixtures.js'
import { storageDrivers } from '../support/databases.js'
import { CLI, cliEnvFor } from '../support/serve-process.js'
import { startServer, type TestServer } from '../support/server.js'

const run = promisify(execFile)

interface Tenant {
  id: string
  externalId: string | undefined
  issuer: string
  admin: { clientId: string; clientSecret: string }
}

let counter = 0
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++counter}`

describe.each(storageDrivers)(
  'platform mode: shared APIs and tenant-aware tokens (%s)',
  (_driver, openDatabase) => {
    let server: TestServer
    let cleanup: () => Promise<void>
    let a: Tenant
    let b: Tenant

    async function provision(id: string, body: Record<string, unknown> = {}): Promise<Tenant> {
      const response = await server.admin_('POST', '/admin/v1/tenants', { id, ...body })
      expect(response.status, await response.clone().text()).toBe(201)
      const created = (await response.json()) as {
        tenant: { id: string; issuer: string }
        admin: { client_id: string; client_secret: string }
      }
      return {
        id: created.tenant.id,
        externalId: body['external_id'] as string | undefined,
        issuer: created.tenant.issuer,
        admin: { clientId: created.admin.client_id, clientSecret: created.admin.client_secret },
      }
    }

    async function tokenOf(tenant: Tenant, clientId: string, clientSecret: string, extra = {}) {
      return postForm(
        `${tenant.issuer}/oauth/token`,
        { grant_type: 'client_credentials', ...extra },
        { authorization: basic(clientId, clientSecret) },
      )
    }

    /** The tenant's own admin API, with its own admin credentials (never the root's). */
    async function as(tenant: Tenant, method: string, path: string, body?: unknown) {
      const minted = await tokenOf(tenant, tenant.admin.clientId, tenant.admin.clientSecret, {
        audience: 'urn:tokenmint:admin',
      })
      expect(minted.status).toBe(200)
      return fetch(`${server.url}/admin/v1/tenants/${tenant.id}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${String(minted.body['access_token'])}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
    }

    const root = (method: string, path: string, body?: unknown) =>
      server.admin_(method, `/admin/v1/tenants/${server.tenant}${path}`, body)

    async function shareApi(body: Record<string, unknown>) {
      const response = await root('POST', '/apis', {
        audience: `https://${unique('vendor')}.example.com`,
        name: 'Vendor API',
        scopes: ['read:findings', 'write:findings'],
        shared_with: 'all',
        ...body,
      })
      expect(response.status, await response.clone().text()).toBe(201)
      return (await response.json()) as { id: string; audience: string }
    }

    async function appIn(tenant: Tenant, body: Record<string, unknown>) {
      const response = await as(tenant, 'POST', '/applications', { name: unique('app'), ...body })
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    }

    beforeAll(async () => {
      const database = await openDatabase()
      cleanup = database.cleanup
      server = await startServer({
        ...(database.databaseUrl !== undefined && { databaseUrl: database.databaseUrl }),
      })
      a = await provision(unique('cust-a'), {
        external_id: unique('acct'),
        metadata: { plan: 'enterprise' },
      })
      b = await provision(unique('cust-b'), { external_id: unique('acct') })
    })
    afterAll(async () => {
      await server.stop()
      await cleanup()
    })

    it("puts the tenant, and the tenant fields a shared API asks for, in every tenant's tokens", async () => {
      const api = await shareApi({
        tenant_claims: { account_id: 'external_id', plan: 'metadata.plan' },
      })
      const listed = (await (await as(a, 'GET', '/apis')).json()) as {
        items: { audience: string; shared: boolean; shared_with: unknown; read_only: boolean }[]
      }
      expect(listed.items.find((x) => x.audience === api.audience)).toMatchObject({
        shared: true,
        shared_with: null,
        read_only: true,
      })
      for (const [tenant, plan] of [
        [a, 'enterprise'],
        [b, undefined],
      ] as const) {
        const app = await appIn(tenant, {
          grants: [{ audience: api.audience, scopes: ['read:findings'] }],
          claims: { region: 'eu' },
        })
        expect(app.status).toBe(201)
        const minted = await tokenOf(
          tenant,
          String(app.body['client_id']),
          String(app.body['client_secret']),
        )
        expect(minted.status).toBe(200)
        const claims = decodeJwt(String(minted.body['access_token']))
        expect(claims).toMatchObject({
          iss: tenant.issuer,
          aud: api.audience,
          tenant: tenant.id,
          scope: 'read:findings',
          region: 'eu',
        })
        expect(claims['plan']).toBe(plan)
        expect(claims['account_id']).toBe(tenant.externalId)
      }
      // The root tenant's own tokens name it too.
      const rootToken = decodeJwt(await server.adminToken())
      expect(rootToken['tenant']).toBe(server.tenant)
    })

    it("reserves a shared API's audience across the deployment, both ways, also in parallel", async () => {
      const api = await shareApi({})
      const squat = await as(a, 'POST', '/apis', {
        audience: api.audience,
        name: 'Mine now',
        scopes: ['admin:everything'],
      })
      expect(squat.status).toBe(409)
      expect(((await squat.json()) as { detail: string }).detail).toMatch(/shares/)

      const taken = `https://${unique('taken')}.example.com`
      expect((await as(b, 'POST', '/apis', { audience: taken, name: 'B own' })).status).toBe(201)
      const share = await root('POST', '/apis', { audience: taken, name: 'X', shared_with: 'all' })
      expect(share.status).toBe(409)
      const later = await root('POST', '/apis', { audience: taken, name: 'X' })
      expect(later.status).toBe(201)
      expect(
        (await root('PATCH', `/apis/${encodeURIComponent(taken)}`, { shared_with: 'all' })).status,
      ).toBe(409)

      // A tenant registering and the root sharing the same new audience at once: one wins.
      const contested = `https://${unique('race')}.example.com`
      const [tenantSide, rootSide] = await Promise.all([
        as(a, 'POST', '/apis', { audience: contested, name: 'A' }),
        root('POST', '/apis', { audience: contested, name: 'Vendor', shared_with: 'all' }),
      ])
      expect([tenantSide.status, rootSide.status].sort()).toEqual([201, 409])
    })

    it('lets only the root tenant change a shared API; tenants only grant its scopes', async () => {
      const api = await shareApi({})
      const patched = await as(a, 'PATCH', `/apis/${encodeURIComponent(api.audience)}`, {
        scopes: ['read:findings', 'write:findings', 'admin:all'],
      })
      expect(patched.status).toBe(409)
      expect(((await patched.json()) as { detail: string }).detail).toMatch(/root tenant/)
      const unknownScope = await appIn(a, {
        grants: [{ audience: api.audience, scopes: ['admin:all'] }],
      })
      expect(unknownScope.status).toBe(400)
      const tenantSharing = await as(a, 'POST', '/apis', {
        audience: `https://${unique('a-own')}.example.com`,
        name: 'A shares?',
        shared_with: 'all',
      })
      expect(tenantSharing.status).toBe(400)
    })

    it("refuses a tenant's console session and CLI the same change to a shared API, and keeps it whole", async () => {
      const api = await shareApi({})
      const path = `/apis/${encodeURIComponent(api.audience)}`
      const link = await server.admin_('POST', `/admin/v1/tenants/${a.id}/portal-links`, {
        email: `${unique('dana')}@customer.example`,
        role: 'admin',
      })
      expect(link.status).toBe(201)
      const secret = new URL(((await link.json()) as { url: string }).url).hash.slice(1)
      const session = await fetch(`${server.url}/console/api/portal-session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ link: secret }),
      })
      expect(session.status).toBe(200)
      const cookie = session.headers.get('set-cookie')?.split(';')[0] ?? ''
      const csrf = ((await session.json()) as { csrf_token: string }).csrf_token
      const viaConsole = (method: string, body?: unknown) =>
        fetch(`${server.url}/admin/v1/tenants/${a.id}${path}`, {
          method,
          headers: {
            cookie,
            'x-csrf-token': csrf,
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        })
      // The session sees the shared API, as its applications may be granted its scopes.
      expect((await viaConsole('GET')).status).toBe(200)
      for (const [method, body] of [
        ['PATCH', { scopes: ['read:findings'] }],
        ['PATCH', { name: 'Renamed by a tenant' }],
      ] as const) {
        const refused = await viaConsole(method, body)
        expect(refused.status, method).toBe(409)
        expect(((await refused.json()) as { detail: string }).detail).toMatch(/root tenant/)
      }
      const cli = await run(
        process.execPath,
        [CLI, 'apis', 'update', api.audience, '--scopes', 'read:findings'],
        { env: cliEnvFor({ url: server.url, tenant: a.id, admin: a.admin }) },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (error: unknown) => error as { code: number; stderr: string },
      )
      expect(cli.code).not.toBe(0)
      expect(cli.stderr).toMatch(/root tenant/)
      const kept = (await (await root('GET', path)).json()) as { name: string; scopes: string[] }
      expect(kept.name).toBe('Vendor API')
      expect(kept.scopes).toEqual(['read:findings', 'write:findings'])
    })

    it("takes a scope the root removes from every tenant's applications, with a record in each tenant", async () => {
      const api = await shareApi({})
      const inA = await appIn(a, {
        grants: [{ audience: api.audience, scopes: ['read:findings', 'write:findings'] }],
      })
      const inB = await appIn(b, {
        grants: [{ audience: api.audience, scopes: ['write:findings'] }],
      })
      const changed = await root('PATCH', `/apis/${api.id}`, { scopes: ['read:findings'] })
      expect(changed.status).toBe(200)
      expect(
        (
          (await changed.json()) as { affected_applications: string[] }
        ).affected_applications.sort(),
      ).toEqual([String(inA.body['client_id']), String(inB.body['client_id'])].sort())
      const refused = await tokenOf(
        a,
        String(inA.body['client_id']),
        String(inA.body['client_secret']),
        {
          scope: 'write:findings',
        },
      )
      expect(refused.status).toBe(400)
      expect(refused.body['error']).toBe('invalid_scope')
      const audit = (await (await as(b, 'GET', '/audit?type=api.updated')).json()) as {
        items: { type: string; data: { audience: string; removed_from_applications: string[] } }[]
      }
      expect(
        audit.items.find((r) => r.data.audience === api.audience)?.data.removed_from_applications,
      ).toEqual([String(inB.body['client_id'])])
    })

    it('offers an API to chosen tenants only, and refuses to stop sharing while grants remain', async () => {
      const api = await shareApi({ shared_with: [a.id] })
      const listedB = (await (await as(b, 'GET', '/apis')).json()) as {
        items: { audience: string }[]
      }
      expect(listedB.items.map((x) => x.audience)).not.toContain(api.audience)
      expect(
        (await appIn(b, { grants: [{ audience: api.audience, scopes: ['read:findings'] }] }))
          .status,
      ).toBe(400)
      const inA = await appIn(a, {
        grants: [{ audience: api.audience, scopes: ['read:findings'] }],
      })
      expect(inA.status).toBe(201)
      expect((await root('PATCH', `/apis/${api.id}`, { shared_with: [b.id] })).status).toBe(409)
      expect((await root('PATCH', `/apis/${api.id}`, { shared_with: [a.id, b.id] })).status).toBe(
        200,
      )
      expect(
        (await appIn(b, { grants: [{ audience: api.audience, scopes: ['read:findings'] }] }))
          .status,
      ).toBe(201)
      // A tenant created afterwards sees an API shared with all at once.
      const everyone = await shareApi({})
      const c = await provision(unique('cust-c'))
      expect(
        (await appIn(c, { grants: [{ audience: everyone.audience, scopes: ['read:findings'] }] }))
          .status,
      ).toBe(201)
    })

    it('refuses reserved, tenant-field and oversized custom claims, and changes nothing', async () => {
      await shareApi({ tenant_claims: { org_ref: 'external_id' } })
      for (const name of [
        'sub',
        'iss',
        'aud',
        'exp',
        'scope',
        'client_id',
        'tenant',
        'cnf',
        'jti',
        'org_ref',
        '1bad',
        'a b',
      ]) {
        const refused = await appIn(a, { claims: { [name]: 'x' } })
        expect(refused.status, name).toBe(400)
      }
      expect((await appIn(a, { claims: { big: 'x'.repeat(257) } })).status).toBe(400)
      const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`c${i}`, 'v']))
      expect((await appIn(a, { claims: many })).status).toBe(400)
      const app = await appIn(a, { claims: { team: 'blue' } })
      expect(app.status).toBe(201)
      const clientId = String(app.body['client_id'])
      const update = await as(a, 'PATCH', `/applications/${clientId}`, {
        claims: { sub: 'someone-else' },
      })
      expect(update.status).toBe(400)
      const shown = (await (await as(a, 'GET', `/applications/${clientId}`)).json()) as {
        claims: Record<string, string>
      }
      expect(shown.claims).toEqual({ team: 'blue' })
    })

    it('never lets a custom claim set before a shared API took its name speak for the tenant', async () => {
      const name = `ref_${Date.now().toString(36)}`
      const plain = await provision(unique('cust-plain')) // no external_id
      const early = await appIn(plain, { claims: { [name]: 'someone-elses-account', team: 'x' } })
      expect(early.status).toBe(201)
      const api = await shareApi({ tenant_claims: { [name]: 'external_id' } })
      const granted = await as(plain, 'PATCH', `/applications/${String(early.body['client_id'])}`, {
        grants: [{ audience: api.audience, scopes: ['read:findings'] }],
      })
      expect(granted.status).toBe(200)
      const minted = await tokenOf(
        plain,
        String(early.body['client_id']),
        String(early.body['client_secret']),
        { audience: api.audience },
      )
      expect(minted.status).toBe(200)
      const claims = decodeJwt(String(minted.body['access_token']))
      expect(claims[name]).toBeUndefined()
      expect(claims['team']).toBe('x')
    })

    it('is driven from the CLI: apis create --shared, apps create --claim', async () => {
      const env = cliEnvFor(server)
      const audience = `https://${unique('cli')}.example.com`
      const shared = JSON.parse(
        (
          await run(
            process.execPath,
            [
              CLI,
              'apis',
              'create',
              '--audience',
              audience,
              '--name',
              'Vendor',
              '--scopes',
              'read:x',
              '--shared',
              '--tenant-claim',
              'account_id=external_id',
              '--json',
            ],
            { env },
          )
        ).stdout,
      ) as { shared: boolean; shared_with: unknown; tenant_claims: Record<string, string> }
      expect(shared).toMatchObject({
        shared: true,
        shared_with: 'all',
        tenant_claims: { account_id: 'external_id' },
      })
      const envA = cliEnvFor({ url: server.url, tenant: a.id, admin: a.admin })
      const created = JSON.parse(
        (
          await run(
            process.execPath,
            [
              CLI,
              'apps',
              'create',
              '--name',
              unique('cli-app'),
              '--api-scopes',
              `${audience}=read:x`,
              '--claim',
              'team=red',
              '--claim',
              'cost_center=42',
              '--json',
            ],
            { env: envA },
          )
        ).stdout,
      ) as { client_id: string; client_secret: string; claims: Record<string, string> }
      expect(created.claims).toEqual({ team: 'red', cost_center: '42' })
      const minted = await tokenOf(a, created.client_id, created.client_secret)
      expect(decodeJwt(String(minted.body['access_token']))).toMatchObject({
        team: 'red',
        cost_center: '42',
        tenant: a.id,
      })
      const refused = await run(
        process.execPath,
        [CLI, 'apps', 'create', '--name', unique('cli-bad'), '--claim', 'sub=admin'],
        { env: envA },
      ).catch((error: unknown) => error)
      expect(refused).toMatchObject({ code: 3 }) // the server refused the input
      expect((refused as { stderr: string }).stderr).toMatch(/reserved/)
    })
  },
)
