import { setTimeout as sleep } from 'node:timers/promises'

import { decodeProtectedHeader } from 'jose'

import { isWellFormedClientId, isWellFormedClientSecret } from '../crypto/secret-format.js'
import type { SecretHasher } from '../crypto/secret-hasher.js'
import { effectiveStatus, type Application, type ClientKey } from '../domain/model.js'
import { isSecretLive } from '../domain/token-policy.js'
import type { ClientRecord, SecretUsage } from '../storage/contract.js'
import { checkClientAssertion } from './client-assertion.js'
import { checkFederatedToken, federatedIssuerOf, IssuerUnavailableError } from './federation.js'
import { OAuthError } from './errors.js'
import { BASIC_CHALLENGE, type PresentedCredentials } from './token-request.js'

/** Finds a client by id; implementations cache (see storage/local/client-cache). */
export interface ClientDirectory {
  findClient(clientId: string): Promise<ClientRecord | undefined>
}

/** private_key_jwt's needs: which `aud` values name this server, and the `jti` memory. */
export interface ClientAssertionDeps {
  /** The issuer and token endpoint URLs an assertion for this tenant may name. */
  audiencesFor(tenantId: string): readonly string[]
  /** False if this `jti` was used before (storage: ApplicationStore.claimAssertion). */
  claimAssertion(clientId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean>
  /** The keys published at an application's jwks_uri (oauth/remote-jwks). */
  remoteKeys(uri: string, credentialId: string, kid: string | undefined): Promise<ClientKey[]>
  /** The keys a trusted outside issuer publishes (oauth/federation's TrustedIssuers). */
  issuerKeys(issuer: string, policyId: string, kid: string | undefined): Promise<ClientKey[]>
}

export interface AuthenticatedClient {
  application: Application
  /** The secret, or registered public key, that proved the client: its id is what token
   *  commits check is still live and what "last used" is recorded on. */
  credential: { id: string; kind: 'secret' | 'public_key' | 'trust_policy' }
  method: PresentedCredentials['method']
  /** Federation: the outside workload the token went to (its issuer and `sub`), for audit. */
  workload?: { issuer: string; subject: string }
}

/** Who sent a request to an endpoint other than the token endpoint, for "last used". */
export interface Caller {
  authorization: string | undefined
  ip: string
}

/**
 * Records a secret's use by introspection, revocation or the feed (the token endpoint records
 * its own with the token's audit record). Not awaited: "last used" never delays an answer.
 */
export function recordSecretUse(
  usage: Pick<SecretUsage, 'record'>,
  client: AuthenticatedClient,
  ip: string,
  now: Date,
): void {
  usage
    .record(
      [{ secretId: client.credential.id, clientId: client.application.clientId, ip, at: now }],
      now,
    )
    .catch(() => undefined)
}

/**
 * Every refusal is answered no sooner than this after authentication began. A known client is
 * served from the cache and audited, an id never seen is read from storage: a negative cache
 * cannot hold ids never seen (and random ids would only churn it), so we equalise time instead
 * of work. Whatever the cache evicts costs a storage read, hidden by the floor too. It must
 * exceed the slowest refusal (storage read, throttle, audit enqueue) with room to spare.
 */
export const REFUSAL_FLOOR_MS = 10

/** When a refusal may be answered; started before the work, waited for only by a refusal. */
export interface RefusalFloor {
  reached(): Promise<void>
}

// Only a timestamp on the way in: a success (every token) creates no timer. A refusal sleeps for
// what is left and checks the real clock again on waking, since a timer counts from the event
// loop's cached time and, set after synchronous work (better-sqlite3), fires that much early.
// Unref'd: it never holds the process open.
const startRefusalFloor = (): RefusalFloor => {
  const startedAt = performance.now()
  return {
    async reached() {
      for (
        let left = REFUSAL_FLOOR_MS - (performance.now() - startedAt);
        left > 0;
        left = REFUSAL_FLOOR_MS - (performance.now() - startedAt)
      )
        await sleep(Math.ceil(left), undefined, { ref: false })
    },
  }
}

export interface ClientAuthenticationDeps {
  clients: ClientDirectory
  assertions: ClientAssertionDeps
  hasher: SecretHasher
  now: () => Date
  /**
   * Told of each refusal before it is answered (inside the refusal floor, so what it does
   * cannot be timed), with the application if the client id is known and the secret was
   * checked against it. Answers the error to throw: `refusal`, or another one (a throttle).
   */
  onRefused?: (
    refusal: OAuthError,
    application: Application | undefined,
    reason: string,
  ) => Promise<OAuthError>
  /** Starts the refusal floor (tests pass a fake). */
  startRefusalFloor?: () => RefusalFloor
}

const FAILED = 'client authentication failed: unknown client or wrong client secret'
const ASSERTION_FAILED =
  'client authentication failed: unknown client, or no public key registered for it verifies the client_assertion'

class Refusal {
  constructor(
    readonly error: OAuthError,
    readonly reason: string,
    readonly application?: Application,
  ) {}
}

function refusal(
  description: string,
  credentials: PresentedCredentials,
  reason: string,
  application?: Application,
): Refusal {
  const error = new OAuthError(
    'invalid_client',
    description,
    credentials.method === 'client_secret_basic' ? { headers: BASIC_CHALLENGE } : {},
  )
  return new Refusal(error, reason, application)
}

/**
 * Step 2 of the token endpoint. Every failure before the secret is proven answers the same
 * description, after the same time, so a caller cannot learn whether a client id exists; only
 * a caller holding a valid secret is told that its application is revoked or expired.
 */
export async function authenticateClient(
  credentials: PresentedCredentials,
  deps: ClientAuthenticationDeps,
  tenantId?: string,
): Promise<AuthenticatedClient> {
  const floor = (deps.startRefusalFloor ?? startRefusalFloor)()
  const outcome = await check(credentials, deps, tenantId)
  if (!(outcome instanceof Refusal)) return outcome
  const answer =
    deps.onRefused === undefined
      ? outcome.error
      : await deps.onRefused(outcome.error, outcome.application, outcome.reason)
  await floor.reached()
  throw answer
}

/** The client, if the id is well formed, known, and (on a tenant's endpoint) of that tenant. */
async function findClientIn(
  deps: ClientAuthenticationDeps,
  clientId: string,
  tenantId: string | undefined,
): Promise<ClientRecord | undefined> {
  const record = isWellFormedClientId(clientId)
    ? await deps.clients.findClient(clientId)
    : undefined
  return tenantId === undefined || record?.application.tenantId === tenantId ? record : undefined
}

async function check(
  credentials: PresentedCredentials,
  deps: ClientAuthenticationDeps,
  tenantId: string | undefined,
): Promise<AuthenticatedClient | Refusal> {
  if (credentials.method === 'private_key_jwt') return checkAssertion(credentials, deps, tenantId)
  // The checksum lets a mistyped or truncated secret be refused without any storage look-up.
  if (!isWellFormedClientSecret(credentials.clientSecret)) {
    return refusal(
      'client_secret is malformed: its checksum does not match; check that it was copied whole',
      credentials,
      'malformed client secret',
    )
  }
  // Hashed whether or not the id is known: the same work as a real comparison.
  const presentedHash = deps.hasher.hash(credentials.clientSecret)
  const record = await findClientIn(deps, credentials.clientId, tenantId)
  if (record === undefined) return refusal(FAILED, credentials, 'unknown client')
  const now = deps.now()
  let matched: { id: string } | undefined
  for (const secret of record.secrets) {
    if (deps.hasher.equals(presentedHash, secret.hash) && isSecretLive(secret, now))
      matched = secret
  }
  if (matched === undefined) {
    const reason =
      record.application.tokenEndpointAuthMethod === 'private_key_jwt'
        ? 'client secret sent for a private_key_jwt application'
        : 'wrong client secret'
    return refusal(FAILED, credentials, reason, record.application)
  }
  return proven(record.application, { id: matched.id, kind: 'secret' }, credentials, now)
}

/** Once the credential is proven: only a live application gets through. */
function proven(
  application: Application,
  credential: AuthenticatedClient['credential'],
  credentials: PresentedCredentials,
  now: Date,
): AuthenticatedClient | Refusal {
  const status = effectiveStatus(application, now)
  if (status !== 'active') {
    return refusal(
      `this application has ${status === 'revoked' ? 'been revoked' : 'expired'}`,
      credentials,
      `application ${status}`,
      application,
    )
  }
  return { application, credential, method: credentials.method }
}

/**
 * private_key_jwt (RFC 7523 §2.2). Until a registered key verifies the signature the answer is
 * the same for an unknown client and a wrong key; after it, the holder is told exactly which
 * claim is wrong. Each `jti` is accepted once, on every node sharing the database.
 */
async function checkAssertion(
  credentials: Extract<PresentedCredentials, { method: 'private_key_jwt' }>,
  deps: ClientAuthenticationDeps,
  tenantId: string | undefined,
): Promise<AuthenticatedClient | Refusal> {
  const record = await findClientIn(deps, credentials.clientId, tenantId)
  if (credentials.federated) return checkFederated(credentials, record, deps)
  if (record === undefined) return refusal(ASSERTION_FAILED, credentials, 'unknown client')
  const { application } = record
  if (application.tokenEndpointAuthMethod !== 'private_key_jwt') {
    return refusal(
      ASSERTION_FAILED,
      credentials,
      'client assertion sent for a client secret application',
      application,
    )
  }
  let keys = record.keys
  if (record.jwksUri !== undefined) {
    try {
      const { kid } = decodeProtectedHeader(credentials.assertion)
      keys = await deps.assertions.remoteKeys(record.jwksUri.uri, record.jwksUri.id, kid)
    } catch (error) {
      const why = error instanceof Error ? error.message : 'unknown error'
      return refusal(ASSERTION_FAILED, credentials, `jwks_uri unusable: ${why}`, application)
    }
  }
  const now = deps.now()
  const checked = await checkClientAssertion(credentials.assertion, keys, {
    clientId: application.clientId,
    audiences: deps.assertions.audiencesFor(application.tenantId),
    now,
  })
  if (!checked.ok) {
    const description = checked.proven ? checked.description : ASSERTION_FAILED
    return refusal(description, credentials, checked.reason, application)
  }
  const result = proven(application, { id: checked.key.id, kind: 'public_key' }, credentials, now)
  if (result instanceof Refusal) return result
  // Last, so a refused assertion does not use up its jti.
  let firstUse: boolean
  try {
    firstUse = await deps.assertions.claimAssertion(
      application.clientId,
      checked.jti,
      checked.expiresAt,
      now,
    )
  } catch (cause) {
    throw new OAuthError(
      'temporarily_unavailable',
      'the client assertion could not be checked against earlier ones; try again shortly',
      { cause, headers: { 'Retry-After': '1' } },
    )
  }
  if (!firstUse) {
    return refusal(
      'client_assertion has been used before (same jti): sign a new assertion, with a new jti, for each request',
      credentials,
      'assertion replayed',
      application,
    )
  }
  return result
}

/**
 * Workload identity federation: the assertion is a platform token from an outside issuer.
 * Until the issuer's key verifies it, an unknown client and an untrusted issuer get the same
 * answer (naming only the token's own issuer); after it, the holder is told which condition of
 * the trust policy failed. No jti is claimed: a platform token is reused until it expires.
 */
async function checkFederated(
  credentials: Extract<PresentedCredentials, { method: 'private_key_jwt' }>,
  record: ClientRecord | undefined,
  deps: ClientAuthenticationDeps,
): Promise<AuthenticatedClient | Refusal> {
  const issuer = federatedIssuerOf(credentials.assertion) ?? ''
  const untrusted = `client authentication failed: unknown client, or it has no trust policy for issuer ${JSON.stringify(issuer.slice(0, 200))}`
  const application = record?.application
  if (record === undefined || application === undefined)
    return refusal(untrusted, credentials, 'unknown client')
  const now = deps.now()
  let checked
  try {
    checked = await checkFederatedToken(credentials.assertion, record.trustPolicies, {
      keys: (issuer, policyId, kid) => deps.assertions.issuerKeys(issuer, policyId, kid),
      now,
    })
  } catch (error) {
    if (!(error instanceof IssuerUnavailableError)) throw error
    throw new OAuthError('temporarily_unavailable', `${error.message}; try again shortly`, {
      cause: error,
      headers: { 'Retry-After': '5' },
    })
  }
  if (!checked.ok) {
    // Until the issuer's key verified the token, the answer is the same as for an unknown client.
    const description = checked.proven ? checked.description : untrusted
    return refusal(description, credentials, checked.reason, application)
  }
  const result = proven(
    application,
    { id: checked.policy.id, kind: 'trust_policy' },
    credentials,
    now,
  )
  if (result instanceof Refusal) return result
  return { ...result, workload: { issuer: checked.policy.issuer, subject: checked.subject } }
}
