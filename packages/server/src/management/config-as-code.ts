// Configuration as code: a tenant's APIs, applications and settings as one declarative file
// (`tokenmint export`), the difference between a file and the live tenant as a plan, and that
// plan applied in one transaction (`tokenmint apply`). Identity in the file is by audience for
// APIs and by environment/name for applications, so a file applies to another tenant too.
//
// A secretless application's keys, jwks_uri and trust policies are in (config-credentials.ts).
// Left out on purpose: secrets and password hashes (never exported), people (administrators and
// users are managed where their passwords are), the built-in admin application and API (made
// with the tenant; the CLI depends on them), revoked applications (they cannot come back), and
// the signing algorithm (a key property, changed with `tokenmint keys rotate`).
import { createHash } from 'node:crypto'

import { ADMIN_AUDIENCE } from '../domain/admin-api.js'
import type { Authority } from '../domain/authority.js'
import {
  catalogInput,
  catalogScopes,
  catalogView,
  validateCatalog,
  type ScopeCatalog,
  type WireCatalog,
} from '../domain/catalog.js'
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  type FieldError,
} from '../domain/errors.js'
import {
  GRANT_TYPES,
  type Api,
  type Application,
  type GrantType,
  type LeakResponse,
  type Tenant,
} from '../domain/model.js'
import { validateCustomClaims } from '../domain/platform.js'
import { normaliseScopeList } from '../domain/scopes.js'
import type { Change, ClientCredentials, Storage } from '../storage/contract.js'
import { createApi, deleteApi, updateApi } from './apis.js'
import { sharedApisFor, tenantClaimNames } from './shared-apis.js'
import { deleteApplication } from './application-endings.js'
import { createApplication, DEFAULT_ENVIRONMENT, updateApplication } from './applications.js'
import {
  applyCredentials,
  credentialChanges,
  credentialsConfig,
  prefetchCredentials,
  wantedCredentials,
  type ConfigCredentials,
} from './config-credentials.js'
import type { ManagementDeps } from './deps.js'
import { updateTenantSettings } from './tenants.js'

export const CONFIG_FORMAT_VERSION = 1

export interface ConfigTenant {
  display_name?: string
  default_token_lifetime_seconds?: number
  max_token_lifetime_seconds?: number
  leak_response?: LeakResponse
}

export interface ConfigApi {
  audience: string
  name: string
  scopes?: string[]
  catalog?: WireCatalog
}

export interface ConfigApplication extends ConfigCredentials {
  name: string
  environment?: string
  description?: string
  grant_types?: GrantType[]
  grants?: { audience: string; scopes: string[] }[]
  token_lifetime_seconds?: number | null
  expires_at?: string | null
  can_introspect?: boolean
  token_rate_limit_per_minute?: number | null
  dpop_bound_access_tokens?: boolean
  claims?: Record<string, string>
}

/** The file, as `tokenmint export` writes it (`version` first, then in this order). */
export interface TenantConfig {
  version: typeof CONFIG_FORMAT_VERSION
  tenant?: ConfigTenant
  apis?: ConfigApi[]
  applications?: ConfigApplication[]
}

export type ChangeKind = 'tenant' | 'api' | 'application'

export interface FieldChange {
  field: string
  before: unknown
  after: unknown
}

export interface PlannedChange {
  action: 'create' | 'update' | 'delete'
  kind: ChangeKind
  /** The audience of an API, `environment/name` of an application, the id of the tenant. */
  key: string
  /** For an update, the fields that change; for a create or delete, every field. */
  fields: FieldChange[]
  /** What else the change does, in words (a new secret, scopes taken from other applications). */
  notes: string[]
}

export interface ConfigPlan {
  tenant: string
  changes: PlannedChange[]
  /** Live objects the file does not name and that `prune` would delete (or did). */
  unmanaged: { kind: ChangeKind; key: string }[]
  /** Hash of `changes`: apply refuses when the plan it computes is not the one reviewed. */
  digest: string
  /** The admin scopes applying this plan needs. */
  requiredScopes: string[]
}

