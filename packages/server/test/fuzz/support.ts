/**
 * The hostile-input suite's shared half: a server prepared with real credentials, one way to send
 * a generated request (undici, or a raw socket for what no client library sends), the invariants
 * every response must hold, and the checks that refused requests changed nothing. The vitest
 * files (`*.fuzz.test.ts`) and the long run (`npm run fuzz`, run.ts) share all of it.
 */
import net from 'node:net'

import fc from 'fast-check'
import { Agent, request as undiciRequest } from 'undici'

import { ConsoleClient } from '../support/console-client.js'
import { createApi, createApplication } from '../support/fixtures.js'
import type { StartOptions, TestServer } from '../support/server.js'

// ---------------------------------------------------------------------------------------------
// Settings

/** Fixed unless TOKENMINT_FUZZ_SEED says otherwise (a number, or `random`), so a failure replays. */
export const FUZZ_SEED = seedFrom(process.env['TOKENMINT_FUZZ_SEED'])
/** Runs per property (TOKENMINT_FUZZ_RUNS); the default keeps each file to a few hundred requests. */
export const FUZZ_RUNS = runsFrom(process.env['TOKENMINT_FUZZ_RUNS'])

function seedFrom(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 20_261_130
  if (raw === 'random') return Math.floor(Math.random() * 2 ** 31)
  const seed = Number(raw)
  if (!Number.isSafeInteger(seed))
    throw new Error(`TOKENMINT_FUZZ_SEED must be an integer or "random"`)
  return seed
}

function runsFrom(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 75
  const runs = Number(raw)
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error('TOKENMINT_FUZZ_RUNS must be a positive integer')
  return runs
}

/**
 * Limits high enough that refusals come from the request itself, not from the per-IP
 * failed-authentication limit or the per-application quota (a 429 is still a valid answer).
 */
export const FUZZ_SERVER_OPTIONS: StartOptions = {
  env: {
    TOKENMINT_FAILED_AUTH_LIMIT: '1000000',
    TOKENMINT_TOKEN_RATE_LIMIT: '10000000',
  },
}

// ---------------------------------------------------------------------------------------------
// Requests and responses

export type Target =
  'token' | 'token-global' | 'introspect' | 'revoke' | 'admin' | 'console-session' | 'console-admin'

export type Collection = 'tenants' | 'apis' | 'applications' | 'users' | 'administrators'

/** One generated request, plain data so a failure prints as its own reproduction. */
export interface FuzzRequest {
  target: Target
  /** What was done to a valid request. */
  mutations: string[]
  method: string
  /** Path and query, already encoded as sent. */
  path: string
  /** In order; a name may repeat. */
  headers: [string, string][]
  body?: string | Uint8Array | undefined
  /**
   * Sent over a raw socket exactly as given (framing headers included; a correct Content-Length
   * is added unless one is given). `incomplete`: the body is shorter than declared, so the
   * server may close the connection without answering.
   */
  raw?: { incomplete: boolean } | undefined
  /** How errors must look: RFC 6749 §5.2 JSON, or RFC 9457 problem details. */
  format: 'oauth' | 'problem'
  /** Must not succeed: a credential, grant_type or framing was broken, or a parameter repeated. */
  mustFail: boolean
  /** Secret-like values the request carries (passwords, secrets, tokens); never echoed back. */
  carried: string[]
  /** No route matches the method and path (so the route's error format does not apply). */
  unrouted?: boolean | undefined
  /** A create or delete in a collection of the fuzzed tenant, counted when it succeeds. */
  changes?: { collection: Collection; delta: 1 | -1; id?: string | undefined } | undefined
}

export interface FuzzResponse {
  /** 0: the connection closed without an answer. */
  status: number
  /** Lower-case names; repeated fields joined with ", ". */
  headers: Record<string, string>
  body: string
}

const agent = new Agent({
  connections: 64,
  keepAliveTimeout: 4_000,
  headersTimeout: 30_000,
  bodyTimeout: 30_000,
})

/** A `.` or `..` segment, which a URL parser would resolve away before sending. */
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?=[/?]|$)/i

/**
 * Sends with undici; what undici refuses to send (a NUL in a header, a GET with a body) or would
 * change (dot segments) goes raw.
 */
