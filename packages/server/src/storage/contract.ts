import type { AuditEventType } from '../domain/audit-events.js'
import type {
  Account,
  Administrator,
  PortalLink,
  ConsoleSession,
  Api,
  Application,
  ClientJwksUri,
  ClientKey,
  ClientSecret,
  LeakResponse,
  RefreshToken,
  TrustPolicy,
  User,
  SigningKey,
  SigningKeyStatus,
  Tenant,
} from '../domain/model.js'
import type { PublicJwk } from '../crypto/jws-signer.js'
import type { StoredChainRecord } from '../domain/audit-verification.js'
import type { WebhookEventType, WebhookSourceRecord } from '../domain/webhook-events.js'

/** A page of a list, newest first, with an opaque cursor for the next page. */
export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface PageRequest {
  limit: number
  cursor?: string | undefined
}

export interface TenantStore {
  insert(tenant: Tenant): Promise<void>
  /** `get`, `list` and `getByExternalId` never return a deleted tenant (its tombstone). */
  get(id: string): Promise<Tenant | undefined>
  list(): Promise<Tenant[]>
  /**
   * Inside a transaction: removes everything of the tenant but its audit log (records, chain
   * head, checkpoints and the keys that sign them) and its revocation-feed entries, and leaves
   * a tombstone row (status `deleted`, no external id) that keeps the id taken.
   */
  deleteData(tenantId: string, at: Date): Promise<void>
  count(): Promise<number>
  getByExternalId(externalId: string): Promise<Tenant | undefined>
  /** Writes every mutable field: display name, lifetimes, external id, metadata, status. */
  updateSettings(tenant: Tenant): Promise<void>
  /**
   * Inside a transaction: waits until no other transaction holding this lock for the tenant
   * is running, and holds it until commit (whole-tenant changes, such as `config:apply`).
   */
  lockForChange(tenantId: string): Promise<void>
}

export interface SigningKeyStore {
  insert(key: SigningKey): Promise<void>
  listForTenant(tenantId: string): Promise<SigningKey[]>
  setStatus(
    kid: string,
    change: {
      status: SigningKeyStatus
      activatedAt?: Date | null
      retiredAt?: Date | null
      publishUntil?: Date | null
    },
  ): Promise<void>
  /** Removes retired keys whose last token has expired. */
  deleteUnpublished(tenantId: string, now: Date): Promise<number>
}

export interface ApiStore {
  insert(api: Api): Promise<void>
  /** Writes every mutable field if `version` is still `expectedVersion`; returns the new version. */
  update(api: Api, expectedVersion: number): Promise<Api>
  get(tenantId: string, id: string): Promise<Api | undefined>
  getByAudience(tenantId: string, audience: string): Promise<Api | undefined>
  list(tenantId: string): Promise<Api[]>
  /** Every API the root tenant shares (platform mode); there are few. */
  listShared(): Promise<Api[]>
  /** Every tenant's APIs with this audience (the deployment-wide reservation of shared ones). */
  listByAudience(audience: string): Promise<Api[]>
  delete(tenantId: string, id: string): Promise<void>
}

/** What the token endpoint needs to authenticate a client, in one read. */
/** Every credential of one application, by kind. */
export interface ClientCredentials {
  secrets: ClientSecret[]
  keys: ClientKey[]
  /** Set when the keys are published at a URL rather than registered. */
  jwksUri: ClientJwksUri | undefined
  /** Outside issuers whose workload tokens the application accepts (federation). */
  trustPolicies: TrustPolicy[]
}

export interface ClientRecord extends ClientCredentials {
  application: Application
}

/** Narrows an application list; `status` is as users see it (`expired` derives from expiry). */
export interface ApplicationFilter {
  environment?: string | undefined
  status?: 'active' | 'revoked' | 'expired' | undefined
  /** Case-insensitive substring of the name, client id or description. */
  search?: string | undefined
  now: Date
}

export interface DueExpiry {
  tenantId: string
  clientId: string
  expiresAt: Date
}

