import { Type, type Static } from 'typebox'

import { AUDIT_EVENT_TYPES } from '../../domain/audit-events.js'

const Timestamp = Type.String({ format: 'date-time' })
const NullableTimestamp = Type.Union([Type.Null(), Timestamp])
const SigningAlgorithm = Type.Union([
  Type.Literal('ES256'),
  Type.Literal('RS256'),
  Type.Literal('PS256'),
  Type.Literal('EdDSA'),
])
const GrantType = Type.Union([
  Type.Literal('client_credentials'),
  Type.Literal('password'),
  Type.Literal('refresh_token'),
])

export const TenantParams = Type.Object({ tenant: Type.String() })
export const ApplicationParams = Type.Object({ tenant: Type.String(), clientId: Type.String() })
export const ApplicationKeyParams = Type.Object({
  tenant: Type.String(),
  clientId: Type.String(),
  kid: Type.String({ maxLength: 200 }),
})
export const TrustPolicyParams = Type.Object({
  tenant: Type.String(),
  clientId: Type.String(),
  policyId: Type.String({ maxLength: 100 }),
})
export const ApiParams = Type.Object({ tenant: Type.String(), api: Type.String() })
export const IfMatch = Type.Object({ 'if-match': Type.Optional(Type.String()) })

export const ApplicationListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  environment: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  status: Type.Optional(
    Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('expired')]),
  ),
  q: Type.Optional(
    Type.String({ maxLength: 200, description: 'Substring of the name, client id or description' }),
  ),
})

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
})

export const ScopeGrant = Type.Object(
  {
    audience: Type.String({ minLength: 1, maxLength: 512 }),
    scopes: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 500 }),
  },
  { additionalProperties: false },
)

export const GrantInput = Type.Object(
  {
    audience: Type.String({ minLength: 1, maxLength: 512 }),
    scopes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 500 }),
    ),
    preset: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'read-only, full-access or a named preset of the API',
      }),
    ),
  },
  { additionalProperties: false },
)

const CatalogAction = Type.Union([
  Type.Literal('read'),
  Type.Literal('create'),
  Type.Literal('update'),
  Type.Literal('delete'),
])

export const Catalog = Type.Object(
  {
    categories: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 200 }),
          resources: Type.Array(
            Type.Object(
              {
                name: Type.String({ minLength: 1, maxLength: 200 }),
                slug: Type.Optional(Type.String({ maxLength: 100 })),
                actions: Type.Array(CatalogAction, { minItems: 1, maxItems: 4 }),
                description: Type.Optional(Type.String({ maxLength: 1000 })),
              },
              { additionalProperties: false },
            ),
            { maxItems: 500 },
          ),
        },
        { additionalProperties: false },
      ),
      { maxItems: 100 },
    ),
    custom_scopes: Type.Optional(
      Type.Array(
        Type.Object(
          {
            scope: Type.String({ minLength: 1, maxLength: 200 }),
            description: Type.Optional(Type.String({ maxLength: 1000 })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 500 },
      ),
    ),
    presets: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            description: Type.Optional(Type.String({ maxLength: 1000 })),
            scopes: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
  },
  { additionalProperties: false },
)

export const Preset = Type.Object({
  name: Type.String(),
  description: Type.Optional(Type.String()),
  scopes: Type.Array(Type.String()),
})

export const Tenant = Type.Object({
  id: Type.String(),
  display_name: Type.String(),
  is_root: Type.Boolean(),
  issuer: Type.String(),
  token_endpoint: Type.String(),
  signing_algorithm: SigningAlgorithm,
  default_token_lifetime_seconds: Type.Integer(),
  max_token_lifetime_seconds: Type.Integer(),
  leak_response: Type.Union([Type.Literal('revoke_secret'), Type.Literal('revoke_application')], {
    description: 'What a reported leak of one of its client secrets does.',
  }),
  external_id: Type.Union([Type.Null(), Type.String()], {
    description: "The platform vendor's own id for this customer; unique across the deployment.",
  }),
  metadata: Type.Record(Type.String(), Type.String(), {
    description: 'Free-form string fields the vendor keeps with the tenant.',
  }),
  status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('deleted')], {
    description:
      'A suspended tenant gets no token and its administrators are turned away; a deleted tenant is gone (404) and never listed.',
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
})

const ExternalId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' })
const TenantMetadata = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.String({ maxLength: 1024 }),
  { maxProperties: 50 },
)

