import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ConflictError, ValidationError } from '../../src/domain/errors.js'
import type {
  Administrator,
  Application,
  ClientSecret,
  RefreshToken,
  SigningKey,
  Tenant,
} from '../../src/domain/model.js'
import type { Storage } from '../../src/storage/contract.js'

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms)

function tenant(id: string): Tenant {
  return {
    id,
    displayName: id.toUpperCase(),
    isRoot: false,
    signingAlgorithm: 'ES256',
    defaultTokenLifetimeSeconds: 3600,
    maxTokenLifetimeSeconds: 86_400,
    leakResponse: 'revoke_secret',
    externalId: null,
    metadata: {},
    status: 'active',
    createdAt: at(0),
    updatedAt: at(0),
  }
}

function application(tenantId: string, clientId: string, createdAtMs: number): Application {
  return {
    clientId,
    tenantId,
    name: `app ${clientId}`,
    description: 'émoji ✓ and "quotes"',
    environment: 'prod',
    status: 'active',
    grantTypes: ['client_credentials'],
    grants: [{ audience: 'https://api.example.com', scopes: ['read:a', 'Resource/base_scope'] }],
    tokenLifetimeSeconds: 600,
    expiresAt: at(10_000_000),
    createdAt: at(createdAtMs),
    updatedAt: at(createdAtMs),
    lastUsedAt: null,
    canIntrospect: false,
    tokenRateLimitPerMinute: 120,
    isBuiltIn: false,
    tokenEndpointAuthMethod: 'client_secret_basic',
    dpopBoundAccessTokens: false,
    claims: {},
    version: 1,
  }
}

function secret(clientId: string, id: string): ClientSecret {
  return {
    id,
    clientId,
    hash: Buffer.from('0123456789abcdef0123456789abcdef'),
    hint: 'tms_…abcd',
    createdAt: at(1),
    expiresAt: null,
    lastUsedAt: null,
    lastUsedIp: null,
  }
}

function refreshToken(id: string, familyId: string): RefreshToken {
  return {
    id,
    tenantId: 'alpha',
    familyId,
    clientId: 'tmc_refresh',
    userId: 'usr_1',
    tokenHash: `hash-${id}`,
    audience: 'https://api.example.com',
    scopes: ['read:x'],
    createdAt: at(0),
    idleExpiresAt: at(86_400_000),
    familyExpiresAt: at(30 * 86_400_000),
    usedAt: null,
    revokedAt: null,
  }
}

function key(tenantId: string, kid: string, status: SigningKey['status']): SigningKey {
  return {
    kid,
    tenantId,
    algorithm: 'ES256',
    status,
    publicJwk: { kty: 'EC', kid, alg: 'ES256', use: 'sig', crv: 'P-256', x: 'x', y: 'y' },
    sealedPrivateKey: 'v1.a.b.c',
    createdAt: at(0),
    activatedAt: status === 'current' ? at(0) : null,
    retiredAt: null,
    publishUntil: null,
  }
}

