/**
 * Hostile requests to the OAuth endpoints (token, per tenant and global; introspection;
 * revocation): a valid request, then mutations (a parameter removed, repeated, replaced or of the
 * wrong type; broken client authentication; odd content types, encodings, lengths and framing).
 * Whether the result must fail is decided from what the server will see (the body re-parsed as
 * it would parse it), never from the mutation's name.
 */
import fc from 'fast-check'

import type { Credentials, FuzzContext, FuzzRequest } from './support.js'
import {
  hostileString,
  headerSafeString,
  wrongTypeJson,
  percentEncode,
  basicOf,
  decodeSegment,
} from './values.js'

type OAuthTarget = 'token' | 'token-global' | 'introspect' | 'revoke'
type Grant = 'client_credentials' | 'password' | 'refresh_token'
const VALID_GRANTS = ['client_credentials', 'password', 'refresh_token']

/** A parameter value: a string, or (JSON bodies only) raw JSON text of some other type. */
type Value = string | { json: string }

interface OAuthDraft {
  target: OAuthTarget
  grant: Grant | undefined
  client: Credentials
  method: string
  tenantSegment: string
  pathSuffix: string
  query: [string, string][]
  params: [string, Value][]
  /** Authorization header lines; `valid`: a Basic header that carries the client's credentials. */
  authorization: { value: string; valid: boolean }[]
  contentType: string | null
  /** What the server should make of the content type: parse as form/JSON, refuse, or unsure. */
  contentKind: 'form' | 'json' | 'refused' | 'unsure'
  encoding: 'form' | 'json'
  formStyle: 'plus' | 'percent' | 'percent-all'
  bodyPrefix: string
  splice: string
  invalidUtf8: { at: number; bytes: readonly number[] } | undefined
  pad: 'under' | 'over' | 'huge' | undefined
  headers: [string, string][]
  framing: Framing | undefined
  /** Reasons to fail that the parameters do not show (a broken path, method or framing). */
  broken: string[]
  /** Values that must reach the server unchanged for the request to be valid. */
  expected: Record<string, string>
  mutations: string[]
}

type Framing =
  | 'short'
  | 'long'
  | 'chunked'
  | 'bad-chunk'
  | 'te-and-cl'
  | 'two-lengths'
  | 'negative-length'
  | 'nul-in-header'
  | 'huge-header'

type Mutation =
  | { kind: 'remove'; at: number }
  | { kind: 'duplicate'; at: number; other: string | null; first: boolean }
  | { kind: 'replace'; at: number; value: string }
  | { kind: 'retype'; at: number; json: string }
  | { kind: 'add'; name: string; value: string }
  | { kind: 'grant'; value: string }
  | { kind: 'authorization'; variant: AuthorizationVariant; junk: string }
  | { kind: 'switch-auth' }
  | { kind: 'query'; name: string; value: string }
  | { kind: 'content-type'; value: string | null; as: OAuthDraft['contentKind'] }
  | { kind: 'form-style'; style: OAuthDraft['formStyle'] }
  | { kind: 'bom' }
  | { kind: 'splice'; text: string }
  | { kind: 'invalid-utf8'; at: number; bytes: readonly number[] }
  | { kind: 'pad'; size: 'under' | 'over' | 'huge' }
  | { kind: 'tenant'; segment: string }
  | { kind: 'suffix'; suffix: string }
  | { kind: 'method'; method: string }
  | { kind: 'header'; name: string; value: string }
  | { kind: 'framing'; framing: Framing }

type AuthorizationVariant =
  | 'lowercase-scheme'
  | 'extra-spaces'
  | 'unencoded'
  | 'base64url'
  | 'no-padding'
  | 'wrong-secret'
  | 'no-colon'
  | 'garbage'
  | 'empty'
  | 'scheme-only'
  | 'bearer'
  | 'trailing-junk'
  | 'repeated-same'
  | 'repeated-other'
  | 'repeated-garbage-first'