export const CreateTenantBody = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 63 }),
    display_name: Type.Optional(Type.String({ maxLength: 200 })),
    signing_algorithm: Type.Optional(SigningAlgorithm),
    external_id: Type.Optional(
      Type.String({
        ...ExternalId,
        description:
          'Makes the call idempotent: when a tenant with this external_id exists (with the same id), it is returned (200, created false) and nothing is created.',
      }),
    ),
    metadata: Type.Optional(TenantMetadata),
  },
  { additionalProperties: false },
)

export const UpdateTenantBody = Type.Object(
  {
    display_name: Type.Optional(Type.String({ maxLength: 200 })),
    external_id: Type.Optional(
      Type.Union([Type.Null(), ExternalId], { description: 'null removes it.' }),
    ),
    metadata: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 1024 }), {
        maxProperties: 50,
        description: 'Replaces the whole metadata.',
      }),
    ),
  },
  { additionalProperties: false },
)

export const ExistingTenant = Type.Object({
  created: Type.Literal(false),
  tenant: Tenant,
})

export const AdminCredentials = Type.Object({
  client_id: Type.String(),
  client_secret: Type.String({ description: 'Shown once.' }),
})

export const CreatedTenant = Type.Object({
  created: Type.Literal(true),
  tenant: Tenant,
  admin: AdminCredentials,
  owner: Type.Object(
    { username: Type.String(), password: Type.String(), console_url: Type.String() },
    { description: "The tenant's first console administrator; the password is shown this once." },
  ),
})

export const Api = Type.Object({
  id: Type.String(),
  audience: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  catalog: Type.Union([Type.Null(), Catalog]),
  presets: Type.Array(Preset),
  built_in: Type.Boolean(),
  shared: Type.Boolean({
    description:
      'Defined by the root tenant and offered to tenants (platform mode); its audience is reserved across the deployment.',
  }),
  shared_with: Type.Union([Type.Null(), Type.Literal('all'), Type.Array(Type.String())], {
    description: 'Whom a shared API is offered to; shown to the root tenant only.',
  }),
  read_only: Type.Boolean({
    description: 'Not changeable by this tenant: the built-in admin API, or an API shared with it.',
  }),
  tenant_claims: Type.Record(Type.String(), Type.String(), {
    description:
      'Claim name → tenant field (id, external_id, display_name, metadata.<key>) that the API’s tokens carry.',
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
})

const SharedWith = Type.Union(
  [
    Type.Literal('all'),
    Type.Array(Type.String({ maxLength: 63 }), { minItems: 1, maxItems: 1000 }),
    Type.Null(),
  ],
  {
    description:
      'Root tenant only: offer the API to every tenant ("all") or to the tenants listed; null stops sharing.',
  },
)
const TenantClaims = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 80 }), {
  description:
    'Shared APIs: claim name → tenant field its tokens carry (id, external_id, display_name or metadata.<key>).',
  maxProperties: 20,
})

export const CreateApiBody = Type.Object(
  {
    audience: Type.String({ minLength: 1, maxLength: 512 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    scopes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 }),
    ),
    catalog: Type.Optional(Catalog),
    shared_with: Type.Optional(SharedWith),
    tenant_claims: Type.Optional(TenantClaims),
  },
  { additionalProperties: false },
)

export const UpdateApiBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    scopes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 }),
    ),
    catalog: Type.Optional(Type.Union([Type.Null(), Catalog])),
    shared_with: Type.Optional(SharedWith),
    tenant_claims: Type.Optional(TenantClaims),
  },
  { additionalProperties: false },
)

export const UpdatedApi = Type.Object({
  api: Api,
  removed_scopes: Type.Array(Type.String()),
  affected_applications: Type.Array(Type.String()),
})

/** A JWK Set as registered (each key is checked by crypto/client-jwk). */
export const Jwks = Type.Object(
  {
    keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: 10 }),
  },
  { description: 'A JWK Set of public keys (EC P-256/384/521, RSA ≥ 2048 bits, Ed25519).' },
)

export const KeySummary = Type.Object({
  id: Type.String(),
  kid: Type.String(),
  thumbprint: Type.String({ description: 'RFC 7638 SHA-256 thumbprint, base64url' }),
  jwk: Type.Record(Type.String(), Type.Unknown(), { description: 'The public key' }),
  created_at: Timestamp,
  last_used_at: NullableTimestamp,
  last_used_ip: Type.Union([Type.Null(), Type.String()]),
})

