import type { Generated } from 'kysely'

/** Column types as both dialects return them: times are epoch milliseconds, JSON is text. */
export interface TenantsTable {
  id: string
  display_name: string
  is_root: number
  signing_algorithm: string
  default_token_lifetime_seconds: number
  max_token_lifetime_seconds: number
  created_at: number
  updated_at: number
  leak_response: Generated<string>
  external_id: string | null
  metadata: Generated<string>
  status: Generated<string>
}

export interface SigningKeysTable {
  kid: string
  tenant_id: string
  algorithm: string
  status: string
  public_jwk: string
  sealed_private_key: string
  created_at: number
  activated_at: number | null
  retired_at: number | null
  publish_until: number | null
}

export interface ApisTable {
  id: string
  tenant_id: string
  audience: string
  name: string
  scopes: string
  catalog: string | null
  version: Generated<number>
  is_built_in: number
  created_at: number
  updated_at: number
  sharing: string | null
  tenant_claims: string | null
}

export interface ApplicationsTable {
  client_id: string
  tenant_id: string
  name: string
  description: string
  environment: string
  status: string
  grant_types: string
  grants: string
  token_lifetime_seconds: number | null
  expires_at: number | null
  created_at: number
  updated_at: number
  last_used_at: number | null
  version: Generated<number>
  can_introspect: Generated<number>
  token_rate_limit_per_minute: number | null
  is_built_in: Generated<number>
  /** 1 while the expiry is set and not yet published to the revocation feed. */
  expiry_pending: Generated<number>
  token_endpoint_auth_method: Generated<string>
  dpop_bound_access_tokens: Generated<number>
  claims: string | null
}

export interface ClientSecretsTable {
  id: string
  client_id: string
  hash: string
  hint: string
  created_at: number
  expires_at: number | null
  last_used_at: number | null
  last_used_ip: string | null
  /** 'secret', 'public_key', 'jwks_uri' (migration 012) or 'trust_policy' (013). */
  kind: Generated<string>
  public_jwk: string | null
  trust_policy: string | null
}

export interface UsedClientAssertionsTable {
  client_id: string
  jti: string
  expires_at: number
}

export interface LeakedSecretsTable {
  /** The secret's keyed hash (crypto/secret-hasher), as client_secrets.hash has it. */
  hash: string
  tenant_id: string
  client_id: string
  secret_id: string
  hint: string
  url: string | null
  source: string
  reporter: string
  action: string
  tokens_revoked: number
  reports: number
  first_reported_at: number
  last_reported_at: number
}

export interface UsageRollupTable {
  name: string
  through_id: number
}

export interface ScopeUsageDailyTable {
  tenant_id: string
  client_id: string
  audience: string
  scope: string
  /** Days since the epoch (UTC). */
  day: number
  tokens: number
  last_at: number
}

export interface TokenStreamsTable {
  tenant_id: string
  client_id: string
  audience: string
  /** The token's scopes, space-separated as issued. */
  scopes: string
  last_issued_at: number
  last_expires_at: number
  run_started_at: number
  run_tokens: number
  run_remaining_ms: number
  churn_detected_at: number | null
  churn_tokens_per_hour: number | null
  churn_avg_remaining_seconds: number | null
  churn_lifetime_seconds: number | null
}

export interface ScopeRequirementsTable {
  tenant_id: string
  client_id: string
  audience: string
  scope: string
  checks: number
  last_required_at: number
}

export interface InsightNoticesTable {
  tenant_id: string
  key: string
  created_at: number
}

export interface AuditEventsTable {
  id: Generated<number>
  tenant_id: string
  occurred_at: number
  type: string
  actor: string
  client_id: string | null
  data: string
  /** The tenant's hash chain (domain/audit-chain); null only with TOKENMINT_AUDIT_CHAIN=off. */
  seq: number | null
  prev_hash: string | null
  hash: string | null
}

export interface AuditHeadsTable {
  tenant_id: string
  seq: number
  hash: string
}

export interface AuditCheckpointsTable {
  id: Generated<number>
  tenant_id: string
  seq: number
  hash: string
  kind: string
  created_at: number
  kid: string
  jws: string
}

