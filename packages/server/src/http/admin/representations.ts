import type { Static } from '@fastify/type-provider-typebox'

import type {
  Api,
  Application,
  ClientJwksUri,
  ClientKey,
  TrustPolicy,
  ClientSecret,
  Tenant,
} from '../../domain/model.js'
import { effectiveStatus } from '../../domain/model.js'
import { catalogView, presetsOf } from '../../domain/catalog.js'
import { isStillInUse } from '../../management/application-secrets.js'
import type { KeySummary } from '../../management/keys.js'
import type { StoredAuditEvent } from '../../storage/contract.js'
import type * as S from './schemas.js'

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString())

export function tenantView(tenant: Tenant, issuer: string): Static<typeof S.Tenant> {
  return {
    id: tenant.id,
    display_name: tenant.displayName,
    is_root: tenant.isRoot,
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    signing_algorithm: tenant.signingAlgorithm,
    default_token_lifetime_seconds: tenant.defaultTokenLifetimeSeconds,
    max_token_lifetime_seconds: tenant.maxTokenLifetimeSeconds,
    leak_response: tenant.leakResponse,
    external_id: tenant.externalId,
    metadata: { ...tenant.metadata },
    status: tenant.status,
    created_at: tenant.createdAt.toISOString(),
    updated_at: tenant.updatedAt.toISOString(),
  }
}

export { catalogInput, catalogView } from '../../domain/catalog.js'

/** `viewer`: the tenant asking. A shared API shows whom it is shared with only to its owner. */
export function apiView(api: Api, viewer: string): Static<typeof S.Api> {
  const owned = api.tenantId === viewer
  return {
    id: api.id,
    audience: api.audience,
    name: api.name,
    scopes: api.scopes,
    catalog: api.catalog === null ? null : catalogView(api.catalog),
    presets: presetsOf(api.scopes, api.catalog),
    built_in: api.isBuiltIn,
    shared: api.sharing !== null,
    shared_with:
      !owned || api.sharing === null
        ? null
        : api.sharing.tenants === 'all'
          ? 'all'
          : [...api.sharing.tenants],
    read_only: api.isBuiltIn || !owned,
    tenant_claims: api.tenantClaims,
    created_at: api.createdAt.toISOString(),
    updated_at: api.updatedAt.toISOString(),
  }
}

/** `applicationActive`: a revoked or expired application's secrets are in use by nobody. */
export function secretView(
  secret: ClientSecret,
  now: Date,
  applicationActive = true,
): Static<typeof S.SecretSummary> {
  return {
    id: secret.id,
    hint: secret.hint,
    created_at: secret.createdAt.toISOString(),
    expires_at: iso(secret.expiresAt),
    last_used_at: iso(secret.lastUsedAt),
    last_used_ip: secret.lastUsedIp,
    still_in_use: applicationActive && isStillInUse(secret, now),
  }
}

export function clientKeyView(key: ClientKey): Static<typeof S.KeySummary> {
  return {
    id: key.id,
    kid: key.kid,
    thumbprint: key.thumbprint,
    jwk: { ...key.jwk },
    created_at: key.createdAt.toISOString(),
    last_used_at: iso(key.lastUsedAt),
    last_used_ip: key.lastUsedIp,
  }
}

export function trustPolicyView(policy: TrustPolicy): Static<typeof S.TrustPolicySummary> {
  return {
    id: policy.id,
    issuer: policy.issuer,
    audience: policy.audience,
    subject: policy.subject,
    conditions: { ...policy.conditions },
    created_at: policy.createdAt.toISOString(),
    last_used_at: iso(policy.lastUsedAt),
    last_used_ip: policy.lastUsedIp,
  }
}

export interface ApplicationDetails {
  secrets?: readonly ClientSecret[]
  keys?: readonly ClientKey[]
  jwksUri?: ClientJwksUri | undefined
  trustPolicies?: readonly TrustPolicy[]
  usage?: { day: string; tokens: number }[]
}

export function applicationView(
  application: Application,
  issuer: string,
  now: Date,
  details: ApplicationDetails = {},
): Static<typeof S.Application> {
  const secrets = details.secrets
  type Credential = ClientSecret | ClientKey | ClientJwksUri | TrustPolicy
  const credentials: readonly Credential[] = [
    ...(secrets ?? []),
    ...(details.keys ?? []),
    ...(details.jwksUri === undefined ? [] : [details.jwksUri]),
    ...(details.trustPolicies ?? []),
  ]
  const lastUsed = credentials.reduce<Credential | undefined>(
    (latest, s) =>
      s.lastUsedAt !== null && (latest?.lastUsedAt ?? new Date(0)) < s.lastUsedAt ? s : latest,
    undefined,
  )
  const status = effectiveStatus(application, now)
  const isActive = status === 'active'
  const warnings = (isActive ? (secrets ?? []) : [])
    .filter((s) => isStillInUse(s, now))
    .map(
      (s) =>
        `secret ${s.hint} is still in use but stops working at ${s.expiresAt?.toISOString() ?? ''}: ending it now would break a client`,
    )
  return {
    client_id: application.clientId,
    tenant: application.tenantId,
    claims: application.claims,
    name: application.name,
    description: application.description,
    environment: application.environment,
    status,
    grant_types: application.grantTypes,
    grants: application.grants,
    token_lifetime_seconds: application.tokenLifetimeSeconds,
    expires_at: iso(application.expiresAt),
    token_endpoint: `${issuer}/oauth/token`,
    created_at: application.createdAt.toISOString(),
    updated_at: application.updatedAt.toISOString(),
    last_used_at: iso(application.lastUsedAt),
    can_introspect: application.canIntrospect,
    dpop_bound_access_tokens: application.dpopBoundAccessTokens,
    token_rate_limit_per_minute: application.tokenRateLimitPerMinute,
    built_in: application.isBuiltIn,
    version: application.version,
    token_endpoint_auth_method: application.tokenEndpointAuthMethod,
    ...(secrets && { secrets: secrets.map((s) => secretView(s, now, isActive)) }),
    ...(details.keys && { keys: details.keys.map(clientKeyView) }),
    ...(details.keys && { jwks_uri: details.jwksUri?.uri ?? null }),
    ...(details.trustPolicies && { trust_policies: details.trustPolicies.map(trustPolicyView) }),
    ...(details.usage && {
      usage: {
        last_used_at: iso(application.lastUsedAt),
        last_client_ip: lastUsed?.lastUsedIp ?? null,
        tokens_per_day: details.usage,
      },
    }),
    ...(warnings.length > 0 && { warnings }),
  }
}

export function keyView(key: KeySummary): Static<typeof S.SigningKey> {
  return {
    kid: key.kid,
    algorithm: key.algorithm,
    status: key.status,
    created_at: key.createdAt.toISOString(),
    activated_at: iso(key.activatedAt),
    retired_at: iso(key.retiredAt),
    publish_until: iso(key.publishUntil),
  }
}

export function auditView(event: StoredAuditEvent): Static<typeof S.AuditEvent> {
  return {
    id: event.id,
    seq: event.seq,
    occurred_at: event.occurredAt.toISOString(),
    type: event.type,
    actor: event.actor,
    client_id: event.clientId,
    data: event.data,
  }
}
