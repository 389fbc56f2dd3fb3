import fs from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'

import { pino, type Logger } from 'pino'

import type { Config } from './config/load-config.js'
import { KeySealer } from './crypto/key-sealer.js'
import { SecretHasher } from './crypto/secret-hasher.js'
import { ConflictError } from './domain/errors.js'
import { PasswordGuessing } from './domain/password-guessing.js'
import type { ManagementDeps } from './management/deps.js'
import { createTenant, type CreatedTenant } from './management/tenants.js'
import type { ClientAssertionDeps } from './oauth/client-authentication.js'
import { CachingClientDirectory } from './oauth/client-cache.js'
import { PasswordHasher } from './crypto/password-hasher.js'
import { clientCredentialsGrant } from './oauth/grants/client-credentials.js'
import { passwordGrant } from './oauth/grants/password.js'
import { refreshTokenGrant } from './oauth/grants/refresh-token.js'
import type { ProtectedEndpointDeps } from './oauth/introspection.js'
import { Revocations } from './oauth/revocation-feed.js'
import type { TokenRevocationDeps } from './oauth/token-revocation.js'
import { OwnTokenVerifier } from './oauth/own-token-verifier.js'
import { TrustedIssuers } from './oauth/federation.js'
import { RemoteJwks } from './oauth/remote-jwks.js'
import { TenantKeyring } from './oauth/tenant-keyring.js'
import { createTokenEndpoint, type TokenEndpoint } from './oauth/token-endpoint.js'
import { GroupCommitAuditSink } from './storage/audit-group-commit.js'
import type { ChangeBus, RateLimiter, Storage } from './storage/contract.js'
import { ApplicationExpiryPublisher } from './management/application-expiry.js'
import { AuditSchedule } from './management/audit-schedule.js'
import { AuditSinkDelivery } from './management/audit-sink-delivery.js'
import { WebhookDelivery } from './management/webhook-delivery.js'
import { OutboundFetcher } from './outbound/outbound-fetcher.js'
import { GithubScanningKeys } from './management/github-alerts.js'
import { UsageRollup } from './management/usage-rollup.js'
import { ConsoleSessions } from './management/console-sessions.js'
import { openChangeBus, openRateLimiter } from './storage/shared/open.js'
import { openSqlStorage } from './storage/sql/sql-storage.js'
import { StorageHealth } from './storage/storage-health.js'

export interface Services {
  readonly config: Config
  readonly logger: Logger
  readonly storage: Storage
  readonly storageHealth: StorageHealth
  readonly changes: ChangeBus
  readonly changeStats: { received: number; lastLagSeconds: number; errors: number }
  readonly clients: CachingClientDirectory
  readonly keyring: TenantKeyring
  readonly audit: GroupCommitAuditSink
  /** Scheduled checkpoints and retention of the audit chain; `tick()` runs one round now. */
  readonly auditSchedule: AuditSchedule
  /** Delivers audit records to each tenant's sinks; `tick()` runs one round now. */
  readonly auditSinks: AuditSinkDelivery
  /** Queues and sends each tenant's webhooks; `tick()` runs one round now. */
  readonly webhooks: WebhookDelivery
  readonly tokenEndpoint: TokenEndpoint
  readonly ownTokens: OwnTokenVerifier
  readonly protectedEndpoints: ProtectedEndpointDeps & TokenRevocationDeps
  readonly revocations: Revocations
  readonly management: ManagementDeps
  readonly limiter: RateLimiter
  readonly consoleSessions: ConsoleSessions
  readonly issuerFor: (tenantId: string) => string
  /** GitHub's secret-scanning keys for `POST /leaks/github`; undefined when it is off. */
  readonly githubScanningKeys: GithubScanningKeys | undefined
  /** Folds token records into insight and announces findings; `tick()` runs one round now. */
  readonly usageRollup: UsageRollup
  close(): Promise<void>
}

export const MASTER_KEY_FILE = 'master.key'

/**
 * The embedded default keeps the master key in the data dir, created 0600 on first use.
 * Deployments with shared databases set TOKENMINT_MASTER_KEY on every node instead.
 */