export interface AppliedConfig {
  plan: ConfigPlan
  /** Applications the plan created, each with its secret (if it has one): shown this once. */
  created: { environment: string; name: string; clientId: string; clientSecret?: string }[]
}

// ---- export -------------------------------------------------------------------------------

const sortedGrantTypes = (types: readonly GrantType[]) =>
  GRANT_TYPES.filter((t) => types.includes(t))
const byKey =
  <T>(key: (item: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0
const applicationKey = (a: { environment?: string; name: string }) =>
  `${a.environment ?? DEFAULT_ENVIRONMENT}/${a.name}`

function apiConfig(api: Pick<Api, 'audience' | 'name' | 'scopes' | 'catalog'>): ConfigApi {
  if (api.catalog === null) return { audience: api.audience, name: api.name, scopes: api.scopes }
  const defined = new Set(catalogScopes(api.catalog))
  return {
    audience: api.audience,
    name: api.name,
    scopes: api.scopes.filter((s) => !defined.has(s)),
    catalog: catalogView(api.catalog),
  }
}

/** An application's settings in a file (its credentials are credentialsConfig's). */
type ApplicationSettings = Required<Omit<ConfigApplication, keyof ConfigCredentials>>

function applicationConfig(application: Application): ApplicationSettings {
  return {
    name: application.name,
    environment: application.environment,
    description: application.description,
    grant_types: sortedGrantTypes(application.grantTypes),
    grants: application.grants
      .map((g) => ({ audience: g.audience, scopes: [...g.scopes].sort() }))
      .sort(byKey((g) => g.audience)),
    token_lifetime_seconds: application.tokenLifetimeSeconds,
    expires_at: application.expiresAt?.toISOString() ?? null,
    can_introspect: application.canIntrospect,
    token_rate_limit_per_minute: application.tokenRateLimitPerMinute,
    dpop_bound_access_tokens: application.dpopBoundAccessTokens,
    claims: sortedClaims(application.claims),
  }
}

function sortedClaims(claims: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(claims).sort(([a], [b]) => (a < b ? -1 : 1)))
}

function tenantConfig(tenant: Tenant): Required<ConfigTenant> {
  return {
    display_name: tenant.displayName,
    default_token_lifetime_seconds: tenant.defaultTokenLifetimeSeconds,
    max_token_lifetime_seconds: tenant.maxTokenLifetimeSeconds,
    leak_response: tenant.leakResponse,
  }
}

interface LiveTenant {
  tenant: Tenant
  apis: Api[]
  /** APIs the deployment shares with the tenant: granted like its own, never its to export. */
  sharedApis: Api[]
  applications: Application[]
  /** The credentials of the applications without a secret, by client id. */
  credentials: Map<string, ClientCredentials>
  /** Claim names shared APIs fill from tenant fields: no application may set them. */
  tenantClaimNames: ReadonlySet<string>
}

async function readLive(storage: Storage, tenantId: string): Promise<LiveTenant> {
  const tenant = await storage.tenants.get(tenantId)
  if (tenant === undefined) throw new NotFoundError('tenant', tenantId)
  const applications = (await storage.applications.listAll(tenantId)).filter(
    (a) => !a.isBuiltIn && a.status !== 'revoked',
  )
  const credentials = new Map<string, ClientCredentials>()
  for (const application of applications)
    if (application.tokenEndpointAuthMethod === 'private_key_jwt')
      credentials.set(
        application.clientId,
        await storage.applications.listCredentials(application.clientId),
      )
  return {
    tenant,
    apis: (await storage.apis.list(tenantId)).filter((a) => !a.isBuiltIn),
    sharedApis: await sharedApisFor(storage, tenantId),
    applications,
    credentials,
    tenantClaimNames: await tenantClaimNames(storage),
  }
}

/** The tenant as a file: stable order, so an unchanged tenant exports byte for byte the same. */
export async function exportConfig(
  deps: Pick<ManagementDeps, 'storage'>,
  tenantId: string,
): Promise<TenantConfig> {
  const live = await readLive(deps.storage, tenantId)
  return {
    version: CONFIG_FORMAT_VERSION,
    tenant: tenantConfig(live.tenant),
    apis: live.apis.map(apiConfig).sort(byKey((a) => a.audience)),
    applications: live.applications
      .map((a) => ({
        ...applicationConfig(a),
        ...credentialsConfig(live.credentials.get(a.clientId)),
      }))
      .sort(byKey(applicationKey)),
  }
}

// ---- plan ---------------------------------------------------------------------------------

interface DesiredApi {
  at: string
  audience: string
  name: string
  scopes: string[]
  catalog: ScopeCatalog | null
}

/** Runs a domain check, reporting its field under the file path `at`. */
function within<T>(at: string, check: () => T, problems: FieldError[]): T | undefined {
  try {
    return check()
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    problems.push({ field: `${at}.${error.field}`, message: error.message })
    return undefined
  }
}

function desiredApis(config: TenantConfig, problems: FieldError[]): DesiredApi[] {
  const seen = new Set<string>()
  const result: DesiredApi[] = []
  for (const [index, api] of (config.apis ?? []).entries()) {
    const at = `apis[${index}]`
    if (api.audience === ADMIN_AUDIENCE) {
      problems.push({
        field: `${at}.audience`,
        message: `the built-in admin API (${ADMIN_AUDIENCE}) comes with every tenant and is not part of the file`,
      })
      continue
    }
    if (seen.has(api.audience)) {
      problems.push({ field: `${at}.audience`, message: `API "${api.audience}" is listed twice` })
      continue
    }
    seen.add(api.audience)
    const wire = api.catalog
    const catalog =
      wire === undefined
        ? null
        : (within(at, () => validateCatalog(catalogInput(wire)), problems) ?? null)
    const flat = within(at, () => normaliseScopeList('scopes', api.scopes ?? []), problems) ?? []
    result.push({
      at,
      audience: api.audience,
      name: api.name,
      catalog,
      scopes: [...new Set([...(catalog === null ? [] : catalogScopes(catalog)), ...flat])],
    })
  }
  return result
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a)
  const right = new Set(b)
  return left.size === right.size && [...left].every((item) => right.has(item))
}
const canonical = (value: unknown) => JSON.stringify(value)