const CONTENT_TYPES: { value: string | null; as: OAuthDraft['contentKind'] }[] = [
  { value: 'application/x-www-form-urlencoded', as: 'form' },
  { value: 'application/x-www-form-urlencoded; charset=utf-8', as: 'form' },
  { value: 'application/x-www-form-urlencoded;charset=UTF-8', as: 'form' },
  { value: 'APPLICATION/X-WWW-FORM-URLENCODED', as: 'form' },
  { value: 'application/json', as: 'json' },
  { value: 'application/json; charset=utf-8', as: 'json' },
  { value: 'Application/JSON', as: 'json' },
  { value: null, as: 'refused' },
  { value: 'text/plain', as: 'refused' },
  { value: 'text/plain; charset=utf-8', as: 'refused' },
  { value: 'multipart/form-data; boundary=x', as: 'refused' },
  { value: 'application/xml', as: 'refused' },
  { value: 'application/x-www-form-urlencoded, application/json', as: 'refused' },
  { value: 'application/json; charset=utf-16', as: 'unsure' },
  { value: 'application/x-www-form-urlencoded; charset=iso-8859-1', as: 'unsure' },
  { value: 'application/json ; charset=utf-8', as: 'unsure' },
  { value: 'application/jsonx', as: 'unsure' },
  { value: 'application/x-www-form-urlencoded-x', as: 'unsure' },
  { value: '', as: 'unsure' },
  { value: '*/*', as: 'unsure' },
]

function mutationArbitrary(target: OAuthTarget): fc.Arbitrary<Mutation> {
  const isToken = target === 'token' || target === 'token-global'
  const at = fc.nat({ max: 20 })
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('remove' as const), at }) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('duplicate' as const),
        at,
        other: fc.oneof(fc.constant(null), fc.constant(null), hostileString),
        first: fc.boolean(),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({ kind: fc.constant('replace' as const), at, value: hostileString }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('retype' as const), at, json: wrongTypeJson }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('add' as const),
        name: fc.oneof(
          hostileString,
          fc.constantFrom('client_id', 'client_secret', 'scope', 'audience', 'resource', 'token'),
        ),
        value: hostileString,
      }),
    },
    ...(isToken
      ? [
          {
            weight: 3,
            arbitrary: fc.record({
              kind: fc.constant('grant' as const),
              value: fc.oneof(
                hostileString,
                fc.constantFrom(
                  'CLIENT_CREDENTIALS',
                  'client_credentials ',
                  ' client_credentials',
                  'client-credentials',
                  'authorization_code',
                  'urn:ietf:params:oauth:grant-type:jwt-bearer',
                  'urn:ietf:params:oauth:grant-type:token-exchange',
                  'implicit',
                  ...VALID_GRANTS,
                ),
              ),
            }),
          },
        ]
      : []),
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('authorization' as const),
        variant: fc.constantFrom<AuthorizationVariant>(
          'lowercase-scheme',
          'extra-spaces',
          'unencoded',
          'base64url',
          'no-padding',
          'wrong-secret',
          'no-colon',
          'garbage',
          'empty',
          'scheme-only',
          'bearer',
          'trailing-junk',
          'repeated-same',
          'repeated-other',
          'repeated-garbage-first',
        ),
        junk: headerSafeString,
      }),
    },
    { weight: 2, arbitrary: fc.constant({ kind: 'switch-auth' as const }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('query' as const),
        name: fc.constantFrom('client_secret', 'password', 'grant_type', 'client_id', 'x'),
        value: hostileString,
      }),
    },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(...CONTENT_TYPES)
        .map((ct) => ({ kind: 'content-type' as const, value: ct.value, as: ct.as })),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('form-style' as const),
        style: fc.constantFrom<OAuthDraft['formStyle']>('plus', 'percent', 'percent-all'),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'bom' as const }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('splice' as const),
        text: fc.constantFrom(
          '&',
          '&&',
          '&=',
          '=&=',
          '&=x',
          '%',
          '&%zz=1',
          '&grant_type',
          '&client_id',
          '&a[]=1&a[]=2',
          '&scope[]=x',
          '&%00=%00',
          '&+=+',
        ),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('invalid-utf8' as const),
        at,
        bytes: fc.constantFrom(
          [0xff],
          [0xc0, 0x80],
          [0xed, 0xa0, 0x80],
          [0xe0, 0xa4],
          [0xf8, 0x88, 0x80, 0x80, 0x80],
        ),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('pad' as const),
        size: fc.constantFrom<'under' | 'over' | 'huge'>('under', 'over', 'over', 'huge'),
      }),
    },
    ...(target === 'token-global'
      ? []
      : [
          {
            weight: 2,
            arbitrary: fc.record({
              kind: fc.constant('tenant' as const),
              segment: fc.oneof(
                fc.constantFrom(
                  'ACME',
                  'acme%20',
                  '%00',
                  'root',
                  'fuzz-other',
                  '..',
                  '%2e%2e',
                  '%E0%A4',
                  '%',
                  'a%2Fb',
                ),
                hostileString.map((s) => percentEncode(s)),
              ),
            }),
          },
        ]),
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('suffix' as const),
        suffix: fc.constantFrom('/', '//', '.json', '%00'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('method' as const),
        method: fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('header' as const),
        name: fc.constantFrom(
          'content-encoding',
          'x-forwarded-for',
          'accept',
          'accept-charset',
          'x-http-method-override',
          'cookie',
          'origin',
        ),
        value: headerSafeString,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('framing' as const),
        framing: fc.constantFrom<Framing>(
          'short',
          'long',
          'chunked',
          'bad-chunk',
          'te-and-cl',
          'two-lengths',
          'negative-length',
          'nul-in-header',
          'huge-header',
        ),
      }),
    },
  )
}