export async function send(baseUrl: string, request: FuzzRequest): Promise<FuzzResponse> {
  if (request.raw !== undefined || DOT_SEGMENT.test(request.path)) return sendRaw(baseUrl, request)
  let response
  try {
    response = await undiciRequest(`${baseUrl}${request.path}`, {
      method: request.method,
      headers: request.headers.flat(),
      body: request.body,
      dispatcher: agent,
    })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'UND_ERR_INVALID_ARG' || error instanceof TypeError)
      return sendRaw(baseUrl, request)
    throw error
  }
  const body = await response.body.text()
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return { status: response.statusCode, headers, body }
}

/** HTTP/1.1 over a socket, `Connection: close`; reads the first response to the end. */
export function sendRaw(baseUrl: string, request: FuzzRequest): Promise<FuzzResponse> {
  const url = new URL(baseUrl)
  const body =
    request.body === undefined
      ? Buffer.alloc(0)
      : typeof request.body === 'string'
        ? Buffer.from(request.body, 'utf8')
        : Buffer.from(request.body)
  const framed = request.headers.some(([name]) =>
    /^(content-length|transfer-encoding)$/i.test(name),
  )
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    `Host: ${url.host}`,
    'Connection: close',
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
    ...(framed ? [] : [`Content-Length: ${body.length}`]),
  ].join('\r\n')
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = net.connect(Number(url.port), url.hostname)
    socket.setTimeout(15_000, () => {
      socket.destroy()
      reject(new Error(`raw request timed out: ${request.method} ${request.path}`))
    })
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', () => {
      // A reset after the answer (or instead of one) is the server closing a bad connection.
    })
    socket.on('close', () => {
      resolve(parseRawResponse(Buffer.concat(chunks)))
    })
    socket.write(Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'utf8'), body]))
    // Node aborts a request whose client half-closes, so only a body that never completes is
    // followed by an end (otherwise the server would wait for the rest until its timeout).
    if (request.raw?.incomplete === true) socket.end()
  })
}

function parseRawResponse(bytes: Buffer): FuzzResponse {
  const end = bytes.indexOf('\r\n\r\n')
  if (end < 0) return { status: 0, headers: {}, body: bytes.toString('latin1') }
  const lines = bytes.subarray(0, end).toString('latin1').split('\r\n')
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]
  const headers: Record<string, string> = {}
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  let payload = bytes.subarray(end + 4)
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) payload = dechunk(payload)
  else if (headers['content-length'] !== undefined)
    payload = payload.subarray(0, Number(headers['content-length']))
  return {
    status: status === undefined ? 0 : Number(status),
    headers,
    body: payload.toString('utf8'),
  }
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at)
    if (lineEnd < 0) break
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16)
    if (!(size > 0)) break
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
  return Buffer.concat(parts)
}

/** The request as a reproduction: method, path, headers and body, bodies cut at 2 KiB. */
export function describeRequest(request: FuzzRequest): string {
  const body =
    request.body === undefined
      ? ''
      : typeof request.body === 'string'
        ? request.body
        : Buffer.from(request.body).toString('latin1')
  return JSON.stringify(
    {
      target: request.target,
      mutations: request.mutations,
      mustFail: request.mustFail,
      method: request.method,
      path: request.path,
      headers: request.headers.map(([n, v]) => [n, v.length > 300 ? `${v.slice(0, 300)}…` : v]),
      ...(request.raw && { raw: request.raw }),
      body: body.length > 2048 ? `${body.slice(0, 2048)}… (${body.length} bytes)` : body,
    },
    null,
    1,
  )
}

// ---------------------------------------------------------------------------------------------
// Invariants

/** RFC 6749 §5.2, RFC 7009 §2.2.1 and RFC 8707 codes, plus the server's rate-limit code. */
const OAUTH_ERROR_CODES = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'unsupported_token_type',
  'rate_limited',
])

const EXPECTED_STATUSES = new Set([
  200, 201, 204, 400, 401, 403, 404, 409, 412, 413, 414, 415, 429, 431,
])

