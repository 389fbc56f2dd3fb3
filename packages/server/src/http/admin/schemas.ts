import { Type, type Static } from '@fastify/type-provider-typebox'

const Timestamp = Type.String({ format: 'date-time' })
const NullableTimestamp = Type.Union([Timestamp, Type.Null()])
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
export const ApiParams = Type.Object({ tenant: Type.String(), api: Type.String() })

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

export const Tenant = Type.Object({
  id: Type.String(),
  display_name: Type.String(),
  is_root: Type.Boolean(),
  issuer: Type.String(),
  token_endpoint: Type.String(),
  signing_algorithm: SigningAlgorithm,
  default_token_lifetime_seconds: Type.Integer(),
  max_token_lifetime_seconds: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
})

export const CreateTenantBody = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 63 }),
    display_name: Type.Optional(Type.String({ maxLength: 200 })),
    signing_algorithm: Type.Optional(SigningAlgorithm),
  },
  { additionalProperties: false },
)

export const AdminCredentials = Type.Object({
  client_id: Type.String(),
  client_secret: Type.String({ description: 'Shown once.' }),
})

export const CreatedTenant = Type.Object({ tenant: Tenant, admin: AdminCredentials })

export const Api = Type.Object({
  id: Type.String(),
  audience: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  built_in: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
})

export const CreateApiBody = Type.Object(
  {
    audience: Type.String({ minLength: 1, maxLength: 512 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    scopes: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
      maxItems: 1000,
      default: [],
    }),
  },
  { additionalProperties: false },
)

export const SecretSummary = Type.Object({
  id: Type.String(),
  hint: Type.String(),
  created_at: Timestamp,
  expires_at: NullableTimestamp,
  last_used_at: NullableTimestamp,
  last_used_ip: Type.Union([Type.String(), Type.Null()]),
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
  token_lifetime_seconds: Type.Union([Type.Integer(), Type.Null()]),
  expires_at: NullableTimestamp,
  token_endpoint: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
  last_used_at: NullableTimestamp,
  secrets: Type.Optional(Type.Array(SecretSummary)),
})

export const CreateApplicationBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    environment: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    grant_types: Type.Optional(Type.Array(GrantType, { minItems: 1, maxItems: 3 })),
    grants: Type.Optional(Type.Array(ScopeGrant, { maxItems: 50 })),
    token_lifetime_seconds: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    expires_at: Type.Optional(
      Type.Union([
        Type.String({ description: 'ISO 8601 date or date-time, or "never"' }),
        Type.Null(),
      ]),
    ),
  },
  { additionalProperties: false },
)

export const CreatedApplication = Type.Intersect([
  Application,
  Type.Object({ client_secret: Type.String({ description: 'Shown once; store it now.' }) }),
])

export const ApplicationPage = Type.Object({
  items: Type.Array(Application),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
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
  retired: Type.Union([SigningKey, Type.Null()]),
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

export const AuditEvent = Type.Object({
  id: Type.String(),
  occurred_at: Timestamp,
  type: Type.String(),
  actor: Type.String(),
  client_id: Type.Union([Type.String(), Type.Null()]),
  data: Type.Record(Type.String(), Type.Unknown()),
})

export const AuditPage = Type.Object({
  items: Type.Array(AuditEvent),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
})

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  error: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
})

export { Type }

export type CreateApplicationBody = Static<typeof CreateApplicationBody>
