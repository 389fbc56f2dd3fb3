// The configuration-as-code file (`tokenmint export` / `tokenmint apply`): its JSON Schema,
// published at /admin/v1/config.schema.json so editors validate and complete it, and the check
// that turns a parsed YAML or JSON document into a TenantConfig or names every bad path in it.
import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'

import { ValidationError, type FieldError } from '../../domain/errors.js'
import type { TenantConfig } from '../../management/config-as-code.js'
import { Catalog } from './schemas.js'

const Name = (maxLength: number) => Type.String({ minLength: 1, maxLength })
const Scope = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$',
})

export const ConfigFile = Type.Object(
  {
    $schema: Type.Optional(Type.String({ maxLength: 2000 })),
    version: Type.Literal(1, { description: 'The file format; 1 is the only one so far.' }),
    tenant: Type.Optional(
      Type.Object(
        {
          display_name: Type.Optional(Name(200)),
          default_token_lifetime_seconds: Type.Optional(
            Type.Integer({ minimum: 60, maximum: 86_400 }),
          ),
          max_token_lifetime_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400 })),
          leak_response: Type.Optional(
            Type.Union([Type.Literal('revoke_secret'), Type.Literal('revoke_application')], {
              description:
                'What a reported leak of a client secret does: remove that secret and revoke its tokens (default), or revoke the whole application.',
            }),
          ),
        },
        {
          additionalProperties: false,
          description: 'Settings of the tenant the file is applied to.',
        },
      ),
    ),
    apis: Type.Optional(
      Type.Array(
        Type.Object(
          {
            audience: Type.String({ minLength: 1, maxLength: 512, pattern: '^\\S+$' }),
            name: Name(200),
            scopes: Type.Optional(
              Type.Array(Scope, {
                maxItems: 500,
                description: 'Flat scopes; beside a catalog, the extra ones it does not define.',
              }),
            ),
            catalog: Type.Optional(Catalog),
          },
          { additionalProperties: false },
        ),
        { maxItems: 500, description: 'APIs, identified by audience.' },
      ),
    ),
    applications: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Name(200),
            environment: Type.Optional(Name(50)),
            description: Type.Optional(Type.String({ maxLength: 2000 })),
            grant_types: Type.Optional(
              Type.Array(
                Type.Union([
                  Type.Literal('client_credentials'),
                  Type.Literal('password'),
                  Type.Literal('refresh_token'),
                ]),
                { minItems: 1, maxItems: 3 },
              ),
            ),
            grants: Type.Optional(
              Type.Array(
                Type.Object(
                  {
                    audience: Type.String({ minLength: 1, maxLength: 512 }),
                    scopes: Type.Array(Scope, { maxItems: 500 }),
                  },
                  { additionalProperties: false },
                ),
                { maxItems: 50 },
              ),
            ),
            token_lifetime_seconds: Type.Optional(
              Type.Union([Type.Null(), Type.Integer({ minimum: 60, maximum: 86_400 })]),
            ),
            expires_at: Type.Optional(
              Type.Union([Type.Null(), Type.String({ format: 'date-time' })], {
                description: 'An RFC 3339 date-time, or null for never.',
              }),
            ),
            can_introspect: Type.Optional(Type.Boolean()),
            token_rate_limit_per_minute: Type.Optional(
              Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: 1_000_000 })]),
            ),
            dpop_bound_access_tokens: Type.Optional(Type.Boolean()),
            claims: Type.Optional(
              Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 256 }), {
                maxProperties: 20,
                description: 'Static claims its tokens carry (reserved names are refused).',
              }),
            ),
            jwks: Type.Optional(
              Type.Object(
                {
                  keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), {
                    minItems: 1,
                    maxItems: 10,
                  }),
                },
                {
                  description:
                    'Public keys: the application authenticates with private_key_jwt (no secret).',
                },
              ),
            ),
            jwks_uri: Type.Optional(
              Type.String({
                maxLength: 2048,
                description: 'Where the application publishes its public keys (no secret).',
              }),
            ),
            trust_policies: Type.Optional(
              Type.Array(
                Type.Object(
                  {
                    issuer: Type.String({ maxLength: 2048 }),
                    audience: Type.String({ maxLength: 512 }),
                    subject: Type.String({ maxLength: 512 }),
                    conditions: Type.Optional(Type.Record(Type.String(), Type.String())),
                  },
                  { additionalProperties: false },
                ),
                {
                  maxItems: 10,
                  description:
                    'Workload identity federation: the outside workloads it accepts (no secret).',
                },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        {
          maxItems: 5000,
          description:
            'OAuth applications, identified by environment and name (unique per tenant).',
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    title: 'Tokenmint tenant configuration',
    description:
      'What `tokenmint export` writes and `tokenmint apply` reads. Never holds secrets, password hashes, people, or the built-in admin application and API.',
  },
)
export type ConfigFile = Static<typeof ConfigFile>

export const PlanBody = Type.Object(
  {
    config: Type.Unknown({
      description: 'The configuration file, as JSON (see /admin/v1/config.schema.json).',
    }),
    prune: Type.Optional(
      Type.Boolean({ description: 'Delete the APIs and applications the file does not name.' }),
    ),
  },
  { additionalProperties: false },
)

export const ApplyBody = Type.Object(
  {
    config: Type.Unknown(),
    prune: Type.Optional(Type.Boolean()),
    plan_digest: Type.Optional(
      Type.String({
        maxLength: 100,
        description:
          'The digest of the plan that was reviewed: the apply is refused (409) when the plan it computes differs.',
      }),
    ),
  },
  { additionalProperties: false },
)

const Kind = Type.Union([Type.Literal('tenant'), Type.Literal('api'), Type.Literal('application')])

export const ConfigPlan = Type.Object({
  tenant: Type.String(),
  changes: Type.Array(
    Type.Object({
      action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete')]),
      kind: Kind,
      key: Type.String(),
      fields: Type.Array(
        Type.Object({
          field: Type.String(),
          before: Type.Unknown(),
          after: Type.Unknown(),
        }),
      ),
      notes: Type.Array(Type.String()),
    }),
  ),
  unmanaged: Type.Array(Type.Object({ kind: Kind, key: Type.String() })),
  digest: Type.String(),
  required_scopes: Type.Array(Type.String()),
})

export const AppliedConfig = Type.Object({
  plan: ConfigPlan,
  created: Type.Array(
    Type.Object({
      environment: Type.String(),
      name: Type.String(),
      client_id: Type.String(),
      client_secret: Type.Optional(
        Type.String({ description: 'Absent for an application made with keys or trust policies.' }),
      ),
    }),
  ),
})

/** `/applications/3/grants/0/scopes/1` → `applications[3].grants[0].scopes[1]`. */
export function configPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce(
      (path, part) =>
        /^\d+$/.test(part) ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`,
      '',
    )
}

function describe(error: {
  keyword: string
  instancePath: string
  message: string
  params: Record<string, unknown>
}): FieldError | undefined {
  const path = configPath(error.instancePath)
  switch (error.keyword) {
    case 'boolean': // the `false` schema of additionalProperties: report the property itself
      return { field: path, message: 'is not a field of this file' }
    case 'additionalProperties':
      return undefined
    case 'required': {
      const missing = (error.params['requiredProperties'] as string[] | undefined) ?? []
      const field = missing.map((name) => (path === '' ? name : `${path}.${name}`)).join(', ')
      return { field, message: 'is required' }
    }
    case 'anyOf':
      return undefined
    case 'pattern':
      return {
        field: path,
        message:
          error.params['pattern'] === '^\\S+$'
            ? 'must not contain spaces'
            : 'must be a scope: printable ASCII without spaces, double quotes or backslashes (RFC 6749 §3.3)',
      }
    default:
      return {
        field: path === '' ? '(file)' : path,
        message: error.message,
      }
  }
}

const SECTIONS = {
  apis: ConfigFile.properties.apis.items,
  applications: ConfigFile.properties.applications.items,
}

/** Value.Errors stops at the first bad item of an array: each item is also checked alone. */
function allErrors(value: unknown): Parameters<typeof describe>[0][] {
  const errors = [...Value.Errors(ConfigFile, value)]
  if (typeof value === 'object' && value !== null) {
    for (const section of ['apis', 'applications'] as const) {
      const items = (value as Record<string, unknown>)[section]
      if (!Array.isArray(items)) continue
      for (const [index, item] of items.entries()) {
        for (const error of Value.Errors(SECTIONS[section], item))
          errors.push({ ...error, instancePath: `/${section}/${index}${error.instancePath}` })
      }
    }
  }
  const seen = new Set<string>()
  return errors.filter((e) => {
    const key = `${e.instancePath}|${e.keyword}|${e.message}`
    return !seen.has(key) && seen.add(key)
  })
}

/** The file as a TenantConfig, or a ValidationError naming every path that is wrong. */
export function parseConfigFile(value: unknown): TenantConfig {
  if (Value.Check(ConfigFile, value)) {
    const config: TenantConfig & { $schema?: string } = { ...value }
    delete config.$schema
    return config
  }
  const byField = new Map<string, FieldError & { keyword: string }>()
  for (const error of allErrors(value)) {
    const problem = describe(error)
    if (problem === undefined) continue
    const earlier = byField.get(problem.field)
    if (earlier === undefined) {
      if (byField.size < 20) byField.set(problem.field, { ...problem, keyword: error.keyword })
    } else if (error.keyword === 'type' && earlier.keyword === 'type') {
      // A value of neither branch of `null | integer` fails both: say so once.
      earlier.message += ` or ${problem.message.replace(/^must be (?:an? )?/, '')}`
    } else if (earlier.keyword === 'type') {
      // The value has the type of another branch, whose own rule it breaks: that is the news.
      byField.set(problem.field, { ...problem, keyword: error.keyword })
    }
  }
  const [first, ...others] = [...byField.values()].map(({ field, message }) => ({ field, message }))
  if (first === undefined)
    throw new ValidationError('(file)', 'the file is not a Tokenmint configuration')
  throw new ValidationError(first.field, first.message, others)
}

/** The document served at /admin/v1/config.schema.json and kept in the repository. */
export function configSchemaDocument(): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      ...ConfigFile,
    }),
  ) as Record<string, unknown>
}