function applyMutation(context: FuzzContext, draft: OAuthDraft, mutation: Mutation): void {
  const pick = (at: number) => (draft.params.length === 0 ? -1 : at % draft.params.length)
  const describe = (text: string) => draft.mutations.push(text)
  switch (mutation.kind) {
    case 'remove': {
      const i = pick(mutation.at)
      if (i < 0) return
      describe(`remove ${draft.params[i]![0]}`)
      draft.params.splice(i, 1)
      return
    }
    case 'duplicate': {
      const i = pick(mutation.at)
      if (i < 0) return
      const [name, value] = draft.params[i]!
      const copy: [string, Value] = [name, mutation.other ?? value]
      describe(
        `repeat ${name}${mutation.other === null ? '' : ', another value'}${mutation.first ? ' first' : ''}`,
      )
      if (mutation.first) draft.params.unshift(copy)
      else draft.params.push(copy)
      return
    }
    case 'replace': {
      const i = pick(mutation.at)
      if (i < 0) return
      describe(`replace ${draft.params[i]![0]}`)
      draft.params[i] = [draft.params[i]![0], mutation.value]
      return
    }
    case 'retype': {
      const i = pick(mutation.at)
      if (i < 0 || draft.encoding !== 'json') return
      describe(`${draft.params[i]![0]} as ${mutation.json.slice(0, 30)}`)
      draft.params[i] = [draft.params[i]![0], { json: mutation.json }]
      return
    }
    case 'add':
      describe(`add ${JSON.stringify(mutation.name.slice(0, 30))}`)
      draft.params.push([mutation.name, mutation.value])
      return
    case 'grant': {
      describe(`grant_type ${JSON.stringify(mutation.value.slice(0, 40))}`)
      const i = draft.params.findIndex(([name]) => name === 'grant_type')
      if (i >= 0) draft.params[i] = ['grant_type', mutation.value]
      else draft.params.push(['grant_type', mutation.value])
      return
    }
    case 'authorization':
      describe(`Authorization: ${mutation.variant}`)
      // The Basic header alone, so that what it does is what decides.
      draft.params = draft.params.filter(
        ([name]) => name !== 'client_id' && name !== 'client_secret',
      )
      draft.authorization = authorizationFor(draft.client, mutation.variant, mutation.junk)
      return
    case 'switch-auth': {
      const { id, secret } = draft.client
      if (draft.authorization.length > 0) {
        describe('Basic → body credentials')
        draft.authorization = []
        draft.params.push(['client_id', id], ['client_secret', secret])
      } else {
        describe('body credentials → Basic')
        draft.params = draft.params.filter(
          ([name]) => name !== 'client_id' && name !== 'client_secret',
        )
        draft.authorization = [{ value: `Basic ${basicOf(id, secret)}`, valid: true }]
      }
      return
    }
    case 'query': {
      const value = mutation.name === 'client_secret' ? draft.client.secret : mutation.value
      describe(`?${mutation.name}= in the URL`)
      draft.query.push([mutation.name, value])
      return
    }
    case 'content-type':
      describe(`Content-Type ${JSON.stringify(mutation.value)}`)
      draft.contentType = mutation.value
      draft.contentKind = mutation.as
      return
    case 'form-style':
      describe(`form encoded ${mutation.style}`)
      draft.formStyle = mutation.style
      return
    case 'bom':
      if (draft.encoding !== 'form') return
      describe('a byte order mark before the body')
      draft.bodyPrefix = '\uFEFF'
      return
    case 'splice':
      if (draft.encoding !== 'form') return
      describe(`raw ${JSON.stringify(mutation.text)} appended`)
      draft.splice += mutation.text
      return
    case 'invalid-utf8': {
      const i = pick(mutation.at)
      if (i < 0 || draft.encoding !== 'form') return
      describe(`invalid UTF-8 after ${draft.params[i]![0]}`)
      draft.invalidUtf8 = { at: i, bytes: mutation.bytes }
      return
    }
    case 'pad':
      describe(`body padded ${mutation.size} the limit`)
      draft.pad = mutation.size
      return
    case 'tenant':
      describe(`tenant segment ${mutation.segment}`)
      draft.tenantSegment = mutation.segment
      if (decodeSegment(mutation.segment) !== context.tenant)
        draft.broken.push('another tenant, or none')
      return
    case 'suffix':
      describe(`path + ${mutation.suffix}`)
      draft.pathSuffix = mutation.suffix
      draft.broken.push('no such route')
      return
    case 'method':
      describe(`method ${mutation.method}`)
      draft.method = mutation.method
      draft.broken.push('no such route')
      return
    case 'header':
      describe(`header ${mutation.name}`)
      draft.headers.push([mutation.name, mutation.value])
      return
    case 'framing': {
      describe(`framing ${mutation.framing}`)
      draft.framing = mutation.framing
      // Only the last framing is sent: an earlier broken one no longer makes the request fail.
      const earlier = draft.broken.indexOf('broken HTTP framing')
      if (earlier !== -1) draft.broken.splice(earlier, 1)
      if (mutation.framing !== 'short' && mutation.framing !== 'chunked')
        draft.broken.push('broken HTTP framing')
      return
    }
  }
}