/** What a leaked stack trace or internal error looks like. */
const LEAK_PATTERNS: [string, RegExp][] = [
  ['a stack frame', /\n\s*at \S|\bat (?:async )?\S+ \((?:file:|node:|\/)/],
  ['a node internal', /node:internal|node_modules[\\/]/],
  ['a source path', /(?:file:\/\/|(?:^|[\s"'(=])\/(?:[\w.@-]+\/)+)[\w.@-]+\.(?:[cm]?[jt]s)\b/],
  [
    'an internal error message',
    /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|SqliteError|AssertionError)\b|Cannot read propert|is not a function|Maximum call stack|datatype mismatch|SQLITE_|\bFST_ERR_|\bERR_[A-Z_]{4,}/,
  ],
]

const JWT = /eyJ[\w-]{4,}\.eyJ[\w-]{4,}\./g

/** A JWT in `text` that the request did not send itself (an error may quote what it was sent). */
function hasNewJwt(request: FuzzRequest, text: string): boolean {
  const sent = [
    request.path,
    ...request.headers.map(([, value]) => value),
    request.body === undefined ? '' : Buffer.from(request.body).toString('utf8'),
  ].join('\n')
  return [...text.matchAll(JWT)].some(([jwt]) => !sent.includes(jwt))
}

export type ViolationKind =
  | 'server-error'
  | 'no-answer'
  | 'unexpected-status'
  | 'leak'
  | 'secret-echoed'
  | 'refusal-expected'
  | 'token-in-refusal'
  | 'error-shape'
  | 'success-shape'

export interface Violation {
  kind: ViolationKind
  detail: string
}

/**
 * Deviations found by this suite and reported, in code this suite does not own (the error
 * renderer, Fastify's router and Node's HTTP parser): counted by the long run, but they fail
 * nothing until fixed. Each waives only the kinds of violation it names.
 */
export const KNOWN_ISSUES: {
  id: string
  summary: string
  waives: ViolationKind[]
  matches: (request: FuzzRequest, response: FuzzResponse) => boolean
}[] = []

export interface Verdict {
  violations: Violation[]
  /** Ids of KNOWN_ISSUES this response showed. */
  known: string[]
}

/** Every invariant, for one response. `secrets` are values no response may ever contain. */
export function judge(
  request: FuzzRequest,
  response: FuzzResponse,
  secrets: readonly string[],
): Verdict {
  const found: Violation[] = []
  const add = (kind: ViolationKind, detail: string) => found.push({ kind, detail })
  const { status, body } = response
  const headerText = Object.entries(response.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')

  if (status === 0) {
    if (request.raw?.incomplete !== true)
      add('no-answer', 'the connection closed without an answer')
  } else if (status >= 500) {
    add('server-error', `${status} ${body.slice(0, 300)}`)
  } else if (!EXPECTED_STATUSES.has(status)) {
    add('unexpected-status', `${status} ${body.slice(0, 200)}`)
  }

  for (const [what, pattern] of LEAK_PATTERNS) {
    const match = pattern.exec(body) ?? pattern.exec(headerText)
    if (match !== null) add('leak', `${what}: …${match[0].slice(0, 120)}…`)
  }

  const echoed = [...secrets, ...request.carried.filter((value) => value.length >= 12)]
  for (const secret of echoed) {
    if (secret.length >= 12 && (body.includes(secret) || headerText.includes(secret)))
      add(
        'secret-echoed',
        `the response contains a secret it was sent or holds (${secret.slice(0, 6)}…)`,
      )
  }

  const succeeded = status >= 200 && status < 400
  if (request.mustFail && succeeded)
    add('refusal-expected', `${status} for a request that must fail: ${body.slice(0, 200)}`)
  if (
    (request.mustFail || status >= 400) &&
    (body.includes('"access_token"') || hasNewJwt(request, body))
  )
    add('token-in-refusal', 'a refused request got an access token back')

  if (status >= 400 && status < 500) checkErrorShape(request, response, add)
  if (status === 200) checkSuccessShape(request, response, add)

  const known: string[] = []
  let violations = found
  for (const issue of KNOWN_ISSUES) {
    if (!issue.matches(request, response)) continue
    known.push(issue.id)
    violations = violations.filter((v) => !issue.waives.includes(v.kind))
  }
  return { violations, known }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkErrorShape(
  request: FuzzRequest,
  response: FuzzResponse,
  add: (kind: ViolationKind, detail: string) => void,
) {
  const json = parseJson(response.body)
  if (response.status === 429 && response.headers['retry-after'] === undefined)
    add('error-shape', '429 without Retry-After')
  if (!isRecord(json)) {
    add(
      'error-shape',
      `a ${response.status} whose body is not a JSON object: ${response.body.slice(0, 200)}`,
    )
    return
  }
  if (request.format === 'oauth') {
    const code = json['error']
    const isKnownCode =
      typeof code === 'string' &&
      (OAUTH_ERROR_CODES.has(code) || (response.status === 404 && code === 'not_found'))
    if (!isKnownCode || typeof json['error_description'] !== 'string')
      add('error-shape', `not an RFC 6749 error: ${response.body.slice(0, 200)}`)
    return
  }
  const type = response.headers['content-type'] ?? ''
  if (
    !type.startsWith('application/problem+json') ||
    typeof json['type'] !== 'string' ||
    typeof json['title'] !== 'string' ||
    json['status'] !== response.status ||
    typeof json['detail'] !== 'string' ||
    typeof json['error'] !== 'string'
  )
    add('error-shape', `not RFC 9457 problem details (${type}): ${response.body.slice(0, 200)}`)
}

function checkSuccessShape(
  request: FuzzRequest,
  response: FuzzResponse,
  add: (kind: ViolationKind, detail: string) => void,
) {
  const json = parseJson(response.body)
  switch (request.target) {
    case 'token':
    case 'token-global':
      if (
        !isRecord(json) ||
        typeof json['access_token'] !== 'string' ||
        json['token_type'] !== 'Bearer' ||
        typeof json['expires_in'] !== 'number' ||
        !(response.headers['cache-control'] ?? '').includes('no-store')
      )
        add('success-shape', `not an RFC 6749 §5.1 token response: ${response.body.slice(0, 200)}`)
      break
    case 'introspect':
      if (!isRecord(json) || typeof json['active'] !== 'boolean')
        add('success-shape', `not an RFC 7662 response: ${response.body.slice(0, 200)}`)
      break
    case 'revoke':
      if (response.body !== '{}' && response.body !== '')
        add('success-shape', `revocation answered with a body: ${response.body.slice(0, 200)}`)
      break
    case 'admin':
    case 'console-session':
    case 'console-admin':
      // The audit export and stream answer JSON lines: every line must be JSON.
      if ((response.headers['content-type'] ?? '').startsWith('application/x-ndjson')) {
        const bad = response.body
          .split('\n')
          .filter((line) => line !== '')
          .find((line) => parseJson(line) === undefined)
        if (bad !== undefined) add('success-shape', `not JSON lines: ${bad.slice(0, 200)}`)
      } else if (json === undefined)
        add('success-shape', `not JSON: ${response.body.slice(0, 200)}`)
      break
  }
}

// ---------------------------------------------------------------------------------------------
// The prepared server

export interface Credentials {
  id: string
  secret: string
}

/** What the generators draw on; mutable parts change as the run goes. */
export interface FuzzContext {
  server: TestServer
  url: string
  tenant: string
  api: { id: string; audience: string; scopes: string[] }
  /** Client credentials for `api`. */
  client: Credentials
  /** A resource server's application (may introspect and revoke). */
  introspector: Credentials
  /** Allowed the password grant (and so refresh tokens). */
  passwordClient: Credentials
  user: { id: string; username: string; password: string }
  refreshToken: string
  /** An access token of `client`, to introspect. */
  accessToken: string
  owner: { username: string; password: string }
  /** The console session every console request starts from. */
  session: { cookie: string; csrf: string }
  adminClientId: string
  adminToken: string
  /** Another tenant: its id, and an admin token of its own, for crossing tenants. */
  other: { tenant: string; adminToken: string }
  /** The admin API's operations, from its OpenAPI document. */
  operations: Operation[]
  /** Objects valid requests may change or delete; refilled as they go. */
  victims: Record<'applications' | 'apis' | 'users' | 'administrators', string[]>
  /** Objects only refused requests reach: they must never change. */
  protected: Record<'applications' | 'apis' | 'users' | 'administrators', string[]>
  /** Collection sizes as they should be, from the successful creates and deletes seen. */
  expectedCounts: Record<Collection, number>
  /** Snapshot of the protected objects, taken after preparation. */
  protectedSnapshot: string
  /** Whether to keep victims for valid admin calls (only the admin and console files need them). */
  withVictims: boolean
}

export interface Operation {
  method: string
  /** `/admin/v1/tenants/{tenant}/applications/{clientId}` */
  path: string
  body: JsonSchema | undefined
  bodyRequired: boolean
  query: { name: string; schema: JsonSchema }[]
}

export interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  anyOf?: JsonSchema[]
  allOf?: JsonSchema[]
  enum?: unknown[]
  const?: unknown
  format?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  minItems?: number
  maxItems?: number
  additionalProperties?: boolean
}

/** Every secret the context holds: never in any response. */
export function secretsOf(context: FuzzContext): string[] {
  return [
    context.client.secret,
    context.introspector.secret,
    context.passwordClient.secret,
    context.server.admin.clientSecret,
    context.user.password,
    context.owner.password,
    context.refreshToken,
    context.adminToken,
    context.other.adminToken,
    context.session.cookie.split('=')[1] ?? '',
  ]
}

async function adminCall(
  context: { url: string; adminToken: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${context.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${context.adminToken}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  if (!response.ok)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
  return (await response.json()) as Record<string, unknown>
}

async function form(url: string, parameters: Record<string, string>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(parameters),
  })
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`)
  return (await response.json()) as Record<string, string>
}

let victimCounter = 0

/** A started server with every credential and object the generators use. */
export async function prepareFuzzContext(
  server: TestServer,
  options: { withVictims?: boolean } = {},
): Promise<FuzzContext> {
  const { tenant, url } = server
  const base = { url, adminToken: await server.adminToken() }
  const api = await createApi(server, { name: 'Fuzz API' })
  const grants = [{ audience: api.audience, scopes: api.scopes }]
  const client = await createApplication(server, { grants })
  const password = await createApplication(server, {
    grants,
    grant_types: ['password', 'refresh_token'],
  })
  const introspector = await adminCall(base, 'POST', `/admin/v1/tenants/${tenant}/applications`, {
    name: 'Fuzz resource server',
    can_introspect: true,
  })
  const user = { username: 'fuzz.scanner@example.com', password: 'fuzz-user-passphrase-Q7w!' }
  const created = await adminCall(base, 'POST', `/admin/v1/tenants/${tenant}/users`, {
    ...user,
    grants,
  })
  const passwordGrant = await form(`${server.issuer}/oauth/token`, {
    grant_type: 'password',
    client_id: password.clientId,
    client_secret: password.clientSecret,
    username: user.username,
    password: user.password,
  })
  const clientToken = await form(`${server.issuer}/oauth/token`, {
    grant_type: 'client_credentials',
    client_id: client.clientId,
    client_secret: client.clientSecret,
  })
  const other = await adminCall(base, 'POST', '/admin/v1/tenants', { id: 'fuzz-other' })
  const otherAdmin = other['admin'] as { client_id: string; client_secret: string }
  const otherToken = await form(`${url}/t/fuzz-other/oauth/token`, {
    grant_type: 'client_credentials',
    client_id: otherAdmin.client_id,
    client_secret: otherAdmin.client_secret,
    audience: 'urn:tokenmint:admin',
  })
  if (server.owner === undefined)
    throw new Error('the fuzz suite needs a freshly initialised server')
  const console = new ConsoleClient(server)
  const signedIn = await console.signIn(tenant, server.owner.username, server.owner.password)
  if (!signedIn.ok || console.cookie === undefined || console.csrf === undefined)
    throw new Error(`console sign-in failed: ${signedIn.status}`)
  const openapi = (await (await fetch(`${url}/admin/v1/openapi.json`)).json()) as OpenApiDocument
  const apis = (await adminCall(base, 'GET', `/admin/v1/tenants/${tenant}/apis`))['items'] as {
    id: string
    built_in: boolean
  }[]

  const sentinel = await createApplication(server, { name: 'Fuzz sentinel', grants })
  const sentinelUser = await adminCall(base, 'POST', `/admin/v1/tenants/${tenant}/users`, {
    username: 'fuzz.sentinel@example.com',
    password: 'sentinel-passphrase-Z9x!',
  })
  const owner = (
    (await adminCall(base, 'GET', `/admin/v1/tenants/${tenant}/administrators`))['items'] as {
      id: string
    }[]
  )[0]

  const context: FuzzContext = {
    server,
    url,
    tenant,
    api,
    client: { id: client.clientId, secret: client.clientSecret },
    introspector: {
      id: introspector['client_id'] as string,
      secret: introspector['client_secret'] as string,
    },
    passwordClient: { id: password.clientId, secret: password.clientSecret },
    user: { id: created['id'] as string, ...user },
    refreshToken: passwordGrant['refresh_token'] ?? '',
    accessToken: clientToken['access_token'] ?? '',
    owner: server.owner,
    session: { cookie: console.cookie, csrf: console.csrf },
    adminClientId: server.admin.clientId,
    adminToken: base.adminToken,
    other: { tenant: 'fuzz-other', adminToken: otherToken['access_token'] ?? '' },
    operations: operationsOf(openapi),
    victims: { applications: [], apis: [], users: [], administrators: [] },
    protected: {
      applications: [
        sentinel.clientId,
        server.admin.clientId,
        client.clientId,
        password.clientId,
        introspector['client_id'] as string,
      ],
      apis: apis.map((a) => a.id),
      users: [sentinelUser['id'] as string, created['id'] as string],
      administrators: owner === undefined ? [] : [owner.id],
    },
    expectedCounts: { tenants: 0, apis: 0, applications: 0, users: 0, administrators: 0 },
    protectedSnapshot: '',
    withVictims: options.withVictims ?? true,
  }
  await refillVictims(context)
  context.expectedCounts = await countCollections(context)
  context.protectedSnapshot = await snapshotProtected(context)
  return context
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string; schema: JsonSchema }[]
        requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> }
      }
    >
  >
}

function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = []
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const body = operation.requestBody?.content['application/json']?.schema
      operations.push({
        method: method.toUpperCase(),
        path,
        body,
        bodyRequired: operation.requestBody?.required === true,
        query: (operation.parameters ?? [])
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema })),
      })
    }
  }
  return operations
}

/** Keeps a few objects in each collection for valid requests to change and delete. */
export async function refillVictims(context: FuzzContext): Promise<void> {
  if (!context.withVictims) return
  const path = `/admin/v1/tenants/${context.tenant}`
  const want = 3
  while (context.victims.applications.length < want) {
    const app = await adminCall(context, 'POST', `${path}/applications`, {
      name: `victim-${++victimCounter}`,
      grants: [{ audience: context.api.audience, scopes: context.api.scopes }],
    })
    context.victims.applications.push(app['client_id'] as string)
    context.expectedCounts.applications++
  }
  while (context.victims.apis.length < want) {
    const api = await adminCall(context, 'POST', `${path}/apis`, {
      audience: `https://victim-${++victimCounter}.example.com`,
      name: 'Victim API',
      scopes: ['read:things', 'delete:things'],
    })
    context.victims.apis.push(api['id'] as string)
    context.expectedCounts.apis++
  }
  while (context.victims.users.length < want) {
    const user = await adminCall(context, 'POST', `${path}/users`, {
      username: `victim-${++victimCounter}@example.com`,
      password: `victim-passphrase-${victimCounter}-Kq8!`,
    })
    context.victims.users.push(user['id'] as string)
    context.expectedCounts.users++
  }
  while (context.victims.administrators.length < want) {
    const administrator = await adminCall(context, 'POST', `${path}/administrators`, {
      username: `victim-admin-${++victimCounter}`,
      role: 'viewer',
      password: `victim-admin-passphrase-${victimCounter}-Lm3!`,
    })
    context.victims.administrators.push(administrator['id'] as string)
    context.expectedCounts.administrators++
  }
}

/** After each response: counts what succeeded, and adopts created objects as victims. */
export function noteOutcome(
  context: FuzzContext,
  request: FuzzRequest,
  response: FuzzResponse,
): void {
  const change = request.changes
  if (change === undefined || response.status < 200 || response.status >= 300) return
  // A create by a known external_id answers 200 with the tenant it made before.
  if (change.collection === 'tenants' && response.status !== 201) return
  context.expectedCounts[change.collection] += change.delta
  if (change.collection === 'tenants') return
  const pool = context.victims[change.collection]
  if (change.delta === -1) {
    const at = pool.indexOf(change.id ?? '')
    if (at >= 0) pool.splice(at, 1)
    return
  }
  const created = parseJson(response.body)
  const id = isRecord(created) ? (created['client_id'] ?? created['id']) : undefined
  if (typeof id === 'string' && pool.length < 20) pool.push(id)
}

export async function countCollections(context: FuzzContext): Promise<Record<Collection, number>> {
  const { storage } = context.server.services
  const tenant = context.tenant
  let users = 0
  let cursor: string | undefined
  do {
    const page = await storage.users.list(tenant, { limit: 200, cursor })
    users += page.items.length
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined)
  return {
    tenants: await storage.tenants.count(),
    apis: (await storage.apis.list(tenant)).length,
    applications: (await storage.applications.listAll(tenant)).length,
    users,
    administrators: (await storage.administrators.list(tenant)).length,
  }
}

/** What must not change about the protected objects (not last-used times or lock counters). */
export async function snapshotProtected(context: FuzzContext): Promise<string> {
  const { storage } = context.server.services
  const tenant = context.tenant
  const parts: unknown[] = []
  for (const clientId of context.protected.applications) {
    const app = await storage.applications.get(tenant, clientId)
    const secrets = await storage.applications.listSecrets(clientId)
    parts.push([
      app?.version,
      app?.status,
      app?.grants,
      app?.grantTypes,
      secrets.map((s) => [s.id, s.expiresAt?.toISOString() ?? null]),
    ])
  }
  for (const id of context.protected.apis) {
    const api = await storage.apis.get(tenant, id)
    parts.push([api?.version, api?.scopes])
  }
  for (const id of context.protected.users) {
    const user = await storage.users.get(tenant, id)
    parts.push([user?.username, user?.grants])
  }
  for (const id of context.protected.administrators) {
    const administrator = await storage.administrators.get(tenant, id)
    parts.push([administrator?.version, administrator?.role, administrator?.status])
  }
  return JSON.stringify(parts)
}

/**
 * The state checks, cheap enough to run every few dozen requests with nothing in flight:
 * collection sizes match the successful creates and deletes, protected objects are as they were,
 * and the console session still works. Refreshes the admin token and the victims afterwards.
 */
export async function checkpoint(context: FuzzContext): Promise<string[]> {
  try {
    return await checkState(context)
  } catch (error) {
    return [`the state checks could not run: ${String(error)}`]
  }
}

async function checkState(context: FuzzContext): Promise<string[]> {
  const problems: string[] = []
  const counts = await countCollections(context)
  for (const [collection, expected] of Object.entries(context.expectedCounts)) {
    const actual = counts[collection as Collection]
    if (actual !== expected)
      problems.push(
        `${collection}: ${actual} in storage, ${expected} expected from the answers given`,
      )
  }
  context.expectedCounts = counts
  const snapshot = await snapshotProtected(context)
  if (snapshot !== context.protectedSnapshot)
    problems.push(
      `a protected object changed:\n  before ${context.protectedSnapshot}\n  after  ${snapshot}`,
    )
  context.protectedSnapshot = snapshot
  const session = await fetch(`${context.url}/console/api/session`, {
    headers: { cookie: context.session.cookie },
  })
  if (session.status !== 200) problems.push(`the console session ended: ${session.status}`)
  await session.body?.cancel()
  context.adminToken = await context.server.adminToken()
  await refillVictims(context)
  return problems
}

// ---------------------------------------------------------------------------------------------
// The vitest harness

/**
 * Runs one property: every generated request is sent and judged; a violation fails the property
 * (fast-check shrinks it and prints the seed). Every `checkpointEvery` requests the state checks
 * run; their problems are collected and returned, for the test to assert on.
 */
export async function fuzz(
  context: FuzzContext,
  requests: fc.Arbitrary<FuzzRequest>,
  options: { runs?: number; checkpointEvery?: number } = {},
): Promise<string[]> {
  const problems: string[] = []
  let sent = 0
  const every = options.checkpointEvery ?? 25
  await fc.assert(
    fc.asyncProperty(requests, async (request) => {
      const response = await send(context.url, request)
      noteOutcome(context, request, response)
      const verdict = judge(request, response, secretsOf(context))
      if (++sent % every === 0) problems.push(...(await checkpoint(context)))
      if (verdict.violations.length > 0) {
        throw new Error(
          `${verdict.violations.map((v) => `${v.kind}: ${v.detail}`).join('\n')}\n` +
            `request: ${describeRequest(request)}\n` +
            `response: ${response.status} ${JSON.stringify(response.headers)}\n${response.body.slice(0, 1000)}`,
        )
      }
    }),
    { numRuns: options.runs ?? FUZZ_RUNS, seed: FUZZ_SEED },
  )
  problems.push(...(await checkpoint(context)))
  return problems
}