function compare(fields: FieldChange[], field: string, before: unknown, after: unknown): void {
  if (canonical(before) !== canonical(after)) fields.push({ field, before, after })
}

function everyField(value: object, side: 'before' | 'after'): FieldChange[] {
  return Object.entries(value as Record<string, unknown>).map(([field, v]) => ({
    field,
    before: side === 'before' ? v : null,
    after: side === 'after' ? v : null,
  }))
}

const SCOPE_FOR: Record<ChangeKind, Record<PlannedChange['action'], string>> = {
  tenant: { create: 'update:keys', update: 'update:keys', delete: 'update:keys' },
  api: { create: 'create:apis', update: 'update:apis', delete: 'delete:apis' },
  application: {
    create: 'create:applications',
    update: 'update:applications',
    delete: 'delete:applications',
  },
}

interface Planned {
  plan: ConfigPlan
  desiredApis: DesiredApi[]
  /** The file's applications with defaults filled in, by key. */
  desiredApplications: Map<
    string,
    { at: string; value: ApplicationSettings; credentials: ConfigCredentials | undefined }
  >
  live: LiveTenant
}

function planAgainst(live: LiveTenant, config: TenantConfig, prune: boolean, now: Date): Planned {
  const problems: FieldError[] = []
  const changes: PlannedChange[] = []
  const unmanaged: ConfigPlan['unmanaged'] = []
  // Pruning deletes only within the sections the file has: a file of APIs alone prunes no
  // application, so a partial file can never empty a tenant by accident.
  const pruneApis = prune && config.apis !== undefined
  const pruneApplications = prune && config.applications !== undefined

  // Tenant settings: only what the file names is managed.
  if (config.tenant !== undefined) {
    const current = tenantConfig(live.tenant)
    const wanted = { ...current, ...config.tenant }
    if (wanted.default_token_lifetime_seconds > wanted.max_token_lifetime_seconds) {
      problems.push({
        field: 'tenant.default_token_lifetime_seconds',
        message: `must not exceed max_token_lifetime_seconds (${wanted.max_token_lifetime_seconds})`,
      })
    }
    const fields: FieldChange[] = []
    for (const key of Object.keys(current) as (keyof ConfigTenant)[])
      compare(fields, key, current[key], wanted[key])
    if (fields.length > 0)
      changes.push({ action: 'update', kind: 'tenant', key: live.tenant.id, fields, notes: [] })
  }
  const maxLifetime =
    config.tenant?.max_token_lifetime_seconds ?? live.tenant.maxTokenLifetimeSeconds

  // APIs, by audience.
  const apis = desiredApis(config, problems)
  const liveApis = new Map(live.apis.map((a) => [a.audience, a]))
  const apiChanges: PlannedChange[] = []
  for (const api of apis) {
    const current = liveApis.get(api.audience)
    const wanted = apiConfig(api)
    if (current === undefined) {
      apiChanges.push({
        action: 'create',
        kind: 'api',
        key: api.audience,
        fields: everyField(wanted, 'after'),
        notes: [],
      })
      continue
    }
    const before = apiConfig(current)
    const fields: FieldChange[] = []
    compare(fields, 'name', before.name, wanted.name)
    if (!sameSet(current.scopes, api.scopes)) {
      fields.push({
        field: 'scopes',
        before: current.scopes.filter((s) => !api.scopes.includes(s)).map((s) => `-${s}`),
        after: api.scopes.filter((s) => !current.scopes.includes(s)).map((s) => `+${s}`),
      })
    }
    compare(fields, 'catalog', before.catalog ?? null, wanted.catalog ?? null)
    if (fields.length === 0) continue
    const removed = current.scopes.filter((s) => !api.scopes.includes(s))
    apiChanges.push({
      action: 'update',
      kind: 'api',
      key: api.audience,
      fields,
      notes:
        removed.length > 0
          ? [`every application holding ${removed.join(' ')} loses it, in the same transaction`]
          : [],
    })
  }
  const fileAudiences = new Set(apis.map((a) => a.audience))
  const apiDeletes: PlannedChange[] = []
  for (const api of live.apis) {
    if (fileAudiences.has(api.audience)) continue
    unmanaged.push({ kind: 'api', key: api.audience })
    if (pruneApis) {
      apiDeletes.push({
        action: 'delete',
        kind: 'api',
        key: api.audience,
        fields: everyField(apiConfig(api), 'before'),
        notes: [],
      })
    }
  }

  // The scopes each audience will define once applied: the file's APIs, the live ones the file
  // leaves alone (unless pruned), and the admin API as it is.
  const scopesAfter = new Map<string, Set<string>>()
  for (const api of live.sharedApis) scopesAfter.set(api.audience, new Set(api.scopes))
  for (const api of live.apis)
    if (!pruneApis || fileAudiences.has(api.audience))
      scopesAfter.set(api.audience, new Set(api.scopes))
  for (const api of apis) scopesAfter.set(api.audience, new Set(api.scopes))

  // Applications, by environment/name.
  const liveByKey = new Map<string, Application[]>()
  for (const application of live.applications) {
    const key = applicationKey(application)
    liveByKey.set(key, [...(liveByKey.get(key) ?? []), application])
  }
  const desiredApplications: Planned['desiredApplications'] = new Map()
  const applicationChanges: PlannedChange[] = []
  for (const [index, input] of (config.applications ?? []).entries()) {
    const at = `applications[${index}]`
    const key = applicationKey(input)
    if (desiredApplications.has(key)) {
      problems.push({ field: `${at}.name`, message: `application "${key}" is listed twice` })
      continue
    }
    const value: ApplicationSettings = {
      name: input.name,
      environment: input.environment ?? DEFAULT_ENVIRONMENT,
      description: input.description ?? '',
      grant_types: sortedGrantTypes(input.grant_types ?? ['client_credentials']),
      grants: (input.grants ?? [])
        .map((g) => ({ audience: g.audience, scopes: [...new Set(g.scopes)].sort() }))
        .sort(byKey((g) => g.audience)),
      token_lifetime_seconds: input.token_lifetime_seconds ?? null,
      expires_at:
        input.expires_at === undefined || input.expires_at === null
          ? null
          : new Date(input.expires_at).toISOString(),
      can_introspect: input.can_introspect ?? false,
      token_rate_limit_per_minute: input.token_rate_limit_per_minute ?? null,
      dpop_bound_access_tokens: input.dpop_bound_access_tokens ?? false,
      // Checked here, as the admin API would, so that the problem names its place in the file.
      claims: sortedClaims(
        within(
          at,
          () => validateCustomClaims(input.claims ?? {}, live.tenantClaimNames),
          problems,
        ) ?? {},
      ),
    }
    const credentials = wantedCredentials(input, at, problems)
    desiredApplications.set(key, { at, value, credentials })
    for (const [gi, grant] of (input.grants ?? []).entries()) {
      const defined =
        grant.audience === ADMIN_AUDIENCE ? undefined : scopesAfter.get(grant.audience)
      if (grant.audience !== ADMIN_AUDIENCE && defined === undefined) {
        problems.push({
          field: `${at}.grants[${gi}].audience`,
          message: `no API "${grant.audience}" ${pruneApis ? 'is in the file' : 'is in the file or the tenant'}`,
        })
        continue
      }
      for (const [si, scope] of grant.scopes.entries()) {
        if (defined !== undefined && !defined.has(scope))
          problems.push({
            field: `${at}.grants[${gi}].scopes[${si}]`,
            message: `API "${grant.audience}" does not define "${scope}"`,
          })
      }
    }
    if (value.token_lifetime_seconds !== null && value.token_lifetime_seconds > maxLifetime) {
      problems.push({
        field: `${at}.token_lifetime_seconds`,
        message: `must not exceed the tenant's maximum of ${maxLifetime} s`,
      })
    }
    const matches = liveByKey.get(key) ?? []
    if (matches.length > 1) {
      problems.push({
        field: `${at}.name`,
        message: `${matches.length} applications in this tenant are named "${key}" (${matches.map((m) => m.clientId).join(', ')}); rename all but one first`,
      })
      continue
    }
    const current = matches[0]
    const before = current === undefined ? undefined : applicationConfig(current)
    const expiryChanged = before === undefined || before.expires_at !== value.expires_at
    if (
      expiryChanged &&
      value.expires_at !== null &&
      Date.parse(value.expires_at) <= now.getTime()
    ) {
      problems.push({
        field: `${at}.expires_at`,
        message: 'must be in the future (or null for never)',
      })
    }
    if (current === undefined || before === undefined) {
      applicationChanges.push({
        action: 'create',
        kind: 'application',
        key,
        fields: everyField({ ...value, ...credentials }, 'after'),
        notes: [
          credentials === undefined
            ? 'a client secret is made and shown once'
            : 'no secret: it authenticates with the keys or trust policies given',
        ],
      })
      continue
    }
    const fields: FieldChange[] = []
    for (const field of Object.keys(value) as (keyof ApplicationSettings)[])
      compare(fields, field, before[field], value[field])
    if (credentials !== undefined) {
      if (current.tokenEndpointAuthMethod !== 'private_key_jwt')
        problems.push({
          field: at,
          message: `${key} authenticates with client secrets, chosen when it was made: jwks, jwks_uri and trust_policies belong to applications made without a secret`,
        })
      else
        fields.push(
          ...credentialChanges(
            credentialsConfig(live.credentials.get(current.clientId)),
            credentials,
          ),
        )
    }
    if (fields.length > 0)
      applicationChanges.push({
        action: 'update',
        kind: 'application',
        key,
        fields,
        notes: [`client id ${current.clientId}`],
      })
  }
  const applicationDeletes: PlannedChange[] = []
  for (const application of live.applications) {
    const key = applicationKey(application)
    if (desiredApplications.has(key)) continue
    unmanaged.push({ kind: 'application', key })
    if (pruneApplications) {
      applicationDeletes.push({
        action: 'delete',
        kind: 'application',
        key,
        fields: everyField(
          {
            ...applicationConfig(application),
            ...credentialsConfig(live.credentials.get(application.clientId)),
          },
          'before',
        ),
        notes: [`client id ${application.clientId}; its tokens are revoked`],
      })
    }
  }
  // An API is deleted only once nothing that stays holds scopes on it (deleteApi refuses).
  for (const deleted of apiDeletes) {
    const holders = live.applications.filter(
      (a) =>
        !desiredApplications.has(applicationKey(a)) &&
        !pruneApplications &&
        a.grants.some((g) => g.audience === deleted.key),
    )
    if (holders.length > 0)
      problems.push({
        field: 'apis',
        message: `API "${deleted.key}" would be pruned, but ${holders.map(applicationKey).join(', ')} still hold scopes on it; add an applications section or keep the API`,
      })
  }

  const [first, ...others] = problems
  if (first !== undefined) throw new ValidationError(first.field, first.message, others)
  // Dependency order: the tenant, APIs before the applications that use them, and deletions of
  // applications before the deletion of the APIs they held.
  changes.push(...apiChanges, ...applicationChanges, ...applicationDeletes, ...apiDeletes)
  return {
    plan: {
      tenant: live.tenant.id,
      changes,
      unmanaged,
      digest: createHash('sha256').update(canonical(changes)).digest('base64url'),
      requiredScopes: [...new Set(changes.map((c) => SCOPE_FOR[c.kind][c.action]))].sort(),
    },
    desiredApis: apis,
    desiredApplications,
    live,
  }
}

