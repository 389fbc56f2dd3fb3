/**
 * Hostile calls to the admin API, for every operation of its OpenAPI document: bodies generated
 * from the operation's schema, then mutated; credentials valid or broken, by Bearer token or by
 * console session. A call must fail when its credentials are broken or it crosses tenants, and
 * only calls that must fail ever reach the protected objects.
 */
import fc from 'fast-check'

import type { Collection, FuzzContext, FuzzRequest, JsonSchema, Operation } from './support.js'
import {
  hostileString,
  headerSafeString,
  mostly,
  wrongTypeJson,
  percentEncode,
  basicOf,
  decodeSegment,
} from './values.js'

/** JSON text for a value of `schema`, with realistic values for the fields that matter. */
function schemaValue(
  context: FuzzContext,
  schema: JsonSchema,
  name: string,
  depth = 0,
): fc.Arbitrary<string> {
  const hinted = hintFor(context, name)
  const plain = plainSchemaValue(context, schema, name, depth)
  return hinted === undefined
    ? plain
    : fc.oneof({ weight: 3, arbitrary: hinted }, { weight: 1, arbitrary: plain })
}

function hintFor(context: FuzzContext, name: string): fc.Arbitrary<string> | undefined {
  const json = (a: fc.Arbitrary<unknown>) => a.map((v) => JSON.stringify(v))
  switch (name) {
    case 'audience':
      return json(
        fc.oneof(
          fc.constant(context.api.audience),
          fc.constant('urn:tokenmint:admin'),
          fc.nat({ max: 1_000_000 }).map((n) => `https://fuzz-${n}.example.com`),
        ),
      )
    case 'scopes':
      return json(fc.subarray([...context.api.scopes, 'read:applications', 'read:things']))
    case 'expires_at':
      return json(
        fc.oneof(
          fc.constantFrom(
            'never',
            null,
            '2099-01-31',
            '2099-01-31T10:00:00Z',
            '1970-01-01',
            '2099-02-30',
          ),
          hostileString,
        ),
      )
    case 'password':
      return json(fc.string({ minLength: 12, maxLength: 40 }).map((s) => `pw-canary-${s}`))
    case 'id':
      return json(fc.stringMatching(/^[a-z][a-z0-9-]{2,20}$/))
    case 'username':
      return json(fc.stringMatching(/^[a-z][a-z0-9.]{2,15}$/))
    default:
      return undefined
  }
}

function plainSchemaValue(
  context: FuzzContext,
  schema: JsonSchema,
  name: string,
  depth: number,
): fc.Arbitrary<string> {
  if (schema.const !== undefined) return fc.constant(JSON.stringify(schema.const))
  if (schema.enum !== undefined)
    return fc.constantFrom(...schema.enum.map((v) => JSON.stringify(v)))
  if (schema.anyOf !== undefined && schema.anyOf.length > 0)
    return fc.oneof(...schema.anyOf.map((s) => schemaValue(context, s, name, depth)))
  if (schema.allOf?.[0] !== undefined) return schemaValue(context, schema.allOf[0], name, depth)
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string':
      if (schema.format === 'date-time')
        return fc.date({ noInvalidDate: true }).map((d) => JSON.stringify(d.toISOString()))
      return fc
        .string({
          minLength: schema.minLength ?? 0,
          maxLength: Math.min(schema.maxLength ?? 30, 30),
        })
        .map((s) => JSON.stringify(s))
    case 'integer':
      return fc
        .integer({ min: schema.minimum ?? -100_000, max: schema.maximum ?? 100_000 })
        .map(String)
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n))
    case 'boolean':
      return fc.boolean().map(String)
    case 'null':
      return fc.constant('null')
    case 'array':
      if (depth > 3 || schema.items === undefined) return fc.constant('[]')
      return fc
        .array(schemaValue(context, schema.items, name, depth + 1), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.min(schema.maxItems ?? 3, 3),
        })
        .map((items) => `[${items.join(',')}]`)
    case 'object':
      if (depth > 3) return fc.constant('{}')
      return objectMembers(context, schema, depth + 1).map(
        (members) => `{${members.map(([n, v]) => `${JSON.stringify(n)}:${v}`).join(',')}}`,
      )
    case undefined:
    default:
      return wrongTypeJson
  }
}