export function resolveMasterKey(config: Config): Buffer {
  if (config.masterKey !== undefined) return config.masterKey
  const file = path.join(config.dataDir, MASTER_KEY_FILE)
  try {
    const bytes = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64')
    if (bytes.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`)
    return bytes
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const key = randomBytes(32)
  // 'wx': never overwrite a key another process created meanwhile.
  try {
    fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return resolveMasterKey(config)
    throw error
  }
  return key
}

export function createLogger(config: Config): Logger {
  return pino({
    level: config.logLevel,
    // Belt and braces: nothing that could hold a credential is ever serialised.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'client_secret',
        'access_token',
        '*.client_secret',
        '*.access_token',
        '*.clientSecret',
      ],
      censor: '[redacted]',
    },
  })
}

export interface ComposeOptions {
  logger?: Logger
  now?: () => Date
}

/** The composition root: Config → storage → services. */
export async function compose(config: Config, options: ComposeOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger(config)
  const now = options.now ?? (() => new Date())
  const masterKey = resolveMasterKey(config)
  const storage = await openSqlStorage(config.databaseUrl, {
    sqliteSynchronous: config.sqliteSynchronous,
    auditChain: config.auditChain,
  })
  const storageHealth = new StorageHealth({ probe: () => storage.probeWrite(), logger })
  const hasher = new SecretHasher(masterKey)
  const sealer = new KeySealer(masterKey)
  const passwords = new PasswordHasher()
  const deploymentId = await storage.deploymentId()
  const changeStats = { received: 0, lastLagSeconds: 0, errors: 0 }
  const changes = await openChangeBus(config, storage.dialect, deploymentId, {
    onLag: (seconds) => {
      changeStats.received++
      changeStats.lastLagSeconds = seconds
    },
    onError: (error) => {
      changeStats.errors++
      logger.warn({ err: error }, 'the change bus lost its connection; polling storage meanwhile')
    },
    onRecover: () => {
      logger.info('the change bus is connected again')
    },
  })
  const issuerFor = (tenantId: string) => `${config.publicUrl}/t/${tenantId}`
  const maxAgeMs = config.cacheMaxAgeSeconds * 1000

  const clients = new CachingClientDirectory(storage.applications, {
    maxAgeMs,
    maxEntries: 200_000,
    now: () => now().getTime(),
  })
  const keyring = new TenantKeyring({
    tenants: storage.tenants,
    signingKeys: storage.signingKeys,
    apis: storage.apis,
    sealer,
    issuerFor,
    maxAgeMs,
    now,
  })
  changes.subscribe((change) => {
    switch (change.kind) {
      case 'resync':
        clients.invalidate()
        keyring.invalidate()
        break
      case 'application':
        clients.invalidate(change.clientId)
        break
      case 'tenant':
        keyring.invalidate(change.tenantId)
        break
      case 'revocation':
        break
    }
  })
  // Administrator-supplied URLs (jwks_uri, trusted issuers, audit sinks) are fetched under the outbound rule.
  const outbound = new OutboundFetcher({
    allow: config.outboundAllow,
    ...(config.outboundCa !== undefined && { ca: config.outboundCa }),
  })
  const remoteJwks = new RemoteJwks(outbound, () => now().getTime())
  const trustedIssuers = new TrustedIssuers(outbound, remoteJwks, () => now().getTime())
  const assertions: ClientAssertionDeps = {
    audiencesFor: (tenantId) => [
      issuerFor(tenantId),
      `${issuerFor(tenantId)}/oauth/token`,
      `${config.publicUrl}/oauth/token`,
    ],
    claimAssertion: (clientId, jti, expiresAt, at) =>
      storage.applications.claimAssertion(clientId, jti, expiresAt, at),
    remoteKeys: (uri, credentialId, kid) => remoteJwks.keys(uri, credentialId, kid),
    issuerKeys: (issuer, policyId, kid) => trustedIssuers.keys(issuer, policyId, kid),
  }
  const audit = new GroupCommitAuditSink(storage.audit, now, {
    concurrency: storage.dialect === 'postgres' ? 2 : 1,
  })
  const limiter = await openRateLimiter(config, deploymentId)
  const tokenEndpoint = createTokenEndpoint({
    // DPoP proof jtis share the table of client assertion jtis, under the key's thumbprint.
    dpop: {
      claimProof: (jkt, jti, until, at) =>
        storage.applications.claimAssertion(`dpop:${jkt}`, jti, until, at),
    },
    clients,
    assertions,
    hasher,
    keyring,
    grants: [
      clientCredentialsGrant,
      ...(() => {
        const userGrantDeps = {
          users: storage.users,
          passwords,
          refreshTokens: storage.refreshTokens,
          hasher,
          guessing: new PasswordGuessing(limiter, storage.users),
          audit,
        }
        return [passwordGrant(userGrantDeps), refreshTokenGrant(userGrantDeps)]
      })(),
    ],
    limiter,
    limits: {
      tokensPerMinute: config.tokenRateLimitPerMinute,
      failedAuthPerMinute: config.failedAuthLimitPerMinute,
    },
    // Benchmarks only: TOKENMINT_AUDIT_TOKENS=off measures what durable token audit costs.
    audit: config.auditTokens
      ? audit
      : { record: () => Promise.resolve(), recordToken: () => Promise.resolve(true) },
    now,
  })
  const revocations = new Revocations({
    store: storage.revocations,
    changes,
    audit,
    now,
    onAuditFailure: (error) => {
      // During a storage outage StorageHealth has logged the cause already.
      if (storageHealth.isAvailable)
        logger.error({ err: error }, 'could not record a token revocation')
    },
  })
  const ownTokens = new OwnTokenVerifier({ keyring, clients, revocations, now })
  const protectedEndpoints: ProtectedEndpointDeps & TokenRevocationDeps = {
    clients,
    assertions,
    hasher,
    now,
    tokens: ownTokens,
    revocations,
    refreshTokens: storage.refreshTokens,
    usage: storage.secretUsage,
  }
  // Feed entries are dropped once every token they concern has expired, so the feed stays small.
  const pruning = setInterval(() => {
    storage.revocations.deleteExpired(now()).catch((error: unknown) => {
      if (storageHealth.isAvailable)
        logger.warn({ err: error }, 'could not prune expired revocations')
    })
    consoleSessions.pruneExpired().catch((error: unknown) => {
      if (storageHealth.isAvailable)
        logger.warn({ err: error }, 'could not prune expired console sessions')
    })
  }, 60_000)
  pruning.unref()
  const management: ManagementDeps = {
    storage,
    hasher,
    passwords,
    sealer,
    changes,
    limiter,
    remoteJwks,
    trustedIssuers,
    outbound,
    now,
  }
  const expiries = new ApplicationExpiryPublisher({ storage, changes, now, logger })
  const auditSchedule = new AuditSchedule({
    storage,
    sealer,
    now,
    logger,
    intervalSeconds: config.auditCheckpointIntervalSeconds,
    retentionDays: config.auditRetentionDays,
    storageAvailable: () => storageHealth.isAvailable,
  })
  auditSchedule.start()
  const auditSinks = new AuditSinkDelivery({
    storage,
    sealer,
    fetcher: outbound,
    now,
    logger,
    storageAvailable: () => storageHealth.isAvailable,
  })
  auditSinks.start()
  const webhooks = new WebhookDelivery({
    storage,
    sealer,
    fetcher: outbound,
    now,
    logger,
    storageAvailable: () => storageHealth.isAvailable,
  })
  webhooks.start()
  const usageRollup = new UsageRollup({
    storage,
    now,
    logger,
    storageAvailable: () => storageHealth.isAvailable,
  })
  usageRollup.start()
  const consoleSessions = new ConsoleSessions({
    storage,
    hasher,
    passwords,
    limiter,
    audit,
    now,
    idleTimeoutMs: config.consoleIdleTimeoutSeconds * 1000,
    lifetimeMs: config.consoleSessionLifetimeSeconds * 1000,
  })

  return {
    config,
    logger,
    storage,
    storageHealth,
    changes,
    changeStats,
    clients,
    keyring,
    audit,
    auditSchedule,
    auditSinks,
    webhooks,
    tokenEndpoint,
    ownTokens,
    protectedEndpoints,
    revocations,
    management,
    limiter,
    consoleSessions,
    issuerFor,
    usageRollup,
    githubScanningKeys:
      config.githubScanningKeys === undefined
        ? undefined
        : new GithubScanningKeys(config.githubScanningKeys, outbound, () => now().getTime()),
    async close() {
      clearInterval(pruning)
      await expiries.close()
      await auditSchedule.stop()
      await auditSinks.stop()
      await webhooks.stop()
      await usageRollup.stop()
      await audit.drain()
      await changes.close()
      limiter.close()
      storageHealth.close()
      await storage.close()
    },
  }
}

/** First start: the root tenant with its admin application. Undefined if already initialised. */
export async function initialiseIfEmpty(
  services: Services,
  options: { tenantId: string; signingAlgorithm?: CreatedTenant['tenant']['signingAlgorithm'] },
): Promise<CreatedTenant | undefined> {
  if ((await services.storage.tenants.count()) > 0) return undefined
  try {
    return await createTenant(services.management, 'system', {
      id: options.tenantId,
      isRoot: true,
      signingAlgorithm: options.signingAlgorithm,
    })
  } catch (error) {
    // Nodes started together race to initialise: one creates the tenant, the rest find it.
    if (error instanceof ConflictError) return undefined
    throw error
  }
}