export interface AuditSinksTable {
  id: string
  tenant_id: string
  kind: string
  url: string
  sealed_secret: string | null
  delivered_through: number
  created_at: number
  failures: Generated<number>
  next_attempt_at: number
  last_error: string | null
  last_success_at: number | null
  lease_owner: string | null
  lease_until: number | null
}

export interface WebhookEndpointsTable {
  id: string
  tenant_id: string
  url: string
  sealed_secret: string
  /** JSON: `{ "<event type>": <audit seq it is sent after> }`. */
  event_types: string
  enabled: number
  through: number
  created_at: number
  updated_at: number
}

export interface WebhookDeliveriesTable {
  id: string
  tenant_id: string
  endpoint_id: string
  event_type: string
  audit_seq: number | null
  payload: string
  status: string
  attempts: Generated<number>
  next_attempt_at: number | null
  last_attempt_at: number | null
  last_status: number | null
  last_error: string | null
  created_at: number
  lease_owner: string | null
  lease_until: number | null
}

export interface AuditKeysTable {
  kid: string
  tenant_id: string
  status: string
  public_jwk: string
  sealed_private_key: string
  created_at: number
  activated_at: number | null
  retired_at: number | null
}

export interface RevocationsTable {
  id: Generated<number>
  tenant_id: string
  type: string
  client_id: string
  jti: string | null
  revoked_at: number
  expires_at: number
}

/** The columns every account table has (users, administrators): see account-store.ts. */
export interface AccountColumns {
  id: string
  tenant_id: string
  username: string
  username_key: string
  status: string
  password_hash: string
  created_at: number
  updated_at: number
  password_changed_at: number
  version: number
}

export interface UsersTable extends AccountColumns {
  email: string | null
  display_name: string | null
  grants: string
  failed_attempts: number
  locked_until: number | null
  last_login_at: number | null
}

export interface RefreshTokensTable {
  id: string
  tenant_id: string
  family_id: string
  client_id: string
  user_id: string
  token_hash: string
  audience: string
  scopes: string
  created_at: number
  idle_expires_at: number
  family_expires_at: number
  used_at: number | null
  revoked_at: number | null
}

export interface AdministratorsTable extends AccountColumns {
  role: string
  last_sign_in_at: number | null
  signs_in_with: string
}

export interface PortalLinksTable {
  id_hash: string
  tenant_id: string
  email: string
  name: string | null
  role: string
  return_url: string | null
  session_lifetime_seconds: number
  created_by: string
  created_at: number
  expires_at: number
  used_at: number | null
}

export interface ConsoleSessionsTable {
  id_hash: string
  tenant_id: string
  administrator_id: string
  created_at: number
  last_seen_at: number
  expires_at: number
}

export interface DeploymentTable {
  id: string
  created_at: number
}

export interface StorageProbeTable {
  id: number
  written_at: number
}

export interface Database {
  tenants: TenantsTable
  signing_keys: SigningKeysTable
  apis: ApisTable
  applications: ApplicationsTable
  client_secrets: ClientSecretsTable
  leaked_secrets: LeakedSecretsTable
  usage_rollup: UsageRollupTable
  scope_usage_daily: ScopeUsageDailyTable
  token_streams: TokenStreamsTable
  scope_requirements: ScopeRequirementsTable
  insight_notices: InsightNoticesTable
  used_client_assertions: UsedClientAssertionsTable
  audit_events: AuditEventsTable
  audit_heads: AuditHeadsTable
  audit_checkpoints: AuditCheckpointsTable
  audit_keys: AuditKeysTable
  audit_sinks: AuditSinksTable
  webhook_endpoints: WebhookEndpointsTable
  webhook_deliveries: WebhookDeliveriesTable
  revocations: RevocationsTable
  users: UsersTable
  refresh_tokens: RefreshTokensTable
  administrators: AdministratorsTable
  console_sessions: ConsoleSessionsTable
  portal_links: PortalLinksTable
  deployment: DeploymentTable
  storage_probe: StorageProbeTable
}