/** What applying `config` would change; changes nothing. */
export async function planConfig(
  deps: Pick<ManagementDeps, 'storage' | 'now'>,
  tenantId: string,
  config: TenantConfig,
  options: { prune: boolean },
): Promise<ConfigPlan> {
  return planAgainst(await readLive(deps.storage, tenantId), config, options.prune, deps.now()).plan
}

// ---- apply --------------------------------------------------------------------------------

/**
 * Applies `config` in one transaction, holding the tenant's change lock so that two applies run
 * one after the other. With `expectedDigest` (the plan the caller reviewed) the apply is refused
 * when the tenant changed in between. Nothing is applied unless everything is.
 */
export async function applyConfig(
  deps: ManagementDeps,
  authority: Authority,
  tenantId: string,
  config: TenantConfig,
  options: { prune: boolean; expectedDigest?: string | undefined },
): Promise<AppliedConfig> {
  const published: Change[] = []
  // Issuers and jwks_uri are fetched now, outside the transaction: no lock over the network.
  const fetched = await prefetchCredentials(
    deps,
    (config.applications ?? []).map((a, i) => ({ ...a, at: `applications[${i}]` })),
  )
  const result = await deps.storage.transaction(async (storage) => {
    await storage.tenants.lockForChange(tenantId)
    const planned = planAgainst(
      await readLive(storage, tenantId),
      config,
      options.prune,
      deps.now(),
    )
    const { plan } = planned
    const missing = plan.requiredScopes.filter((s) => !authority.scopes.has(s))
    if (missing.length > 0)
      throw new ForbiddenError(`applying this plan needs the admin scopes: ${missing.join(' ')}`)
    if (options.expectedDigest !== undefined && options.expectedDigest !== plan.digest) {
      throw new ConflictError(
        'the tenant changed since this plan was made (or the file did); plan again and review it',
      )
    }
    // The use cases below publish changes as they go; inside this transaction those would reach
    // other nodes before the commit, so they are held and published after it.
    const inner: ManagementDeps = {
      ...deps,
      ...fetched,
      storage,
      changes: { publish: (change) => published.push(change) },
    }
    const created: AppliedConfig['created'] = []
    const liveApplications = new Map(planned.live.applications.map((a) => [applicationKey(a), a]))
    for (const change of plan.changes) {
      if (change.kind === 'tenant') {
        await updateTenantSettings(inner, authority.actor, tenantId, {
          displayName: config.tenant?.display_name,
          defaultTokenLifetimeSeconds: config.tenant?.default_token_lifetime_seconds,
          maxTokenLifetimeSeconds: config.tenant?.max_token_lifetime_seconds,
          leakResponse: config.tenant?.leak_response,
        })
      } else if (change.kind === 'api') {
        const api = planned.desiredApis.find((a) => a.audience === change.key)
        if (change.action === 'delete')
          await deleteApi(inner, authority.actor, tenantId, change.key)
        else if (api !== undefined) {
          const input = { name: api.name, scopes: api.scopes, catalog: api.catalog }
          if (change.action === 'create')
            await createApi(inner, authority.actor, tenantId, { ...input, audience: api.audience })
          else await updateApi(inner, authority.actor, tenantId, api.audience, input)
        }
      } else {
        const current = liveApplications.get(change.key)
        if (change.action === 'delete') {
          if (current !== undefined)
            await deleteApplication(inner, authority, tenantId, current.clientId)
          continue
        }
        const desired = planned.desiredApplications.get(change.key)
        if (desired === undefined) continue
        const { value: wanted, credentials } = desired
        const input = {
          name: wanted.name,
          description: wanted.description,
          environment: wanted.environment,
          grantTypes: wanted.grant_types,
          grants: wanted.grants,
          tokenLifetimeSeconds: wanted.token_lifetime_seconds,
          expiresAt: wanted.expires_at === null ? null : new Date(wanted.expires_at),
          canIntrospect: wanted.can_introspect,
          tokenRateLimitPerMinute: wanted.token_rate_limit_per_minute,
          dpopBoundAccessTokens: wanted.dpop_bound_access_tokens,
          claims: wanted.claims,
        }
        if (change.action === 'create') {
          const made = await createApplication(inner, authority, tenantId, {
            ...input,
            ...(credentials?.jwks !== undefined && { jwks: credentials.jwks }),
            ...(credentials?.jwks_uri !== undefined && { jwksUri: credentials.jwks_uri }),
            ...(credentials?.trust_policies !== undefined && {
              trustPolicies: credentials.trust_policies,
            }),
          })
          created.push({
            environment: wanted.environment,
            name: wanted.name,
            clientId: made.application.clientId,
            // Absent for an application made with keys or trust policies: it has no secret.
            ...(made.clientSecret !== undefined && { clientSecret: made.clientSecret }),
          })
        } else if (current !== undefined) {
          // The expiry is only passed on when it changes: an unchanged past expiry stays as is.
          const expiryChanged = change.fields.some((f) => f.field === 'expires_at')
          await updateApplication(inner, authority, tenantId, current.clientId, {
            ...input,
            expiresAt: expiryChanged ? input.expiresAt : undefined,
          })
          const liveCredentials = planned.live.credentials.get(current.clientId)
          if (credentials !== undefined && liveCredentials !== undefined)
            await applyCredentials(
              inner,
              authority,
              { tenantId, clientId: current.clientId },
              liveCredentials,
              credentials,
            )
        }
      }
    }
    if (plan.changes.length > 0) {
      const count = (action: PlannedChange['action']) =>
        plan.changes.filter((c) => c.action === action).length
      await storage.audit.append([
        {
          tenantId,
          occurredAt: deps.now(),
          type: 'config.applied',
          actor: authority.actor,
          clientId: null,
          data: {
            digest: plan.digest,
            created: count('create'),
            updated: count('update'),
            deleted: count('delete'),
            pruned: options.prune,
          },
        },
      ])
    }
    return { plan, created }
  })
  for (const change of published) deps.changes.publish(change)
  return result
}