export interface ApplicationStore {
  /** With its first secret, or none (a private_key_jwt application: its keys follow). */
  insert(application: Application, secret: ClientSecret | undefined): Promise<void>
  get(tenantId: string, clientId: string): Promise<Application | undefined>
  /** Across tenants: client ids are globally unique, which lets `/oauth/token` route by them. */
  findClient(clientId: string): Promise<ClientRecord | undefined>
  list(tenantId: string, page: PageRequest, filter?: ApplicationFilter): Promise<Page<Application>>
  /** Every application of the tenant, for changes that touch all of them (an API's scopes). */
  listAll(tenantId: string): Promise<Application[]>
  listSecrets(clientId: string): Promise<ClientSecret[]>
  /** Secrets, keys and jwks_uri in one read. */
  listCredentials(clientId: string): Promise<ClientCredentials>
  /** Writes every mutable field if `version` is still `expectedVersion`; returns the new version. */
  update(application: Application, expectedVersion: number): Promise<Application>
  delete(tenantId: string, clientId: string): Promise<boolean>
  insertSecret(secret: ClientSecret): Promise<void>
  setSecretExpiry(clientId: string, secretId: string, expiresAt: Date | null): Promise<void>
  deleteSecret(clientId: string, secretId: string): Promise<void>
  /** Public keys for private_key_jwt, oldest first. */
  listKeys(clientId: string): Promise<ClientKey[]>
  insertKey(key: ClientKey): Promise<void>
  deleteKey(clientId: string, keyId: string): Promise<void>
  insertTrustPolicy(policy: TrustPolicy): Promise<void>
  deleteTrustPolicy(clientId: string, policyId: string): Promise<void>
  getJwksUri(clientId: string): Promise<ClientJwksUri | undefined>
  /** Registers the application's jwks_uri, ending any earlier one. */
  replaceJwksUri(registration: ClientJwksUri): Promise<void>
  /**
   * Records that a client assertion's `jti` has been used, until `expiresAt`; false if it had
   * been already (a replay). Atomic across nodes sharing the database.
   */
  /** The live secret (kind `secret`) with this keyed hash, and its application's tenant. */
  findSecretByHash(hash: Buffer): Promise<{ tenantId: string; secret: ClientSecret } | undefined>
  claimAssertion(clientId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean>
  /**
   * Active applications whose expiry has been reached but not yet published to the revocation
   * feed, soonest first. An expiry becomes pending whenever it is set or moved.
   */
  listDueExpiries(now: Date, limit: number): Promise<DueExpiry[]>
  /** Marks that expiry published; false if another node did, or the expiry moved meanwhile. */
  markExpiryPublished(due: DueExpiry): Promise<boolean>
  /** The soonest expiry still to be published, if any. */
  nextPendingExpiry(): Promise<Date | undefined>
  /** Tokens issued per UTC day (from the audit log), oldest first. */
  tokensPerDay(
    tenantId: string,
    clientId: string,
    since: Date,
  ): Promise<{ day: string; tokens: number }[]>
}

/** What the user and administrator stores share: accounts by tenant, versioned. */
export interface AccountStore<A extends Account> {
  insert(account: A): Promise<void>
  get(tenantId: string, id: string): Promise<A | undefined>
  /** `usernameKey`: `usernameKey(username)` from domain/accounts (unique regardless of case). */
  findByUsername(tenantId: string, usernameKey: string): Promise<A | undefined>
  /** Writes `account` as version `expectedVersion + 1`, unless someone else changed it first. */
  update(account: A, expectedVersion: number): Promise<A>
  delete(tenantId: string, id: string): Promise<boolean>
}

export interface UserStore extends AccountStore<User> {
  list(tenantId: string, page: PageRequest): Promise<Page<User>>
  /** Counts one more consecutive failure atomically; returns the new count. */
  recordLoginFailure(tenantId: string, id: string): Promise<number>
  setLockedUntil(tenantId: string, id: string, lockedUntil: Date | null): Promise<void>
  recordLoginSuccess(
    tenantId: string,
    id: string,
    at: Date,
    rehashedPassword?: string,
  ): Promise<void>
}

export type RefreshRotation =
  { outcome: 'rotated' } | { outcome: 'reused'; revoked: number } | { outcome: 'revoked' }

export interface RefreshTokenStore {
  insert(token: RefreshToken): Promise<void>
  findByHash(tokenHash: string): Promise<RefreshToken | undefined>
  /**
   * Rotation and reuse detection as one serialisable unit per family (RFC 9700 §4.14.2): marks
   * the presented token used and stores `next`, unless the presented token was used already
   * (reuse: the whole family, `next`'s siblings included, is revoked) or revoked.
   */
  rotate(presentedId: string, next: RefreshToken, at: Date): Promise<RefreshRotation>
  /** Revokes every token of the family, serialised with its rotations. */
  revokeFamily(familyId: string, at: Date): Promise<number>
  revokeForUser(tenantId: string, userId: string, at: Date): Promise<number>
  revokeForClient(clientId: string, at: Date): Promise<number>
}

export interface AdministratorStore extends AccountStore<Administrator> {
  list(tenantId: string): Promise<Administrator[]>
  /** Active owners of the tenant: the last one may not be demoted, disabled or deleted. */
  countActiveOwners(tenantId: string): Promise<number>
  recordSignIn(tenantId: string, id: string, at: Date, rehashedPassword?: string): Promise<void>
}

export interface PortalLinkStore {
  insert(link: PortalLink): Promise<void>
  /** The link, marked used now, if it was unused and unexpired; undefined otherwise. */
  consume(idHash: string, now: Date): Promise<PortalLink | undefined>
  /** Removes links that expired before `before` (used or not). */
  deleteExpired(before: Date): Promise<number>
}

export interface ConsoleSessionStore {
  insert(session: ConsoleSession): Promise<void>
  /** The session with its administrator, if both exist. */
  find(
    idHash: string,
  ): Promise<{ session: ConsoleSession; administrator: Administrator } | undefined>
  touch(idHash: string, at: Date): Promise<void>
  delete(idHash: string): Promise<void>
  /** Ends every session of an administrator (password change, disable, role change). */
  deleteForAdministrator(administratorId: string): Promise<number>
  deleteExpired(idleBefore: Date, now: Date): Promise<number>
}

/** One revoked application or token, for the revocation feed. */
export interface Revocation {
  /** Monotonic per deployment: the feed's cursor. */
  id: string
  tenantId: string
  type: 'application' | 'token'
  clientId: string
  jti: string | null
  revokedAt: Date
  /** Every token the entry concerns has expired by then; the entry may be pruned after it. */
  expiresAt: Date
}

export interface RevocationStore {
  append(entry: Omit<Revocation, 'id'>): Promise<Revocation>
  /** Entries after `afterId`, in cursor order. */
  list(tenantId: string, afterId: string | undefined, limit: number): Promise<Revocation[]>
  /** Entries of every tenant after `afterId`, in cursor order: the deployment-wide feed. */
  listAll(afterId: string | undefined, limit: number): Promise<Revocation[]>
  /**
   * Whether the token's jti, or its application, has a revocation. With `issuedAtSeconds`, an
   * application entry counts only for tokens issued at or before it (a resumed tenant's new
   * tokens are good); without, any application entry counts.
   */
  isRevoked(
    tenantId: string,
    clientId: string,
    jti: string,
    issuedAtSeconds?: number,
  ): Promise<boolean>
  deleteExpired(now: Date): Promise<number>
}

export interface AuditEvent {
  tenantId: string
  occurredAt: Date
  type: AuditEventType
  /** Who did it: `client:<id>` for API callers, `system` for the server itself. */
  actor: string
  clientId: string | null
  /** Non-secret details; never a token, secret or hash. */
  data: Record<string, unknown>
}

export interface StoredAuditEvent extends AuditEvent {
  id: string
  /** Its number in the tenant's hash chain. */
  seq: number | null
}

export interface AuditQuery {
  tenantId: string
  clientId?: string | undefined
  type?: string | undefined
  since?: Date | undefined
  until?: Date | undefined
  limit: number
  cursor?: string | undefined
}

/** A token's audit record, committed only while its application and secret are still live. */
export interface TokenAuditEvent extends AuditEvent {
  live: { clientId: string; secretId: string; ip: string }
}

export interface AuditStore {
  append(events: readonly AuditEvent[]): Promise<void>
  /**
   * Commits token records in one transaction that also confirms each application is still
   * active and unexpired and each secret still valid, and records their use. Returns, per
   * event, whether it was committed: `false` means the application was revoked, deleted or
   * its secret ended in the meantime, so the token must not be returned.
   */
  appendTokenEvents(events: readonly TokenAuditEvent[], now: Date): Promise<boolean[]>
  list(query: AuditQuery): Promise<Page<StoredAuditEvent>>
}

/** One authentication with a client secret, for its "last used" (time and address). */
export interface SecretUse {
  secretId: string
  clientId: string
  ip: string
  at: Date
}

export interface SecretUsage {
  /** Best effort and throttled per secret; never call it inside a transaction. */
  record(uses: readonly SecretUse[], now: Date): Promise<void>
}

/** A secret reported as leaked: its keyed hash, never the secret. */
export interface LeakedSecret {
  hash: string
  tenantId: string
  clientId: string
  secretId: string
  hint: string
  /** Where it was found, as the reporter said (a GitHub URL, a file). */
  url: string | null
  /** `github`, `admin`. */
  source: string
  /** The audit actor who reported it. */
  reporter: string
  action: LeakResponse
  tokensRevoked: number
  reports: number
  firstReportedAt: Date
  lastReportedAt: Date
}

export interface LeakStore {
  get(hash: string): Promise<LeakedSecret | undefined>
  insert(leak: LeakedSecret): Promise<void>
  reportedAgain(hash: string, at: Date): Promise<void>
  list(tenantId: string, clientId: string | undefined, limit: number): Promise<LeakedSecret[]>
  /**
   * The unexpired tokens issued with one secret since `since`, from their audit records, newest
   * first: what a leak of that secret revokes.
   */
  tokensOfSecret(
    tenantId: string,
    clientId: string,
    secretId: string,
    since: Date,
    now: Date,
    limit: number,
  ): Promise<{ jti: string; exp: number }[]>
}

/** One issued token, as the insight rollup reads it from its audit record. */
export interface TokenRecord {
  id: number
  tenantId: string
  clientId: string
  issuedAt: number
  expiresAt: number
  audience: string
  scope: string
}

/** Tokens that carried one scope, per application, audience and UTC day. */
export interface ScopeUsage {
  tenantId: string
  clientId: string
  audience: string
  scope: string
  day: number
  tokens: number
  lastAt: number
}

/** What a verifier reported: its checks required `scope` of `clientId`'s tokens. */
export interface ScopeRequirement {
  tenantId: string
  clientId: string
  audience: string
  scope: string
  checks: number
  lastRequiredAt: number
}

/** The tokens one application requests for one audience and scope set, as a churn measure. */
export interface TokenStream {
  tenantId: string
  clientId: string
  audience: string
  scopes: string
  lastIssuedAt: number
  lastExpiresAt: number
  /** The current run of tokens requested while the previous still had most of its life. */
  runStartedAt: number
  runTokens: number
  runRemainingMs: number
  churn: {
    detectedAt: number
    tokensPerHour: number
    avgRemainingSeconds: number
    lifetimeSeconds: number
  } | null
}

export interface InsightStore {
  rollupPosition(): Promise<number>
  setRollupPosition(throughId: number): Promise<void>
  /** `token.issued` records after `afterId` written before `before`, in id order. */
  tokenRecordsAfter(afterId: number, before: Date, limit: number): Promise<TokenRecord[]>
  addUsage(usage: readonly ScopeUsage[]): Promise<void>
  usage(tenantId: string, sinceDay: number, clientId?: string): Promise<ScopeUsage[]>
  streams(
    keys: readonly Pick<TokenStream, 'tenantId' | 'clientId' | 'audience' | 'scopes'>[],
  ): Promise<TokenStream[]>
  /** The tenant's streams, or one application's. */
  tenantStreams(tenantId: string, clientId?: string): Promise<TokenStream[]>
  /** Streams (any tenant) found churning since `since`. */
  churnSince(since: Date): Promise<TokenStream[]>
  saveStreams(streams: readonly TokenStream[]): Promise<void>
  recordRequirements(requirements: readonly ScopeRequirement[]): Promise<void>
  requirements(tenantId: string, clientId?: string): Promise<ScopeRequirement[]>
  /** Active applications (any tenant) whose expiry falls in (now, before]. */
  expiringApplications(
    now: Date,
    before: Date,
  ): Promise<{ tenantId: string; clientId: string; name: string; expiresAt: number }[]>
  /** Secrets (any tenant) whose overlap ends in (now, endingBefore] and used since `usedSince`. */
  secretsEndingInUse(
    now: Date,
    endingBefore: Date,
    usedSince: Date,
  ): Promise<
    {
      tenantId: string
      clientId: string
      secretId: string
      hint: string
      expiresAt: number
      lastUsedAt: number
    }[]
  >
  /** True the first time `key` is claimed for the tenant: a finding is announced once. */
  claimNotice(tenantId: string, key: string, at: Date): Promise<boolean>
}

export interface Storage {
  readonly dialect: 'sqlite' | 'postgres'
  readonly tenants: TenantStore
  readonly signingKeys: SigningKeyStore
  readonly apis: ApiStore
  readonly applications: ApplicationStore
  readonly audit: AuditStore
  readonly auditChain: AuditChainStore
  readonly auditSinks: AuditSinkStore
  readonly webhooks: WebhookStore
  readonly portalLinks: PortalLinkStore
  readonly leaks: LeakStore
  readonly insights: InsightStore
  readonly secretUsage: SecretUsage
  readonly revocations: RevocationStore
  readonly users: UserStore
  readonly refreshTokens: RefreshTokenStore
  readonly administrators: AdministratorStore
  readonly consoleSessions: ConsoleSessionStore
  /** Runs `work` in one transaction; the stores passed to it write inside it. */
  transaction<T>(work: (storage: Storage) => Promise<T>): Promise<T>
  /** Shared by every node on this database; scopes Redis keys and notification channels. */
  deploymentId(): Promise<string>
  /** Database connections: open, idle, and callers waiting for one (Postgres; zeros on SQLite). */
  connectionStats(): { total: number; idle: number; waiting: number }
  /** Resolves when storage answers a trivial query. */
  ping(): Promise<void>
  /** Resolves when storage has committed a one-row write: whether it takes writes right now. */
  probeWrite(): Promise<void>
  close(): Promise<void>
}

/** Records audit events; `record` resolves once the event is durably committed. */
export interface AuditSink {
  record(event: AuditEvent): Promise<void>
  /** Resolves `true` once committed, `false` if the application or secret is no longer live. */
  recordToken(event: TokenAuditEvent): Promise<boolean>
}

/** A change other caches must hear about. */
export type Change =
  | { kind: 'application'; tenantId: string; clientId: string }
  | { kind: 'tenant'; tenantId: string }
  /** A new revocation feed entry: live feed streams fetch what is new. */
  | { kind: 'revocation'; tenantId: string }
  /**
   * Delivered locally only, when changes from other nodes may have been missed (the bus was
   * down, or came back): every cache drops everything and every feed stream reads again.
   */
  | { kind: 'resync' }

/** Carries changes to every cache of every node (in process, or through Redis / Postgres). */
export interface ChangeBus {
  publish(change: Change): void
  subscribe(listener: (change: Change) => void): () => void
  /** `degraded`: other nodes' changes may not arrive; caches fall back to polling storage. */
  readonly health: 'ok' | 'degraded'
  /** What carries changes between nodes: `local` (one process), `redis`, `postgres`, `cluster`. */
  readonly transport: string
  close(): Promise<void>
}

/** Counts events per key in a fixed window; shared through Redis at scale, in process otherwise. */
export interface RateLimiter {
  /** Counts one event; resolves to 0 if allowed, else the milliseconds until the window resets. */
  consume(key: string, limit: number, windowMs: number): Promise<number>
  /** Un-counts one event of the current window (never below zero): a reservation given back. */
  release(key: string): Promise<void>
  /** Forgets `key`'s window. */
  reset(key: string): Promise<void>
  /** Where counts are shared: `redis`, or `none` (each process counts for itself). */
  readonly shared: 'redis' | 'none'
  /** False while the shared store does not answer (decisions are then taken locally). */
  readonly healthy: boolean
  /** Decisions taken locally because the shared store did not answer, since start. */
  readonly fallbacks: number
  close(): void
}

/** A stored audit record with its place in the chain; `data` is the stored JSON text. */
export interface ChainedAuditRecord extends StoredChainRecord {
  /** Insertion order, which breaks ties between records that claim the same number. */
  id: number
}

export type AuditCheckpointKind = 'scheduled' | 'on_demand' | 'cut'

export interface AuditCheckpoint {
  tenantId: string
  seq: number
  hash: string
  kind: AuditCheckpointKind
  createdAt: Date
  kid: string
  /** The signed statement (compact JWS): the columns above are only a copy of its payload. */
  jws: string
}

export interface AuditKey {
  kid: string
  tenantId: string
  status: 'current' | 'next' | 'retired'
  publicJwk: PublicJwk
  sealedPrivateKey: string
  createdAt: Date
  activatedAt: Date | null
  retiredAt: Date | null
}

/** Reads of the audit chain, its checkpoints and its signing keys (docs/audit.md). */
export interface AuditChainStore {
  head(tenantId: string): Promise<{ seq: number; hash: string } | undefined>
  /** Every tenant that has a chain. */
  chainedTenants(): Promise<string[]>
  /** Records after the cursor (number, then insertion order), ascending, at most `limit`. */
  records(
    tenantId: string,
    after: { seq: number; id: number },
    throughSeq: number | undefined,
    limit: number,
  ): Promise<ChainedAuditRecord[]>
  /** The last record written before `before`, if any. */
  lastBefore(tenantId: string, before: Date): Promise<ChainedAuditRecord | undefined>
  recordAt(tenantId: string, seq: number): Promise<ChainedAuditRecord | undefined>
  /** Removes the records numbered up to `seq` (retention, behind a `cut` checkpoint). */
  removeThrough(tenantId: string, seq: number): Promise<number>
  checkpoints(tenantId: string): Promise<AuditCheckpoint[]>
  latestCheckpoint(tenantId: string): Promise<AuditCheckpoint | undefined>
  addCheckpoint(checkpoint: AuditCheckpoint): Promise<void>
  keys(tenantId: string): Promise<AuditKey[]>
  insertKey(key: AuditKey): Promise<void>
  setKeyStatus(
    kid: string,
    change: { status: AuditKey['status']; activatedAt?: Date; retiredAt?: Date },
  ): Promise<void>
}

export type AuditSinkKind = 'https' | 'syslog' | 'otlp'

/** A place a tenant's audit records are delivered to (docs/audit.md). */
export interface AuditSinkConfig {
  id: string
  tenantId: string
  kind: AuditSinkKind
  url: string
  /** HTTPS: the signing secret, sealed with the master key. */
  sealedSecret: string | null
  /** The number of the last record the receiver took. */
  deliveredThrough: number
  createdAt: Date
  failures: number
  nextAttemptAt: Date
  lastError: string | null
  lastSuccessAt: Date | null
}

export interface AuditSinkStore {
  insert(sink: AuditSinkConfig): Promise<void>
  list(tenantId: string): Promise<AuditSinkConfig[]>
  delete(tenantId: string, id: string): Promise<boolean>
  /** Sinks of every tenant whose next attempt is due and whose lease is free or `owner`'s. */
  due(now: Date, owner: string): Promise<AuditSinkConfig[]>
  /** Takes the lease until `until`; false when another node holds it. */
  claim(id: string, owner: string, now: Date, until: Date): Promise<boolean>
  /** Records a delivery up to `through` (only while `owner` holds the lease). */
  delivered(id: string, owner: string, through: number, now: Date): Promise<void>
  /** Records a failed attempt and when to try again. */
  failed(id: string, owner: string, error: string, nextAttemptAt: Date): Promise<void>
  release(id: string, owner: string): Promise<void>
}

/** A tenant's webhook endpoint (docs/webhooks.md). */
export interface WebhookEndpoint {
  id: string
  tenantId: string
  url: string
  /** The Standard Webhooks signing secret (`whsec_…`), sealed with the master key. */
  sealedSecret: string
  /** Each subscribed event type, with the number of the audit record it is sent after. */
  subscriptions: Partial<Record<WebhookEventType, number>>
  isEnabled: boolean
  /** The number of the last audit record the endpoint's deliveries have been made for. */
  through: number
  createdAt: Date
  updatedAt: Date
}

/** `pending` (not tried yet, or queued again), `failed` (to be retried), `delivered`, `dead`. */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dead'

/** One event for one endpoint, sent until its receiver answers 2xx or its retries run out. */
export interface WebhookDeliveryRecord {
  /** Also its `webhook-id` (`msg_…`), the same on every attempt. */
  id: string
  tenantId: string
  endpointId: string
  eventType: string
  /** The audit record it was made from; null for a test event. */
  auditSeq: number | null
  /** The body, signed and sent as it is on every attempt. */
  payload: string
  status: WebhookDeliveryStatus
  attempts: number
  nextAttemptAt: Date | null
  lastAttemptAt: Date | null
  /** The receiver's HTTP status at the last attempt; null when it did not answer. */
  lastStatus: number | null
  lastError: string | null
  createdAt: Date
}

export interface DueWebhookDelivery extends WebhookDeliveryRecord {
  url: string
  sealedSecret: string
}

export interface WebhookAttempt {
  status: WebhookDeliveryStatus
  at: Date
  httpStatus: number | null
  error: string | null
  nextAttemptAt: Date | null
}

export interface WebhookStore {
  insertEndpoint(endpoint: WebhookEndpoint): Promise<void>
  getEndpoint(tenantId: string, id: string): Promise<WebhookEndpoint | undefined>
  listEndpoints(tenantId: string): Promise<WebhookEndpoint[]>
  /** Every tenant's endpoints, for the dispatcher. */
  allEndpoints(): Promise<WebhookEndpoint[]>
  /** Writes the subscriptions and whether it is enabled. */
  updateEndpoint(endpoint: WebhookEndpoint): Promise<void>
  /** Removes the endpoint with its deliveries. */
  deleteEndpoint(tenantId: string, id: string): Promise<boolean>
  /**
   * The tenant's audit records after `afterSeq` that webhook events come from, of the given
   * audit types, ascending, at most `limit`; never a `token.issued` row.
   */
  sourceRecords(
    tenantId: string,
    afterSeq: number,
    types: readonly string[],
    limit: number,
  ): Promise<WebhookSourceRecord[]>
  /** Moves an endpoint's cursor from `from` to `to`; false when it is no longer at `from`. */
  advance(endpointId: string, from: number, to: number): Promise<boolean>
  insertDeliveries(deliveries: readonly WebhookDeliveryRecord[]): Promise<void>
  /** Newest first. */
  listDeliveries(
    tenantId: string,
    endpointId: string,
    query: { status?: WebhookDeliveryStatus | undefined } & PageRequest,
  ): Promise<Page<WebhookDeliveryRecord>>
  getDelivery(
    tenantId: string,
    endpointId: string,
    id: string,
  ): Promise<WebhookDeliveryRecord | undefined>
  /** A failed or dead delivery no attempt is under way for, due again at `at`; else false. */
  requeue(tenantId: string, endpointId: string, id: string, at: Date): Promise<boolean>
  /** Deliveries of enabled endpoints whose attempt is due and whose lease is free, oldest due first. */
  due(now: Date, limit: number): Promise<DueWebhookDelivery[]>
  /** Takes the delivery's lease until `until`; false when another node holds it or it is not due. */
  claim(id: string, owner: string, now: Date, until: Date): Promise<boolean>
  /** Records an attempt (only while `owner` holds the lease) and ends the lease. */
  attempted(id: string, owner: string, attempt: WebhookAttempt): Promise<void>
  /** A disabled endpoint's waiting deliveries wait without a due time (`due` skips them). */
  pauseDeliveries(endpointId: string): Promise<void>
  /** Enabled again: its waiting deliveries are due at `at`. */
  resumeDeliveries(endpointId: string, at: Date): Promise<void>
  /** Removes the endpoint's delivered and dead deliveries made before `before`. */
  prune(endpointId: string, before: Date): Promise<number>
}