/** A trust policy as given (workload identity federation; checked by management/trust-policies). */
export const TrustPolicyInput = Type.Object(
  {
    issuer: Type.String({
      maxLength: 2048,
      description:
        "The outside OIDC issuer, exactly as its tokens' iss says (e.g. https://token.actions.githubusercontent.com); its keys come from its discovery document.",
    }),
    audience: Type.String({
      maxLength: 512,
      description: "What the platform token's aud must contain.",
    }),
    subject: Type.String({
      maxLength: 512,
      description:
        "Pattern the token's sub must match: exact, or with * as a whole segment (one segment in the middle, the remainder at the end), e.g. repo:acme/deploy:ref:refs/heads/main.",
    }),
    conditions: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description:
          'More claims to match, name → pattern (e.g. environment: production). A nested claim is a /-path: kubernetes.io/namespace.',
      }),
    ),
  },
  { additionalProperties: false },
)

export const TrustPolicySummary = Type.Object({
  id: Type.String(),
  issuer: Type.String(),
  audience: Type.String(),
  subject: Type.String(),
  conditions: Type.Record(Type.String(), Type.String()),
  created_at: Timestamp,
  last_used_at: NullableTimestamp,
  last_used_ip: Type.Union([Type.Null(), Type.String()]),
})

export const SecretSummary = Type.Object({
  id: Type.String(),
  hint: Type.String(),
  created_at: Timestamp,
  expires_at: NullableTimestamp,
  last_used_at: NullableTimestamp,
  last_used_ip: Type.Union([Type.Null(), Type.String()]),
  still_in_use: Type.Boolean({ description: 'Its overlap ends soon but clients still use it.' }),
})

export const Application = Type.Object({
  client_id: Type.String(),
  tenant: Type.String(),
  name: Type.String(),
  description: Type.String(),
  environment: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('expired')]),
  grant_types: Type.Array(GrantType),
  grants: Type.Array(ScopeGrant),
  token_lifetime_seconds: Type.Union([Type.Null(), Type.Integer()]),
  expires_at: NullableTimestamp,
  token_endpoint: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
  last_used_at: NullableTimestamp,
  can_introspect: Type.Boolean(),
  token_rate_limit_per_minute: Type.Union([Type.Null(), Type.Integer()]),
  dpop_bound_access_tokens: Type.Boolean({
    description:
      'RFC 9449: every token request must carry a DPoP proof, and every token is bound to its key.',
  }),
  claims: Type.Record(Type.String(), Type.String(), {
    description: 'Static custom claims its tokens carry.',
  }),
  built_in: Type.Boolean({
    description:
      "The tenant's built-in admin application, whose credentials the tokenmint CLI uses: only an owner may change it.",
  }),
  version: Type.Integer(),
  token_endpoint_auth_method: Type.Union(
    [Type.Literal('client_secret_basic'), Type.Literal('private_key_jwt')],
    {
      description:
        "client_secret_basic: client secrets (HTTP Basic or client_secret_post); private_key_jwt: RFC 7523 assertions, signed with a registered key or, with trust policies, a workload's platform token.",
    },
  ),
  secrets: Type.Optional(Type.Array(SecretSummary)),
  keys: Type.Optional(Type.Array(KeySummary)),
  jwks_uri: Type.Optional(
    Type.Union([Type.Null(), Type.String()], {
      description: 'Where a private_key_jwt application publishes its public keys.',
    }),
  ),
  trust_policies: Type.Optional(Type.Array(TrustPolicySummary)),
  usage: Type.Optional(
    Type.Object({
      last_used_at: NullableTimestamp,
      last_client_ip: Type.Union([Type.Null(), Type.String()]),
      tokens_per_day: Type.Array(Type.Object({ day: Type.String(), tokens: Type.Integer() })),
    }),
  ),
  warnings: Type.Optional(Type.Array(Type.String())),
})