/** One suite for every storage driver: the same behaviour on SQLite and PostgreSQL. */
export function runStorageContract(
  name: string,
  open: () => Promise<{ storage: Storage; cleanup: () => Promise<void> }>,
) {
  describe(`storage contract: ${name}`, () => {
    let storage: Storage
    let cleanup: () => Promise<void>

    beforeAll(async () => {
      ;({ storage, cleanup } = await open())
      await storage.tenants.insert(tenant('alpha'))
      await storage.tenants.insert(tenant('beta'))
    })
    afterAll(async () => {
      await storage.close()
      await cleanup()
    })

    it('answers a ping', async () => {
      await expect(storage.ping()).resolves.toBeUndefined()
    })

    it('commits a probe write, first and every later time', async () => {
      await expect(storage.probeWrite()).resolves.toBeUndefined()
      await expect(storage.probeWrite()).resolves.toBeUndefined()
    })

    it('stores and reads back a tenant exactly', async () => {
      expect(await storage.tenants.get('alpha')).toEqual(tenant('alpha'))
      expect(await storage.tenants.get('missing')).toBeUndefined()
      expect(await storage.tenants.count()).toBe(2)
    })

    it('refuses a duplicate tenant with a ConflictError', async () => {
      await expect(storage.tenants.insert(tenant('alpha'))).rejects.toBeInstanceOf(ConflictError)
    })

    it('stores an application with its secret and finds it by client id across tenants', async () => {
      const app = application('alpha', 'tmc_one', 100)
      await storage.applications.insert(app, secret('tmc_one', 'sec_1'))
      const found = await storage.applications.findClient('tmc_one')
      expect(found?.application).toEqual(app)
      expect(found?.secrets).toEqual([secret('tmc_one', 'sec_1')])
      expect(await storage.applications.get('alpha', 'tmc_one')).toEqual(app)
    })

    it("never returns another tenant's application", async () => {
      expect(await storage.applications.get('beta', 'tmc_one')).toBeUndefined()
      expect((await storage.applications.list('beta', { limit: 10 })).items).toEqual([])
    })

    it('refuses two applications with one name in one environment', async () => {
      const twin = { ...application('alpha', 'tmc_twin', 101), name: 'app tmc_one' }
      await expect(
        storage.applications.insert(twin, secret('tmc_twin', 'sec_twin')),
      ).rejects.toBeInstanceOf(ConflictError)
      // The failed insert left nothing behind.
      expect(await storage.applications.findClient('tmc_twin')).toBeUndefined()
    })

    it('pages applications newest first with a cursor, without gaps or repeats', async () => {
      for (let i = 0; i < 7; i++) {
        await storage.applications.insert(
          application('beta', `tmc_page${i}`, 200 + (i % 3)),
          secret(`tmc_page${i}`, `sec_page${i}`),
        )
      }
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await storage.applications.list('beta', { limit: 3, cursor })
        seen.push(...page.items.map((a) => a.clientId))
        cursor = page.nextCursor ?? undefined
      } while (cursor !== undefined)
      expect(seen).toHaveLength(7)
      expect(new Set(seen).size).toBe(7)
      const created = await Promise.all(
        seen.map(async (id) => (await storage.applications.get('beta', id))!.createdAt.getTime()),
      )
      expect(created).toEqual([...created].sort((a, b) => b - a))
    })

    it('refuses a cursor it did not issue', async () => {
      await expect(
        storage.applications.list('beta', { limit: 3, cursor: 'garbage' }),
      ).rejects.toBeInstanceOf(ValidationError)
    })

    it('keeps signing keys per tenant and moves them through next → current → retired', async () => {
      await storage.signingKeys.insert(key('alpha', 'k1', 'current'))
      await storage.signingKeys.insert(key('alpha', 'k2', 'next'))
      await storage.signingKeys.setStatus('k1', {
        status: 'retired',
        retiredAt: at(5),
        publishUntil: at(50),
      })
      await storage.signingKeys.setStatus('k2', { status: 'current', activatedAt: at(5) })
      const keys = await storage.signingKeys.listForTenant('alpha')
      expect(keys.map((k) => [k.kid, k.status])).toEqual([
        ['k1', 'retired'],
        ['k2', 'current'],
      ])
      expect(keys[0]!.publishUntil).toEqual(at(50))
      expect(await storage.signingKeys.listForTenant('beta')).toEqual([])
      expect(await storage.signingKeys.deleteUnpublished('alpha', at(49))).toBe(0)
      expect(await storage.signingKeys.deleteUnpublished('alpha', at(50))).toBe(1)
    })

    it('refuses an API audience registered twice in a tenant, but not across tenants', async () => {
      const api = {
        id: 'api_1',
        tenantId: 'alpha',
        audience: 'https://api.example.com',
        name: 'A',
        scopes: ['read:a'],
        catalog: {
          categories: [
            { name: 'Policies', resources: [{ name: 'A', slug: 'a', actions: ['read' as const] }] },
          ],
          customScopes: [{ scope: 'Resource/base_scope' }],
          presets: [{ name: 'auditor', scopes: ['read:a'] }],
        },
        isBuiltIn: false,
        sharing: null,
        tenantClaims: {},
        version: 1,
        createdAt: at(0),
        updatedAt: at(0),
      }
      await storage.apis.insert(api)
      await expect(storage.apis.insert({ ...api, id: 'api_2' })).rejects.toBeInstanceOf(
        ConflictError,
      )
      await storage.apis.insert({ ...api, id: 'api_3', tenantId: 'beta' })
      expect(await storage.apis.getByAudience('alpha', 'https://api.example.com')).toEqual(api)
      expect((await storage.apis.list('alpha')).map((a) => a.id)).toEqual(['api_1'])
      // Platform mode: a shared API with tenant claims, found deployment-wide.
      const shared = {
        ...api,
        id: 'api_4',
        audience: 'https://shared.example.com',
        sharing: { tenants: ['beta'] },
        tenantClaims: { account_id: 'external_id' },
      }
      await storage.apis.insert(shared)
      expect(await storage.apis.listShared()).toEqual([shared])
      expect(
        (await storage.apis.listByAudience('https://api.example.com')).map((a) => a.id),
      ).toEqual(['api_1', 'api_3'])
    })

    it('finds tenants by external id, unique across the deployment', async () => {
      const vendor = { ...tenant('vendor-x'), externalId: 'acct_42', metadata: { plan: 'pro' } }
      await storage.tenants.insert(vendor)
      expect(await storage.tenants.getByExternalId('acct_42')).toEqual(vendor)
      await expect(
        storage.tenants.insert({ ...tenant('vendor-y'), externalId: 'acct_42' }),
      ).rejects.toBeInstanceOf(ConflictError)
      await storage.tenants.updateSettings({ ...vendor, status: 'suspended' })
      expect((await storage.tenants.get('vendor-x'))?.status).toBe('suspended')
    })

    it('hands a portal link out once, and never after it expires', async () => {
      const link = {
        idHash: 'h1',
        tenantId: 'alpha',
        email: 'dana@example.com',
        name: null,
        role: 'viewer' as const,
        returnUrl: null,
        sessionLifetimeSeconds: 3600,
        createdBy: 'client:x',
        createdAt: at(0),
        expiresAt: at(300_000),
        usedAt: null,
      }
      await storage.portalLinks.insert(link)
      await storage.portalLinks.insert({ ...link, idHash: 'h2' })
      expect(await storage.portalLinks.consume('h1', at(1000))).toEqual({
        ...link,
        usedAt: at(1000),
      })
      expect(await storage.portalLinks.consume('h1', at(2000))).toBeUndefined()
      expect(await storage.portalLinks.consume('h2', at(300_000))).toBeUndefined()
      expect(await storage.portalLinks.deleteExpired(at(300_001))).toBe(2)
    })

    it('rolls a failed transaction back entirely', async () => {
      await expect(
        storage.transaction(async (s) => {
          await s.tenants.insert(tenant('gamma'))
          throw new Error('boom')
        }),
      ).rejects.toThrow('boom')
      expect(await storage.tenants.get('gamma')).toBeUndefined()
    })

    it('appends audit events and queries them by application, type and time, newest first', async () => {
      await storage.audit.append(
        Array.from({ length: 5 }, (_, i) => ({
          tenantId: 'alpha',
          occurredAt: at(1000 + i),
          type: i % 2 === 0 ? 'token.issued' : 'token.refused',
          actor: 'client:tmc_one',
          clientId: 'tmc_one',
          data: { i },
        })),
      )
      const issued = await storage.audit.list({
        tenantId: 'alpha',
        clientId: 'tmc_one',
        type: 'token.issued',
        limit: 2,
      })
      expect(issued.items.map((e) => e.data['i'])).toEqual([4, 2])
      const rest = await storage.audit.list({
        tenantId: 'alpha',
        clientId: 'tmc_one',
        type: 'token.issued',
        limit: 2,
        cursor: issued.nextCursor!,
      })
      expect(rest.items.map((e) => e.data['i'])).toEqual([0])
      expect(rest.nextCursor).toBeNull()
      const window = await storage.audit.list({
        tenantId: 'alpha',
        since: at(1001),
        until: at(1003),
        limit: 10,
      })
      expect(window.items.map((e) => e.data['i'])).toEqual([2, 1])
      expect((await storage.audit.list({ tenantId: 'beta', limit: 10 })).items).toEqual([])
    })

    it('keeps administrators per tenant, unique by name regardless of case', async () => {
      const administrator: Administrator = {
        id: 'adm_1',
        tenantId: 'alpha',
        username: 'Ada',
        role: 'owner',
        signsInWith: 'password',
        status: 'active',
        passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
        createdAt: at(5),
        updatedAt: at(5),
        lastSignInAt: null,
        passwordChangedAt: at(5),
        version: 1,
      }
      await storage.administrators.insert(administrator)
      await expect(
        storage.administrators.insert({ ...administrator, id: 'adm_2', username: 'ADA' }),
      ).rejects.toBeInstanceOf(ConflictError)
      await storage.administrators.insert({ ...administrator, id: 'adm_3', tenantId: 'beta' })
      expect(await storage.administrators.findByUsername('alpha', 'ada')).toEqual(administrator)
      expect(await storage.administrators.get('beta', 'adm_1')).toBeUndefined()
      expect(await storage.administrators.countActiveOwners('alpha')).toBe(1)

      const session = {
        idHash: 'hash-1',
        tenantId: 'alpha',
        administratorId: 'adm_1',
        createdAt: at(10),
        lastSeenAt: at(10),
        expiresAt: at(10 + 43_200_000),
      }
      await storage.consoleSessions.insert(session)
      expect(await storage.consoleSessions.find('hash-1')).toEqual({ session, administrator })
      await storage.consoleSessions.touch('hash-1', at(70_000))
      expect((await storage.consoleSessions.find('hash-1'))?.session.lastSeenAt).toEqual(at(70_000))
      expect(await storage.consoleSessions.deleteExpired(at(60_000), at(80_000))).toBe(0)
      expect(await storage.consoleSessions.deleteExpired(at(80_000), at(80_000))).toBe(1)
      await storage.consoleSessions.insert(session)
      expect(await storage.administrators.delete('alpha', 'adm_1')).toBe(true)
      // Deleting an administrator deletes their sessions with them.
      expect(await storage.consoleSessions.find('hash-1')).toBeUndefined()
    })

    it('rotates a refresh token once; a second use revokes the family, successor included', async () => {
      await storage.refreshTokens.insert(refreshToken('rt_1', 'rtf_a'))
      expect(
        await storage.refreshTokens.rotate('rt_1', refreshToken('rt_2', 'rtf_a'), at(5)),
      ).toEqual({ outcome: 'rotated' })
      expect((await storage.refreshTokens.findByHash('hash-rt_1'))?.usedAt).toEqual(at(5))
      expect(await storage.refreshTokens.findByHash('hash-rt_2')).toEqual(
        refreshToken('rt_2', 'rtf_a'),
      )
      // Replaying rt_1: its successor rt_2 dies with the family, and rt_3 is never stored.
      expect(
        await storage.refreshTokens.rotate('rt_1', refreshToken('rt_3', 'rtf_a'), at(6)),
      ).toEqual({ outcome: 'reused', revoked: 2 })
      expect((await storage.refreshTokens.findByHash('hash-rt_2'))?.revokedAt).toEqual(at(6))
      expect(await storage.refreshTokens.findByHash('hash-rt_3')).toBeUndefined()
      expect(
        await storage.refreshTokens.rotate('rt_2', refreshToken('rt_4', 'rtf_a'), at(7)),
      ).toEqual({ outcome: 'revoked' })
    })

    it("deletes a tenant's data but not its audit log or feed, and keeps its id taken", async () => {
      const gamma: Tenant = {
        ...tenant('gamma'),
        externalId: 'ext-gamma',
        metadata: { plan: 'pro' },
        status: 'active',
      }
      await storage.tenants.insert(gamma)
      expect(await storage.tenants.getByExternalId('ext-gamma')).toEqual(gamma)
      await storage.applications.insert(
        { ...application('gamma', 'tmc_gamma', 1), claims: {} },
        secret('tmc_gamma', 'sec_gamma'),
      )
      await storage.audit.append([
        {
          tenantId: 'gamma',
          occurredAt: at(2),
          type: 'tenant.created',
          actor: 'system',
          clientId: null,
          data: {},
        },
      ])
      await storage.revocations.append({
        tenantId: 'gamma',
        type: 'application',
        clientId: 'tmc_gamma',
        jti: null,
        revokedAt: at(3),
        expiresAt: at(90_000_000),
      })

      await storage.transaction((trx) => trx.tenants.deleteData('gamma', at(4)))

      expect(await storage.tenants.get('gamma')).toBeUndefined()
      expect(await storage.tenants.getByExternalId('ext-gamma')).toBeUndefined()
      expect((await storage.tenants.list()).map((t) => t.id)).not.toContain('gamma')
      expect(await storage.applications.findClient('tmc_gamma')).toBeUndefined()
      expect(await storage.applications.listSecrets('tmc_gamma')).toEqual([])
      expect(await storage.applications.listAll('gamma')).toEqual([])
      expect(
        (await storage.audit.list({ tenantId: 'gamma', limit: 10 })).items.map((e) => e.type),
      ).toEqual(['tenant.created'])
      expect(await storage.revocations.list('gamma', undefined, 10)).toHaveLength(1)
      // The tombstone keeps the id; the external id is free for a new tenant.
      await expect(storage.tenants.insert(tenant('gamma'))).rejects.toBeInstanceOf(ConflictError)
      await storage.tenants.insert({
        ...tenant('delta'),
        externalId: 'ext-gamma',
        metadata: {},
        status: 'active',
      })
      expect((await storage.tenants.getByExternalId('ext-gamma'))?.id).toBe('delta')
      // Other tenants keep everything.
      expect(await storage.tenants.get('alpha')).toBeDefined()
    })
  })
}
