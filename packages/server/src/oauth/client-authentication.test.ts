import { randomBytes } from 'node:crypto'

import { describe, expect, it } from 'vitest'

import { generateClientId, generateClientSecret } from '../crypto/secret-format.js'
import { SecretHasher } from '../crypto/secret-hasher.js'
import type { Application } from '../domain/model.js'
import type { ClientRecord } from '../storage/contract.js'
import { authenticateClient, type ClientAuthenticationDeps } from './client-authentication.js'
import { OAuthError } from './errors.js'
import type { PresentedCredentials } from './token-request.js'

const hasher = new SecretHasher(randomBytes(32))
const now = new Date('2030-01-01T00:00:00Z')
const FAILED = 'client authentication failed: unknown client or wrong client secret'

function clientRecord(overrides: Partial<Application> = {}, secretExpiresAt: Date | null = null) {
  const clientId = generateClientId()
  const secret = generateClientSecret()
  const record: ClientRecord = {
    application: {
      clientId,
      tenantId: 'acme',
      name: 'app',
      description: '',
      environment: 'production',
      status: 'active',
      grantTypes: ['client_credentials'],
      grants: [],
      tokenLifetimeSeconds: null,
      expiresAt: null,
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
      canIntrospect: false,
      tokenRateLimitPerMinute: null,
      isBuiltIn: false,
      tokenEndpointAuthMethod: 'client_secret_basic',
      dpopBoundAccessTokens: false,
      claims: {},
      version: 1,
      ...overrides,
    },
    secrets: [
      {
        id: 'sec_1',
        clientId,
        hash: hasher.hash(secret),
        hint: '',
        createdAt: now,
        expiresAt: secretExpiresAt,
        lastUsedAt: null,
        lastUsedIp: null,
      },
    ],
    keys: [],
    jwksUri: undefined,
    trustPolicies: [],
  }
  return { record, secret }
}

const active = clientRecord()
const revoked = clientRecord({ status: 'revoked' })
const rotatedOut = clientRecord({}, new Date(now.getTime() - 1000))
const otherTenant = clientRecord({ tenantId: 'globex' })
const known = [active, revoked, rotatedOut, otherTenant]

/**
 * Known clients answer from memory and ids never seen cost a storage read, as with the real
 * cache. The refusal floor is a timer the test releases, so it sees what waits for it.
 */
function harness() {
  const events: string[] = []
  let release: () => void = () => undefined
  const deps: ClientAuthenticationDeps = {
    hasher,
    now: () => now,
    assertions: {
      audiencesFor: () => ['https://auth.example.com/t/acme'],
      claimAssertion: () => Promise.resolve(true),
      remoteKeys: () => Promise.resolve([]),
      issuerKeys: () => Promise.resolve([]),
    },
    clients: {
      findClient(clientId) {
        const found = known.find((k) => k.record.application.clientId === clientId)
        events.push(found === undefined ? 'read storage' : 'read memory')
        return Promise.resolve(found?.record)
      },
    },
    onRefused(refusal, application, reason) {
      events.push(`refused ${application === undefined ? 'unknown' : 'known'}: ${reason}`)
      return Promise.resolve(refusal)
    },
    startRefusalFloor() {
      events.push('floor started')
      const reached = new Promise<void>((resolve) => {
        release = resolve
      })
      return { reached: () => reached }
    },
  }
  return { deps, events, release: () => release() }
}

/** Whether `promise` settles while the event loop turns once. */
async function settlesMeanwhile(promise: Promise<unknown>): Promise<boolean> {
  let settled = false
  promise.then(
    () => (settled = true),
    () => (settled = true),
  )
  await new Promise((resolve) => setImmediate(resolve))
  return settled
}

describe('authenticateClient: refusals look alike whatever failed', () => {
  const post = (clientId: string, clientSecret: string): PresentedCredentials => ({
    clientId,
    clientSecret,
    method: 'client_secret_post',
  })
  const table: {
    description: string
    credentials: PresentedCredentials
    tenantId?: string
    expect: { refused: string; told: string } | 'admitted'
  }[] = [
    {
      description: 'a client id never seen, read from storage',
      credentials: post(generateClientId(), generateClientSecret()),
      expect: { refused: FAILED, told: 'refused unknown: unknown client' },
    },
    {
      description: 'a known client id with a wrong secret, answered from memory',
      credentials: post(active.record.application.clientId, generateClientSecret()),
      expect: { refused: FAILED, told: 'refused known: wrong client secret' },
    },
    {
      description: "another tenant's client id on this tenant's endpoint",
      credentials: post(otherTenant.record.application.clientId, otherTenant.secret),
      tenantId: 'acme',
      expect: { refused: FAILED, told: 'refused unknown: unknown client' },
    },
    {
      description: 'a secret whose rotation overlap has ended',
      credentials: post(rotatedOut.record.application.clientId, rotatedOut.secret),
      expect: { refused: FAILED, told: 'refused known: wrong client secret' },
    },
    {
      description: 'a malformed client id',
      credentials: post('tmc_short', generateClientSecret()),
      expect: { refused: FAILED, told: 'refused unknown: unknown client' },
    },
    {
      description: 'a secret with a bad checksum, refused without a look-up',
      credentials: post(
        active.record.application.clientId,
        active.secret.slice(0, -1) + (active.secret.endsWith('x') ? 'y' : 'x'),
      ),
      expect: {
        refused:
          'client_secret is malformed: its checksum does not match; check that it was copied whole',
        told: 'refused unknown: malformed client secret',
      },
    },
    {
      description: 'the right secret of a revoked application, told so',
      credentials: post(revoked.record.application.clientId, revoked.secret),
      expect: {
        refused: 'this application has been revoked',
        told: 'refused known: application revoked',
      },
    },
    {
      description: 'the right secret, admitted without waiting',
      credentials: post(active.record.application.clientId, active.secret),
      expect: 'admitted',
    },
  ]

  for (const { description, credentials, tenantId, expect: expected } of table) {
    it(description, async () => {
      const { deps, events, release } = harness()
      const outcome = authenticateClient(credentials, deps, tenantId)
      const answered = await settlesMeanwhile(outcome)
      release()
      const result = await outcome.catch((error: unknown) => error)
      expect(events[0]).toBe('floor started')
      if (expected === 'admitted') {
        expect(answered).toBe(true)
        expect(result).toMatchObject({ application: active.record.application })
        return
      }
      // Refused only once the floor has elapsed, however quickly the refusal was decided; told
      // first, so what the caller does with it (throttle, audit) happens within the floor.
      expect(answered).toBe(false)
      expect(events.at(-1)).toBe(expected.told)
      expect(result).toBeInstanceOf(OAuthError)
      expect(result).toMatchObject({ code: 'invalid_client', description: expected.refused })
    })
  }

  it('answers what the caller made of the refusal, after the same floor', async () => {
    const { deps, release } = harness()
    const limited = new OAuthError('rate_limited', 'too many failed client authentications')
    const outcome = authenticateClient(post(generateClientId(), generateClientSecret()), {
      ...deps,
      onRefused: () => Promise.resolve(limited),
    })
    expect(await settlesMeanwhile(outcome)).toBe(false)
    release()
    await expect(outcome).rejects.toBe(limited)
  })
})