export const CreateApplicationBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    environment: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    grant_types: Type.Optional(Type.Array(GrantType, { minItems: 1, maxItems: 3 })),
    grants: Type.Optional(Type.Array(GrantInput, { maxItems: 50 })),
    token_lifetime_seconds: Type.Optional(Type.Union([Type.Null(), Type.Integer()])),
    expires_at: Type.Optional(
      Type.Union([
        Type.String({ description: 'ISO 8601 date or date-time, or "never"' }),
        Type.Null(),
      ]),
    ),
    can_introspect: Type.Optional(
      Type.Boolean({
        description:
          "A resource server's credentials: may introspect and read the revocation feed.",
      }),
    ),
    token_rate_limit_per_minute: Type.Optional(Type.Union([Type.Null(), Type.Integer()])),
    dpop_bound_access_tokens: Type.Optional(
      Type.Boolean({
        description:
          'RFC 9449: refuse token requests without a DPoP proof (every token bound to a key the client holds).',
      }),
    ),
    jwks: Type.Optional(
      Type.Intersect([Jwks], {
        description:
          'Public keys instead of a secret: the application authenticates with private_key_jwt (RFC 7523) and no secret is created.',
      }),
    ),
    jwks_uri: Type.Optional(
      Type.String({
        maxLength: 2048,
        description:
          'Instead of jwks: an https URL where the application publishes its public keys (fetched under the outbound rule, cached).',
      }),
    ),
    claims: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 256 }), {
        maxProperties: 20,
        description:
          'Static claims its tokens carry. Registered and reserved names (iss, sub, aud, scope, client_id, tenant, …) and names a shared API takes from tenant fields are refused.',
      }),
    ),
    trust_policies: Type.Optional(
      Type.Array(TrustPolicyInput, {
        minItems: 1,
        maxItems: 10,
        description:
          'Workload identity federation: outside workloads (GitHub Actions, GitLab CI, Kubernetes) whose platform tokens the application accepts as its client assertion. No secret is created.',
      }),
    ),
  },
  { additionalProperties: false },
)

export const UpdateApplicationBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    environment: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    grant_types: Type.Optional(Type.Array(GrantType, { minItems: 1, maxItems: 3 })),
    grants: Type.Optional(Type.Array(GrantInput, { maxItems: 50 })),
    token_lifetime_seconds: Type.Optional(Type.Union([Type.Null(), Type.Integer()])),
    expires_at: Type.Optional(Type.Union([Type.Null(), Type.String()])),
    can_introspect: Type.Optional(Type.Boolean()),
    token_rate_limit_per_minute: Type.Optional(Type.Union([Type.Null(), Type.Integer()])),
    dpop_bound_access_tokens: Type.Optional(Type.Boolean()),
    claims: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 256 }), {
        maxProperties: 20,
        description:
          'Static claims its tokens carry. Registered and reserved names (iss, sub, aud, scope, client_id, tenant, …) and names a shared API takes from tenant fields are refused.',
      }),
    ),
    jwks_uri: Type.Optional(
      Type.String({
        maxLength: 2048,
        description: 'A new jwks_uri, for an application that publishes its keys at one.',
      }),
    ),
  },
  { additionalProperties: false },
)

export const RotateSecretBody = Type.Object(
  {
    overlap_seconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 2_592_000,
        description: 'Default 86400 (24 h); 0 ends the old secret at once.',
      }),
    ),
  },
  { additionalProperties: false },
)

export const RotatedSecret = Type.Object({
  client_id: Type.String(),
  client_secret: Type.String({ description: 'Shown once; store it now.' }),
  secret: SecretSummary,
  previous_secret: Type.Union([Type.Null(), SecretSummary]),
  warnings: Type.Optional(Type.Array(Type.String())),
})

export const Snippets = Type.Object({
  token_endpoint: Type.String(),
  audience: Type.Union([Type.Null(), Type.String()]),
  curl: Type.String(),
  curl_form: Type.String(),
  curl_basic: Type.String(),
  typescript: Type.String(),
  python: Type.String(),
})

export const ApplicationDetail = Type.Intersect([
  Application,
  Type.Object({
    token_requests: Type.Array(Snippets, {
      description:
        'Ready-to-run token requests, one per granted API, with the secret as the placeholder $CLIENT_SECRET.',
    }),
  }),
])

export const UpdatedApplication = Type.Intersect([
  ApplicationDetail,
  Type.Object({ notice: Type.Optional(Type.String()) }),
])

export const CreatedApplication = Type.Intersect([
  Application,
  Type.Object({
    client_secret: Type.Optional(
      Type.String({
        description: 'Shown once; store it now. Absent when the application was created with keys.',
      }),
    ),
    snippets: Snippets,
  }),
])

export const ApplicationPage = Type.Object({
  items: Type.Array(Application),
  next_cursor: Type.Union([Type.Null(), Type.String()]),
})

export const SigningKey = Type.Object({
  kid: Type.String(),
  algorithm: SigningAlgorithm,
  status: Type.Union([Type.Literal('next'), Type.Literal('current'), Type.Literal('retired')]),
  created_at: Timestamp,
  activated_at: NullableTimestamp,
  retired_at: NullableTimestamp,
  publish_until: NullableTimestamp,
})