function authorizationFor(
  client: Credentials,
  variant: AuthorizationVariant,
  junk: string,
): OAuthDraft['authorization'] {
  const { id, secret } = client
  const token = basicOf(id, secret)
  const isPlain = encodeURIComponent(id) === id && encodeURIComponent(secret) === secret
  const one = (value: string, valid: boolean) => [{ value, valid }]
  switch (variant) {
    case 'lowercase-scheme':
      return one(`basic ${token}`, true)
    case 'extra-spaces':
      return one(`Basic   ${token}  `, true)
    case 'unencoded':
      return one(`Basic ${basicOf(id, secret, false)}`, isPlain)
    case 'base64url':
      return one(`Basic ${token.replace(/\+/g, '-').replace(/\//g, '_')}`, true)
    case 'no-padding':
      return one(`Basic ${token.replace(/=+$/, '')}`, true)
    case 'wrong-secret':
      return one(`Basic ${basicOf(id, `${secret}x`)}`, false)
    case 'no-colon':
      return one(`Basic ${Buffer.from(`${id}${secret}`).toString('base64')}`, false)
    case 'garbage':
      return one(`Basic ${junk}`, false)
    case 'empty':
      return one('', false)
    case 'scheme-only':
      return one('Basic', false)
    case 'bearer':
      return one(`Bearer ${token}`, false)
    case 'trailing-junk':
      return one(`Basic ${token} ${junk}x`, false)
    case 'repeated-same':
      return [
        { value: `Basic ${token}`, valid: true },
        { value: `Basic ${token}`, valid: true },
      ]
    case 'repeated-other':
      return [
        { value: `Basic ${token}`, valid: true },
        { value: `Basic ${basicOf('someone-else', 'not-a-secret')}`, valid: false },
      ]
    case 'repeated-garbage-first':
      return [
        { value: `Basic ${junk}`, valid: false },
        { value: `Basic ${token}`, valid: true },
      ]
  }
}