function objectMembers(
  context: FuzzContext,
  schema: JsonSchema,
  depth: number,
): fc.Arbitrary<[string, string][]> {
  const properties = Object.entries(schema.properties ?? {})
  const required = new Set(schema.required ?? [])
  if (properties.length === 0) return fc.constant([])
  return fc
    .tuple(
      ...properties.map(([name, property]) =>
        required.has(name)
          ? schemaValue(context, property, name, depth).map((v): [string, string] | undefined => [
              name,
              v,
            ])
          : fc.option(
              schemaValue(context, property, name, depth).map((v): [string, string] => [name, v]),
              { nil: undefined, freq: 2 },
            ),
      ),
    )
    .map((members) => members.filter((m): m is [string, string] => m !== undefined))
}

type BodyMutation =
  | { kind: 'remove'; at: number }
  | { kind: 'add'; name: string; json: string }
  | { kind: 'retype'; at: number; json: string }
  | { kind: 'hostile'; at: number; value: string }
  | { kind: 'duplicate'; at: number }
  | { kind: 'replace-body'; body: string }
  | { kind: 'huge'; size: 'under' | 'over' }

const bodyMutation: fc.Arbitrary<BodyMutation> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('remove' as const), at: fc.nat({ max: 20 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      name: fc.oneof(
        hostileString,
        fc.constantFrom(
          '__proto__',
          'constructor',
          'client_secret',
          'is_root',
          'built_in',
          'version',
        ),
      ),
      json: fc.oneof(
        wrongTypeJson,
        hostileString.map((s) => JSON.stringify(s)),
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('retype' as const),
      at: fc.nat({ max: 20 }),
      json: wrongTypeJson,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('hostile' as const),
      at: fc.nat({ max: 20 }),
      value: hostileString,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat({ max: 20 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('replace-body' as const),
      body: fc.oneof(
        fc.constantFrom(
          '',
          'null',
          '[]',
          '"x"',
          '0',
          '{',
          '{"a":1,}',
          '{"a":1}}',
          '\uFEFF{}',
          '{"a":"\\ud800"}',
          '[{}]',
        ),
        fc.integer({ min: 1000, max: 200_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
        fc
          .integer({ min: 1000, max: 100_000 })
          .map((d) => '{"a":'.repeat(d) + 'null' + '}'.repeat(d)),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('huge' as const),
      size: fc.constantFrom<'under' | 'over'>('under', 'over'),
    }),
  },
)

export const BODY_LIMIT = 1_048_576

function applyBodyMutations(
  members: [string, string][],
  mutations: BodyMutation[],
  describe: (s: string) => void,
): string {
  const pick = (at: number) => (members.length === 0 ? -1 : at % members.length)
  let replaced: string | undefined
  let huge: 'under' | 'over' | undefined
  for (const mutation of mutations) {
    switch (mutation.kind) {
      case 'remove': {
        const i = pick(mutation.at)
        if (i >= 0) describe(`remove ${members.splice(i, 1)[0]![0]}`)
        break
      }
      case 'add':
        describe(`add ${JSON.stringify(mutation.name.slice(0, 30))}`)
        members.push([mutation.name, mutation.json])
        break
      case 'retype': {
        const i = pick(mutation.at)
        if (i < 0) break
        describe(`${members[i]![0]} as ${mutation.json.slice(0, 30)}`)
        members[i] = [members[i]![0], mutation.json]
        break
      }
      case 'hostile': {
        const i = pick(mutation.at)
        if (i < 0) break
        describe(`${members[i]![0]} = hostile string`)
        members[i] = [members[i]![0], JSON.stringify(mutation.value)]
        break
      }
      case 'duplicate': {
        const i = pick(mutation.at)
        if (i < 0) break
        describe(`repeat ${members[i]![0]}`)
        members.push(members[i]!)
        break
      }
      case 'replace-body':
        describe(
          `body ${JSON.stringify(mutation.body.slice(0, 20))}${mutation.body.length > 20 ? '…' : ''}`,
        )
        replaced = mutation.body
        break
      case 'huge':
        describe(`body ${mutation.size} 1 MiB`)
        huge = mutation.size
        break
    }
  }
  if (replaced !== undefined) return replaced
  const text = `{${members.map(([n, v]) => `${JSON.stringify(n)}:${v}`).join(',')}}`
  if (huge === undefined) return text
  const target = huge === 'under' ? BODY_LIMIT - 4096 : BODY_LIMIT + 1
  const room = Math.max(0, target - Buffer.byteLength(text) - 12)
  return `${text.slice(0, -1)}${members.length > 0 ? ',' : ''}"pad":"${'A'.repeat(room)}"}`
}

type AuthVariant =
  | 'valid'
  | 'lowercase'
  | 'spaces'
  | 'none'
  | 'garbage'
  | 'tampered'
  | 'alg-none'
  | 'basic'
  | 'other-tenant'
  | 'client-token'
  | 'repeated-valid-first'
  | 'repeated-valid-last'
  | 'repeated-same'
  | 'no-scheme'

export type SessionVariant =
  | 'valid'
  | 'valid-same-origin'
  | 'no-csrf'
  | 'wrong-csrf'
  | 'foreign-origin'
  | 'garbage-cookie'
  | 'tampered-cookie'
  | 'no-cookie'
  | 'cookie-and-bearer'
  | 'secure-cookie-name'

function tamper(value: string): string {
  const i = Math.floor(value.length / 2)
  const c = value[i] === 'A' ? 'B' : 'A'
  return value.slice(0, i) + c + value.slice(i + 1)
}

function algNone(token: string): string {
  const payload = token.split('.')[1] ?? ''
  return `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${payload}.`
}

/** Authorization headers for a variant, and why it must fail (undefined: it may succeed). */
function bearerAuth(
  context: FuzzContext,
  variant: AuthVariant,
  junk: string,
  pathTenant: string | undefined,
): { headers: [string, string][]; fails: string | undefined } {
  const token = context.adminToken
  const one = (value: string, fails?: string) => ({
    headers: [['authorization', value]] as [string, string][],
    fails,
  })
  switch (variant) {
    case 'valid':
      return one(`Bearer ${token}`)
    case 'lowercase':
      return one(`bearer ${token}`)
    case 'spaces':
      return one(`Bearer   ${token}`)
    case 'none':
      return { headers: [], fails: 'no credentials' }
    case 'garbage':
      return one(`Bearer ${junk}x`, 'a garbage token')
    case 'tampered':
      return one(`Bearer ${tamper(token)}`, 'a tampered token')
    case 'alg-none':
      return one(`Bearer ${algNone(token)}`, 'an unsigned token')
    case 'basic':
      return one(
        `Basic ${basicOf(context.adminClientId, context.server.admin.clientSecret)}`,
        'Basic instead of Bearer',
      )
    case 'other-tenant':
      return one(
        `Bearer ${context.other.adminToken}`,
        pathTenant === context.other.tenant ? undefined : "another tenant's token",
      )
    case 'client-token':
      return one(`Bearer ${context.accessToken}`, 'a token for another audience')
    case 'repeated-valid-first':
      return {
        headers: [
          ['authorization', `Bearer ${token}`],
          ['authorization', `Bearer ${junk}x`],
        ],
        fails: 'Authorization repeated',
      }
    case 'repeated-valid-last':
      return {
        headers: [
          ['authorization', `Bearer ${junk}x`],
          ['authorization', `Bearer ${token}`],
        ],
        fails: 'Authorization repeated',
      }
    case 'repeated-same':
      return {
        headers: [
          ['authorization', `Bearer ${token}`],
          ['authorization', `Bearer ${token}`],
        ],
        fails: 'Authorization repeated',
      }
    case 'no-scheme':
      return one(token, 'no scheme')
  }
}

export function sessionAuth(
  context: FuzzContext,
  variant: SessionVariant,
  junk: string,
  method: string,
): { headers: [string, string][]; fails: string | undefined } {
  const { cookie, csrf } = context.session
  const changes = !['GET', 'HEAD', 'OPTIONS'].includes(method)
  const value = cookie.split('=')[1] ?? ''
  switch (variant) {
    case 'valid':
      return {
        headers: [
          ['cookie', cookie],
          ['x-csrf-token', csrf],
        ],
        fails: undefined,
      }
    case 'valid-same-origin':
      return {
        headers: [
          ['cookie', cookie],
          ['x-csrf-token', csrf],
          ['origin', new URL(context.url).origin],
        ],
        fails: undefined,
      }
    case 'no-csrf':
      return { headers: [['cookie', cookie]], fails: changes ? 'no CSRF token' : undefined }
    case 'wrong-csrf':
      return {
        headers: [
          ['cookie', cookie],
          ['x-csrf-token', `${junk}x`],
        ],
        fails: changes ? 'a wrong CSRF token' : undefined,
      }
    case 'foreign-origin':
      return {
        headers: [
          ['cookie', cookie],
          ['x-csrf-token', csrf],
          ['origin', 'https://evil.example'],
        ],
        fails: changes ? 'a cross-origin change' : undefined,
      }
    case 'garbage-cookie':
      return {
        headers: [
          ['cookie', `tokenmint_session=${junk}x`],
          ['x-csrf-token', csrf],
        ],
        fails: 'no session',
      }
    case 'tampered-cookie':
      return {
        headers: [
          ['cookie', `tokenmint_session=${tamper(value)}`],
          ['x-csrf-token', csrf],
        ],
        fails: 'a tampered session',
      }
    case 'no-cookie':
      return { headers: [['x-csrf-token', csrf]], fails: 'no session' }
    case 'cookie-and-bearer':
      return {
        headers: [
          ['cookie', cookie],
          ['x-csrf-token', csrf],
          ['authorization', `Bearer ${junk}x`],
        ],
        fails: 'a garbage token beside the session',
      }
    case 'secure-cookie-name':
      return {
        headers: [
          ['cookie', `__Host-tokenmint_session=${value}`],
          ['x-csrf-token', csrf],
        ],
        fails: 'no session (the __Host- name is for HTTPS)',
      }
  }
}

type PathChoice = {
  mode: 'own' | 'own-encoded' | 'other' | 'root' | 'hostile' | 'raw'
  pick: number
  hostile: string
}

const pathChoice: fc.Arbitrary<PathChoice> = fc.record({
  mode: mostly<PathChoice['mode']>('own', 66, ['own-encoded', 'other', 'root', 'hostile', 'raw']),
  pick: fc.nat(),
  hostile: hostileString,
})

const RAW_SEGMENTS = ['', '..', '.', '%', '%E0%A4', '%2F', 'a%2Fb', '%00', '%20', ';', '*']

const COLLECTIONS: Record<string, Collection> = {
  tenants: 'tenants',
  apis: 'apis',
  applications: 'applications',
  users: 'users',
  administrators: 'administrators',
}

interface AdminParts {
  op: Operation
  auth: AuthVariant
  session: SessionVariant
  junk: string
  tenant: PathChoice
  id: PathChoice
  members: [string, string][]
  bodyMutations: BodyMutation[]
  contentType: string | null
  ifMatch: string | null
  suffix: string
  query: [string, string, boolean][]
}

function adminParts(context: FuzzContext, op: Operation): fc.Arbitrary<AdminParts> {
  const queryValue = (schema: JsonSchema, name: string) =>
    fc.oneof(
      schemaValue(context, schema, name).map((json) => {
        const parsed = JSON.parse(json) as unknown
        return typeof parsed === 'string' ? parsed : json
      }),
      hostileString,
      fc.constantFrom('Infinity', '-Infinity', '1e400', 'NaN', '-1', '0', '1.5', '1e2', '0x10', ''),
    )
  return fc.record({
    op: fc.constant(op),
    auth: mostly<AuthVariant>('valid', 50, [
      'lowercase',
      'spaces',
      'none',
      'garbage',
      'tampered',
      'alg-none',
      'basic',
      'other-tenant',
      'client-token',
      'repeated-valid-first',
      'repeated-valid-last',
      'repeated-same',
      'no-scheme',
    ]),
    session: mostly<SessionVariant>('valid', 50, [
      'valid-same-origin',
      'no-csrf',
      'wrong-csrf',
      'foreign-origin',
      'garbage-cookie',
      'tampered-cookie',
      'no-cookie',
      'cookie-and-bearer',
      'secure-cookie-name',
    ]),
    junk: headerSafeString,
    tenant: pathChoice,
    id: pathChoice,
    members: op.body === undefined ? fc.constant([]) : objectMembers(context, op.body, 0),
    bodyMutations: fc.array(bodyMutation, { maxLength: 2 }),
    contentType: mostly<string | null>('application/json', 70, [
      'application/json; charset=utf-8',
      null,
      'text/plain',
      'application/x-www-form-urlencoded',
    ]),
    suffix: mostly('', 95, ['/', '/nothing', '.json', '/..']),
    ifMatch: mostly<string | null>(null, 50, [
      '"1"',
      'W/"2"',
      '*',
      'garbage',
      '"99999999999999999999999"',
      '"-1"',
      '"1", "2"',
    ]),
    query: fc.tuple(
      ...op.query.map(({ name, schema }) =>
        fc.tuple(fc.constant(name), queryValue(schema, name), fc.boolean()),
      ),
    ),
  })
}

const ID_COLLECTION: Record<string, keyof FuzzContext['victims']> = {
  clientId: 'applications',
  api: 'apis',
  user: 'users',
  administrator: 'administrators',
}

function buildAdmin(
  context: FuzzContext,
  parts: AdminParts,
  via: 'bearer' | 'console',
): FuzzRequest {
  const { op } = parts
  const mutations: string[] = [`${op.method} ${op.path}`]
  const failures: string[] = []
  const chooseSegment = (choice: PathChoice, own: () => string, refused: () => string[]) => {
    switch (choice.mode) {
      case 'own':
        return { segment: encodeURIComponent(own()), logical: own() }
      case 'own-encoded':
        return { segment: percentEncode(own(), true), logical: own() }
      case 'other': {
        const pool = refused()
        const value = pool.length === 0 ? choice.hostile : pool[choice.pick % pool.length]!
        return { segment: percentEncode(value), logical: value }
      }
      case 'root':
        return { segment: 'root', logical: 'root' }
      case 'hostile':
        return { segment: percentEncode(choice.hostile), logical: choice.hostile }
      case 'raw': {
        const raw = RAW_SEGMENTS[choice.pick % RAW_SEGMENTS.length]!
        return { segment: raw, logical: decodeSegment(raw) ?? raw }
      }
    }
  }
  // Credentials first: which objects a request may reach depends on whether it may succeed.
  const tenantOf = chooseSegment(
    parts.tenant,
    () => context.tenant,
    () => [context.other.tenant],
  )
  const hasTenant = op.path.includes('{tenant}')
  const pathTenant = hasTenant ? tenantOf.logical : undefined
  const actsAsOther = via === 'bearer' && parts.auth === 'other-tenant'
  // Provisioning (update, suspend, resume, delete a tenant) is where the root tenant's callers
  // reach other tenants; every other caller is refused there, its own tenant included.
  const isProvisioning =
    op.method !== 'GET' && /^\/admin\/v1\/tenants\/\{tenant\}(?:\/suspend|\/resume)?$/.test(op.path)
  const crossesTenant =
    hasTenant &&
    !(isProvisioning && !actsAsOther) &&
    tenantOf.logical !== (actsAsOther ? context.other.tenant : context.tenant)
  const auth =
    via === 'bearer'
      ? bearerAuth(context, parts.auth, parts.junk, pathTenant)
      : sessionAuth(context, parts.session, parts.junk, op.method)
  mutations.push(via === 'bearer' ? `auth ${parts.auth}` : `session ${parts.session}`)
  if (auth.fails !== undefined) failures.push(auth.fails)
  if (hasTenant && parts.tenant.mode !== 'own')
    mutations.push(`tenant ${parts.tenant.mode} ${JSON.stringify(tenantOf.logical.slice(0, 30))}`)
  if (crossesTenant && auth.fails === undefined) failures.push('another tenant')

  let id: string | undefined
  let path = op.path.replace('{tenant}', tenantOf.segment)
  const idParam = /\{(clientId|api|user|administrator)\}/.exec(op.path)?.[1]
  if (idParam !== undefined) {
    const collection = ID_COLLECTION[idParam]!
    const refusedOnly = failures.length > 0
    const own = () => {
      const pool = refusedOnly
        ? [...context.protected[collection], ...context.victims[collection]]
        : context.victims[collection]
      return pool.length === 0 ? 'no-such-object' : pool[parts.id.pick % pool.length]!
    }
    const choice: PathChoice =
      parts.id.mode === 'other' || parts.id.mode === 'root'
        ? { ...parts.id, mode: 'own' }
        : parts.id
    const chosen = chooseSegment(choice, own, () => [])
    id = chosen.logical
    if (parts.id.mode !== 'own') mutations.push(`${idParam} ${parts.id.mode}`)
    path = path.replace(`{${idParam}}`, chosen.segment)
  }

  const query = parts.query
    .filter(([, , include]) => include)
    .map(([name, value]) => `${encodeURIComponent(name)}=${percentEncode(value)}`)
  if (parts.suffix !== '') {
    path += parts.suffix
    mutations.push(`path + ${parts.suffix}`)
    failures.push('no such route')
  }
  if (query.length > 0) path += `?${query.join('&')}`

  const headers: [string, string][] = [...auth.headers]
  let body: string | undefined
  if (
    op.body !== undefined &&
    (op.bodyRequired || parts.members.length > 0 || parts.bodyMutations.length > 0)
  ) {
    body = applyBodyMutations([...parts.members], parts.bodyMutations, (s) => mutations.push(s))
    if (parts.contentType !== null) headers.push(['content-type', parts.contentType])
    if (parts.contentType !== 'application/json')
      mutations.push(`Content-Type ${JSON.stringify(parts.contentType)}`)
  }
  if (op.method === 'PATCH' && parts.ifMatch !== null) {
    headers.push(['if-match', parts.ifMatch])
    mutations.push(`If-Match ${parts.ifMatch}`)
  }

  const segments = op.path.split('/')
  const last = segments[segments.length - 1] ?? ''
  let changes: FuzzRequest['changes']
  const ownTenant = !hasTenant || tenantOf.logical === context.tenant
  if (ownTenant && op.method === 'POST' && COLLECTIONS[last] !== undefined)
    changes = { collection: COLLECTIONS[last], delta: 1 }
  if (ownTenant && op.method === 'DELETE' && idParam !== undefined)
    changes = { collection: ID_COLLECTION[idParam]!, delta: -1, id }

  const mustFail = failures.length > 0
  return {
    target: via === 'bearer' ? 'admin' : 'console-admin',
    mutations: mustFail ? [...mutations, `(must fail: ${failures[0]!})`] : mutations,
    method: op.method,
    path,
    headers,
    body,
    format: 'problem',
    mustFail,
    unrouted: parts.suffix !== '',
    carried: parts.members
      .filter(([name]) => name === 'password')
      .map(([, v]) => v.replace(/^"|"$/g, '')),
    changes,
  }
}

/** The admin API's operations (from its OpenAPI document) with generated bodies and credentials. */
export function adminRequests(
  context: FuzzContext,
  via: 'bearer' | 'console' = 'bearer',
): fc.Arbitrary<FuzzRequest> {
  return fc
    .constantFrom(...context.operations)
    .chain((op) => adminParts(context, op))
    .map((parts) => buildAdmin(context, parts, via))
}