export const RotateKeysBody = Type.Object(
  { signing_algorithm: Type.Optional(SigningAlgorithm) },
  { additionalProperties: false },
)

export const RotatedKeys = Type.Object({
  current: SigningKey,
  next: SigningKey,
  retired: Type.Union([Type.Null(), SigningKey]),
  pre_published: Type.Boolean(),
})

export const AuditQuery = Type.Object({
  client_id: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  since: Type.Optional(Timestamp),
  until: Type.Optional(Timestamp),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 40 })),
})

export const AuditEventType = Type.Enum(AUDIT_EVENT_TYPES)

export const AuditEvent = Type.Object({
  id: Type.String(),
  seq: Type.Union([Type.Null(), Type.Integer()], {
    description: "The record's number in the tenant's hash chain (see /audit/verify)",
  }),
  occurred_at: Timestamp,
  type: AuditEventType,
  actor: Type.String(),
  client_id: Type.Union([Type.Null(), Type.String()]),
  data: Type.Record(Type.String(), Type.Unknown()),
})

export const AuditPage = Type.Object({
  items: Type.Array(AuditEvent),
  next_cursor: Type.Union([Type.Null(), Type.String()]),
})

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  error: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
})

// Users and administrators share these; the password policy itself (length, common passwords,
// the username) is domain/passwords.ts's, with its own messages.
const Username = Type.String({ minLength: 1, maxLength: 128 })
const Password = Type.String({ minLength: 1, maxLength: 256 })
const AccountStatus = Type.Union([Type.Literal('active'), Type.Literal('disabled')])

export const UserParams = Type.Object({ tenant: Type.String(), user: Type.String() })

export const User = Type.Object({
  id: Type.String(),
  username: Type.String(),
  email: Type.Union([Type.Null(), Type.String()]),
  display_name: Type.Union([Type.Null(), Type.String()]),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled'), Type.Literal('locked')]),
  locked_until: NullableTimestamp,
  grants: Type.Array(ScopeGrant),
  created_at: Timestamp,
  updated_at: Timestamp,
  last_login_at: NullableTimestamp,
})

export const UserPage = Type.Object({
  items: Type.Array(User),
  next_cursor: Type.Union([Type.Null(), Type.String()]),
})

export const CreateUserBody = Type.Object(
  {
    username: Username,
    password: Password,
    email: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 254 })])),
    display_name: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 200 })])),
    grants: Type.Optional(Type.Array(ScopeGrant, { maxItems: 50 })),
  },
  { additionalProperties: false },
)

export const UpdateUserBody = Type.Object(
  {
    username: Type.Optional(Username),
    email: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 254 })])),
    display_name: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 200 })])),
    grants: Type.Optional(Type.Array(ScopeGrant, { maxItems: 50 })),
  },
  { additionalProperties: false },
)

export const SetPasswordBody = Type.Object({ password: Password }, { additionalProperties: false })

export const AdministratorRole = Type.Union([
  Type.Literal('owner'),
  Type.Literal('admin'),
  Type.Literal('viewer'),
])

export const Administrator = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: AdministratorRole,
  status: AccountStatus,
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  last_sign_in_at: Type.Union([Type.Null(), Type.String({ format: 'date-time' })]),
  signs_in_with: Type.Union([Type.Literal('password'), Type.Literal('portal_link')], {
    description:
      'portal_link: a person the platform vendor signs in with portal links; has no password.',
  }),
})

export const CreatedAdministrator = Type.Intersect([
  Administrator,
  Type.Object({
    password: Type.Optional(
      Type.String({ description: 'Generated when none was given; shown this once.' }),
    ),
  }),
])

export const AdministratorList = Type.Object({ items: Type.Array(Administrator) })

export const AdministratorParams = Type.Object({
  tenant: Type.String(),
  administrator: Type.String(),
})

export const CreateAdministratorBody = Type.Object(
  { username: Username, role: AdministratorRole, password: Type.Optional(Password) },
  { additionalProperties: false },
)

export const UpdateAdministratorBody = Type.Object(
  {
    role: Type.Optional(AdministratorRole),
    status: Type.Optional(AccountStatus),
    password: Type.Optional(Password),
  },
  { additionalProperties: false },
)

export { Type }

export type CreateApplicationBody = Static<typeof CreateApplicationBody>