function oauthBase(target: OAuthTarget) {
  const isToken = target === 'token' || target === 'token-global'
  return fc.record({
    grant: isToken
      ? fc.constantFrom<Grant>(
          'client_credentials',
          'client_credentials',
          'password',
          'refresh_token',
        )
      : fc.constant(undefined),
    basic: fc.boolean(),
    json: fc.boolean(),
    audience: fc.boolean(),
    scope: fc.boolean(),
    token: fc.constantFrom('access', 'access', 'refresh', 'garbage', 'foreign'),
    hint: fc.option(fc.constantFrom('access_token', 'refresh_token', 'bogus_hint')),
  })
}

function buildDraft(
  context: FuzzContext,
  target: OAuthTarget,
  choice: {
    grant: Grant | undefined
    basic: boolean
    json: boolean
    audience: boolean
    scope: boolean
    token: string
    hint: string | null
  },
): OAuthDraft {
  const isToken = target === 'token' || target === 'token-global'
  const client = !isToken
    ? context.introspector
    : choice.grant === 'client_credentials'
      ? context.client
      : context.passwordClient
  const params: [string, Value][] = []
  const expected: Record<string, string> = {}
  if (isToken) {
    params.push(['grant_type', choice.grant ?? 'client_credentials'])
    if (choice.grant === 'password') {
      params.push(['username', context.user.username], ['password', context.user.password])
      expected['username'] = context.user.username
      expected['password'] = context.user.password
    } else if (choice.grant === 'refresh_token') {
      params.push(['refresh_token', context.refreshToken])
      expected['refresh_token'] = context.refreshToken
    }
    if (choice.audience) params.push(['audience', context.api.audience])
    if (choice.scope) params.push(['scope', context.api.scopes.slice(0, 2).join(' ')])
  } else {
    const token =
      choice.token === 'access'
        ? context.accessToken
        : choice.token === 'refresh'
          ? context.refreshToken
          : choice.token === 'foreign'
            ? context.other.adminToken
            : `${context.accessToken.slice(0, -8)}AAAAAAAA`
    params.push(['token', token])
    if (choice.hint !== null) params.push(['token_type_hint', choice.hint])
  }
  const authorization: OAuthDraft['authorization'] = []
  if (choice.basic)
    authorization.push({ value: `Basic ${basicOf(client.id, client.secret)}`, valid: true })
  else params.push(['client_id', client.id], ['client_secret', client.secret])
  return {
    target,
    grant: choice.grant,
    client,
    method: 'POST',
    tenantSegment: context.tenant,
    pathSuffix: '',
    query: [],
    params,
    authorization,
    contentType: choice.json ? 'application/json' : 'application/x-www-form-urlencoded',
    contentKind: choice.json ? 'json' : 'form',
    encoding: choice.json ? 'json' : 'form',
    formStyle: 'plus',
    bodyPrefix: '',
    splice: '',
    invalidUtf8: undefined,
    pad: undefined,
    headers: [],
    framing: undefined,
    broken: [],
    expected,
    mutations: [],
  }
}

function textOf(value: Value): string {
  return typeof value === 'string' ? value : value.json
}

function encodeFormPart(text: string, style: OAuthDraft['formStyle']): string {
  if (style === 'plus') return new URLSearchParams([['', text]]).toString().slice(1)
  return percentEncode(text, style === 'percent-all')
}

function serializeBody(draft: OAuthDraft, limit: number): Buffer {
  let body: Buffer
  if (draft.encoding === 'form') {
    const parts = draft.params.map(([name, value], i) => {
      const pair = Buffer.from(
        `${encodeFormPart(name, draft.formStyle)}=${encodeFormPart(textOf(value), draft.formStyle)}`,
      )
      return draft.invalidUtf8?.at === i
        ? Buffer.concat([pair, Buffer.from(draft.invalidUtf8.bytes)])
        : pair
    })
    const joined: Buffer[] = []
    parts.forEach((part, i) => joined.push(...(i === 0 ? [part] : [Buffer.from('&'), part])))
    body = Buffer.concat([Buffer.from(draft.bodyPrefix), ...joined, Buffer.from(draft.splice)])
    if (draft.pad !== undefined) {
      const target = padTarget(draft.pad, limit)
      const room = Math.max(0, target - body.length - 5)
      body = Buffer.concat([body, Buffer.from(`&pad=${'A'.repeat(room)}`)])
    }
  } else {
    const members = draft.params.map(
      ([name, value]) =>
        `${JSON.stringify(name)}:${typeof value === 'string' ? JSON.stringify(value) : value.json}`,
    )
    let text = `{${members.join(',')}}`
    if (draft.pad !== undefined) {
      const target = padTarget(draft.pad, limit)
      const room = Math.max(0, target - Buffer.byteLength(text) - 10)
      members.push(`"pad":"${'A'.repeat(room)}"`)
      text = `{${members.join(',')}}`
    }
    body = Buffer.from(text)
  }
  return body
}

function padTarget(size: 'under' | 'over' | 'huge', limit: number): number {
  return size === 'under' ? limit - 32 : size === 'over' ? limit + 1 + 64 : 1_048_576 + 1
}

/** The parameters as the server will see them, or undefined when it cannot parse the body. */
function serverView(draft: OAuthDraft, body: Buffer): [string, unknown][] | undefined {
  const kind =
    draft.contentKind === 'unsure'
      ? draft.encoding
      : draft.contentKind === 'refused'
        ? undefined
        : draft.contentKind
  if (kind === undefined) return undefined
  const text = body.toString('utf8')
  if (kind === 'form') return [...new URLSearchParams(text)]
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined
  // The JSON text repeats a name exactly when the draft does (names are written by JSON.stringify).
  const values = parsed as Record<string, unknown>
  if (draft.encoding !== 'json') return Object.entries(values)
  const names = draft.params.map(([name]) => name)
  if (draft.pad !== undefined) names.push('pad')
  return names.map((name) => [name, values[name]])
}

/** Why the server must refuse this request, or undefined when it may accept it. */
function mustFailReason(
  draft: OAuthDraft,
  view: [string, unknown][] | undefined,
): string | undefined {
  if (draft.broken.length > 0) return draft.broken[0]
  if (view === undefined) return 'the body cannot be parsed'
  const isToken = draft.target === 'token' || draft.target === 'token-global'
  if (isToken && draft.query.some(([name]) => name === 'client_secret' || name === 'password'))
    return 'credentials in the URL'
  const names = view.map(([name]) => name)
  const repeated = names.find((name, i) => names.indexOf(name) !== i)
  if (repeated !== undefined) return `${repeated} repeated`
  const values = new Map<string, string>()
  for (const [name, value] of view) {
    if (value === null || value === '' || value === undefined) continue
    if (typeof value !== 'string') return `${name} is not a string`
    values.set(name, value)
  }

  if (draft.authorization.length > 1) return 'Authorization repeated'
  const authorization = draft.authorization[0]
  if (authorization !== undefined && authorization.value !== '') {
    if (!authorization.valid) return 'broken Basic credentials'
    if (values.has('client_secret')) return 'two client authentications'
    const id = values.get('client_id')
    if (id !== undefined && id !== draft.client.id) return 'client_id differs from Basic'
  } else {
    if (values.get('client_id') !== draft.client.id) return 'client_id missing or changed'
    if (values.get('client_secret') !== draft.client.secret)
      return 'client_secret missing or changed'
  }

  if (isToken) {
    const grant = values.get('grant_type')
    if (grant === undefined || !VALID_GRANTS.includes(grant)) return 'grant_type missing or invalid'
    if (grant !== draft.grant) return undefined
    for (const [name, value] of Object.entries(draft.expected)) {
      const seen = values.get(name)
      const same =
        name === 'username' ? seen?.trim().toLowerCase() === value.toLowerCase() : seen === value
      if (!same) return `${name} missing or changed`
    }
  } else if (!values.has('token')) {
    return 'token missing'
  }
  return undefined
}

function finishOAuth(context: FuzzContext, draft: OAuthDraft): FuzzRequest {
  const limit = context.server.services.config.tokenBodyLimitBytes
  const body = serializeBody(draft, limit)
  const endpoint =
    draft.target === 'token-global'
      ? '/oauth/token'
      : `/t/${draft.tenantSegment}/oauth/${draft.target === 'token' ? 'token' : draft.target}`
  const query =
    draft.query.length === 0
      ? ''
      : `?${draft.query.map(([n, v]) => `${encodeFormPart(n, 'plus')}=${encodeFormPart(v, 'plus')}`).join('&')}`
  const headers: [string, string][] = [
    ...(draft.contentType === null
      ? []
      : [['content-type', draft.contentType] as [string, string]]),
    ...draft.authorization.map((a): [string, string] => ['authorization', a.value]),
    ...draft.headers,
  ]
  let seenBody = body
  let raw: FuzzRequest['raw']
  let sentBody: Buffer = body
  switch (draft.framing) {
    case undefined:
      break
    case 'short': {
      const length = Math.max(0, body.length - 1 - (body.length % 7))
      headers.push(['Content-Length', String(length)])
      seenBody = body.subarray(0, length)
      raw = { incomplete: false }
      break
    }
    case 'long':
      headers.push(['Content-Length', String(body.length + 17)])
      raw = { incomplete: true }
      break
    case 'chunked':
      headers.push(['Transfer-Encoding', 'chunked'])
      sentBody = Buffer.concat([
        Buffer.from(`${body.length.toString(16)}\r\n`),
        body,
        Buffer.from('\r\n0\r\n\r\n'),
      ])
      raw = { incomplete: false }
      break
    case 'bad-chunk':
      headers.push(['Transfer-Encoding', 'chunked'])
      sentBody = Buffer.concat([Buffer.from('zz\r\n'), body, Buffer.from('\r\n0\r\n\r\n')])
      raw = { incomplete: true }
      break
    case 'te-and-cl':
      headers.push(['Transfer-Encoding', 'chunked'], ['Content-Length', String(body.length)])
      raw = { incomplete: true }
      break
    case 'two-lengths':
      headers.push(
        ['Content-Length', String(body.length)],
        ['Content-Length', String(body.length + 1)],
      )
      raw = { incomplete: true }
      break
    case 'negative-length':
      headers.push(['Content-Length', '-1'])
      raw = { incomplete: true }
      break
    case 'nul-in-header':
      headers.push(['X-Fuzz', 'a\u0000b'])
      raw = { incomplete: false }
      break
    case 'huge-header':
      headers.push(['X-Fuzz', 'h'.repeat(20_000)])
      raw = { incomplete: false }
      break
  }
  const reason = mustFailReason(draft, serverView(draft, seenBody))
  return {
    target: draft.target,
    mutations:
      reason === undefined ? draft.mutations : [...draft.mutations, `(must fail: ${reason})`],
    method: draft.method,
    path: `${endpoint}${draft.pathSuffix}${query}`,
    headers,
    // As text when it is valid UTF-8, so a counterexample prints readably.
    body: Buffer.from(sentBody.toString('utf8')).equals(sentBody)
      ? sentBody.toString('utf8')
      : sentBody,
    raw,
    format: 'oauth',
    mustFail: reason !== undefined,
    carried: [
      draft.client.secret,
      ...draft.params.flatMap(([name, value]) =>
        ['client_secret', 'password', 'refresh_token', 'token'].includes(name)
          ? [textOf(value)]
          : [],
      ),
    ],
  }
}

/** Valid requests to an OAuth endpoint, mutated 0–3 times. */
export function oauthRequests(
  context: FuzzContext,
  target: OAuthTarget,
): fc.Arbitrary<FuzzRequest> {
  return fc
    .tuple(
      oauthBase(target),
      fc.oneof(
        { weight: 1, arbitrary: fc.constant([]) },
        {
          weight: 9,
          arbitrary: fc.array(mutationArbitrary(target), { minLength: 1, maxLength: 3 }),
        },
      ),
    )
    .map(([choice, mutations]) => {
      const draft = buildDraft(context, target, choice)
      for (const mutation of mutations) applyMutation(context, draft, mutation)
      return finishOAuth(context, draft)
    })
}
