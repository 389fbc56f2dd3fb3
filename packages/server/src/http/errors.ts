import type { Duplex } from 'node:stream'

import { DPOP_ALGORITHMS } from '@tokenmint/verify'

import { PortalLinkError, SignInError } from '../management/console-sessions.js'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../domain/errors.js'
import { OAuthError } from '../oauth/errors.js'
import type { StorageHealth } from '../storage/storage-health.js'

/** How a route renders errors: RFC 6749 §5.2 JSON, or RFC 9457 problem details (admin API). */
export type ErrorFormat = 'oauth' | 'problem'

declare module 'fastify' {
  interface FastifyContextConfig {
    errorFormat?: ErrorFormat
  }
}

/** The caller's Bearer token is missing or not acceptable (RFC 6750 §3.1). */
export class BearerTokenError extends Error {
  override name = 'BearerTokenError'
  constructor(
    /** `missing_token`: no credentials at all; RFC 6750 §3.1 says to answer with no error code. */
    readonly code:
      | 'missing_token'
      | 'invalid_request'
      | 'invalid_token'
      | 'insufficient_scope'
      | 'invalid_dpop_proof',
    message: string,
    readonly scope?: string,
    /** `DPoP` for a DPoP-bound token or its proof (RFC 9449 §7.1). */
    readonly scheme: 'Bearer' | 'DPoP' = 'Bearer',
  ) {
    super(message)
  }
}

interface Rendered {
  status: number
  code: string
  description: string
  headers?: Record<string, string>
  fields?: { field: string; message: string }[]
}

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' }

/**
 * RFC 6749 §5.2 and RFC 6750 §3: error_description "MUST NOT include characters outside the
 * set %x20-21 / %x23-5B / %x5D-7E". Descriptions quote names and echo what the client sent, so
 * they are made to fit on the way out: double quotes become single, a backslash a slash, § the
 * word, and anything else outside printable ASCII a question mark.
 */
export function oauthDescription(text: string): string {
  return text
    .replaceAll('"', "'")
    .replaceAll('\\', '/')
    .replaceAll('§', 'section ')
    .replace(/[^\x20-\x7E]/g, '?')
}

function quote(value: string): string {
  return value.replace(/[\\"]/g, '\\$&')
}

function bearerChallenge(error: BearerTokenError): string {
  const parts = [`${error.scheme} realm="tokenmint"`]
  if (error.code !== 'missing_token') {
    parts.push(`error="${error.code}"`, `error_description="${oauthDescription(error.message)}"`)
  }
  if (error.scope !== undefined) parts.push(`scope="${quote(error.scope)}"`)
  if (error.scheme === 'DPoP') parts.push(`algs="${DPOP_ALGORITHMS.join(' ')}"`)
  return parts.join(', ')
}

type StorageFailureKind = 'unreachable' | 'full' | 'unwritable' | 'contention'

/**
 * Storage failures the client may retry, so 503 rather than 500. Matched by code because the
 * edge does not import the drivers; SQLite's extended codes (SQLITE_IOERR_WRITE) share their
 * primary code's entry. All but `contention` are outages: storage cannot serve this node until
 * it recovers (StorageHealth), where contention means one transaction lost a race.
 */
const STORAGE_FAILURES = new Map<string, StorageFailureKind>([
  // Connection refused, reset or timed out, server shutting down, too many connections.
  ...[
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'EHOSTUNREACH',
    '57P01',
    '57P02',
    '57P03',
    '53300',
    '08000',
    '08001',
    '08003',
    '08004',
    '08006',
  ].map((code) => [code, 'unreachable'] as const),
  ['SQLITE_FULL', 'full'],
  ['53100', 'full'],
  // I/O errors, a read-only file system (Linux remounts one read-only after write errors), and
  // Postgres writes sent to a standby (after a failover).
  ['SQLITE_IOERR', 'unwritable'],
  ['SQLITE_READONLY', 'unwritable'],
  ['58030', 'unwritable'],
  ['25006', 'unwritable'],
  // Busy past busy_timeout, serialization failure, deadlock victim: rolled back, safe to retry.
  ['SQLITE_BUSY', 'contention'],
  ['40001', 'contention'],
  ['40P01', 'contention'],
])

const STORAGE_FAILURE_DESCRIPTIONS: Record<StorageFailureKind, string> = {
  unreachable: 'storage is unreachable right now; try again shortly',
  full: 'storage is full, so changes cannot be saved right now; try again later',
  unwritable: 'storage cannot save changes right now; try again later',
  contention: 'storage is busy right now; try again shortly',
}

interface StorageFailure {
  kind: StorageFailureKind
  isOutage: boolean
  /** The driver's error, wherever it sits in the cause chain. */
  cause: unknown
}

function storageFailure(error: unknown): StorageFailure | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const { code, message, cause } = current as {
      code?: unknown
      message?: unknown
      cause?: unknown
    }
    let kind =
      typeof code === 'string'
        ? STORAGE_FAILURES.get(code.replace(/^(SQLITE_[A-Z]+)_[A-Z_]+$/, '$1'))
        : undefined
    // pg and pg-pool raise these without a code.
    if (
      kind === undefined &&
      typeof message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect/.test(message)
    )
      kind = 'unreachable'
    if (kind !== undefined) return { kind, isOutage: kind !== 'contention', cause: current }
    current = cause
  }
  return undefined
}

/** Maps every error to what the client sees; anything unexpected is a logged 500 without detail. */
function render(
  error: unknown,
  request: FastifyRequest,
  failure: StorageFailure | undefined,
): Rendered {
  if (error instanceof OAuthError) {
    return {
      status: error.status,
      code: error.code,
      description: error.description,
      headers: error.headers,
    }
  }
  if (error instanceof BearerTokenError) {
    const status =
      error.code === 'insufficient_scope' ? 403 : error.code === 'invalid_request' ? 400 : 401
    return {
      status,
      code: error.code === 'missing_token' ? 'unauthorized' : error.code,
      description: error.message,
      headers: { 'WWW-Authenticate': bearerChallenge(error) },
    }
  }
  if (error instanceof PortalLinkError)
    return { status: 401, code: 'unauthorized', description: error.message }
  if (error instanceof SignInError) {
    return error.retryAfterMs > 0
      ? {
          status: 429,
          code: 'too_many_requests',
          description: error.message,
          headers: { 'Retry-After': String(Math.ceil(error.retryAfterMs / 1000)) },
        }
      : { status: 401, code: 'unauthorized', description: error.message }
  }
  if (error instanceof ValidationError) {
    return {
      status: 400,
      code: 'invalid_request',
      description: error.message,
      fields: [{ field: error.field, message: error.message }, ...error.others],
    }
  }
  if (error instanceof NotFoundError)
    return { status: 404, code: 'not_found', description: error.message }
  if (error instanceof ConflictError)
    return { status: 409, code: 'conflict', description: error.message }
  if (error instanceof PreconditionFailedError) {
    return { status: 412, code: 'precondition_failed', description: error.message }
  }
  if (error instanceof ForbiddenError)
    return { status: 403, code: 'forbidden', description: error.message }

  if (failure !== undefined) {
    return {
      status: 503,
      code: 'temporarily_unavailable',
      description: STORAGE_FAILURE_DESCRIPTIONS[failure.kind],
      headers: { 'Retry-After': '2' },
    }
  }

  const fastifyError = error as Partial<FastifyError>
  switch (fastifyError.code ?? '') {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'invalid_request', description: 'the request body is too large' }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        code: 'invalid_request',
        description: `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted; send application/x-www-form-urlencoded or application/json`,
      }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'invalid_request', description: 'the JSON body is empty' }
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        code: 'invalid_request',
        description: 'the request body is not valid JSON',
      }
    case 'FST_ERR_VALIDATION': {
      const validation =
        (
          fastifyError as {
            validation?: {
              instancePath: string
              message?: string
              params?: Record<string, unknown>
            }[]
          }
        ).validation ?? []
      const fields = validation.map((v) => {
        const missing = v.params?.['missingProperty']
        const extra = v.params?.['additionalProperty']
        const field = [v.instancePath.replace(/^\//, '').replace(/\//g, '.'), missing ?? extra]
          .filter((p) => typeof p === 'string' && p !== '')
          .join('.')
        const message =
          typeof extra === 'string' ? `unknown property "${extra}"` : (v.message ?? 'is invalid')
        return { field: field || (fastifyError.validationContext ?? 'body'), message }
      })
      return {
        status: 400,
        code: 'invalid_request',
        description:
          fields.map((f) => `${f.field}: ${f.message}`).join('; ') || 'the request is invalid',
        fields,
      }
    }
    default:
      break
  }
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return {
      status: fastifyError.statusCode,
      code: 'invalid_request',
      description: fastifyError.message ?? 'bad request',
    }
  }
  return { status: 500, code: 'server_error', description: 'the server met an unexpected error' }
}

const PROBLEM_TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  412: 'Precondition failed',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
}

/** A route's own format; a request no route took is judged by its path. */
function formatOf(request: FastifyRequest): ErrorFormat {
  const own = request.routeOptions.config.errorFormat
  if (own !== undefined) return own
  const path = request.url
  return path.startsWith('/admin/') || path.startsWith('/console/api/') ? 'problem' : 'oauth'
}

function send(request: FastifyRequest, reply: FastifyReply, rendered: Rendered): FastifyReply {
  void reply.code(rendered.status).headers({ ...NO_STORE, ...rendered.headers })
  if (formatOf(request) === 'problem') {
    return reply.type('application/problem+json').send({
      type: 'about:blank',
      title: PROBLEM_TITLES[rendered.status] ?? 'Error',
      status: rendered.status,
      detail: rendered.description,
      error: rendered.code,
      ...(rendered.fields && { errors: rendered.fields }),
    })
  }
  return reply.send({
    error: rendered.code,
    error_description: oauthDescription(rendered.description),
  })
}

/**
 * Registers the one error renderer of the server. A storage outage is logged by `storageHealth`
 * when it begins and ends, and each request it fails is counted there: a stack trace per refused
 * request buried the cause (7,800 lines in 8 s of a database outage).
 */
export function installErrorHandler(
  app: FastifyInstance,
  storageHealth: Pick<StorageHealth, 'refused'>,
): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const failure = storageFailure(error)
    const rendered = render(error, request, failure)
    if (rendered.status >= 500) {
      if (failure?.isOutage === true) storageHealth.refused(failure.cause)
      else request.log.error({ err: error }, 'request failed')
    }
    return send(request, reply, rendered)
  })
  app.setNotFoundHandler((request, reply) =>
    send(request, reply, {
      status: 404,
      code: 'not_found',
      description: `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`,
    }),
  )
}

/**
 * Fastify's router refuses a URL it cannot decode (bad percent-encoding) or a path parameter
 * over its length limit with a body of its own that quotes the whole URL, query string and
 * all (a client secret wrongly put there would come back): answer in our format, naming
 * nothing of the URL.
 */
export function renderFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  void send(request, reply, {
    status: error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400,
    code: 'invalid_request',
    description:
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? 'a part of the request path is too long'
        : 'the request path is not valid percent-encoding',
  })
}

/**
 * Requests Node's HTTP parser refuses (a bad Content-Length, a NUL in a header, headers over
 * the limit) never reach a route: answer them in the OAuth error format and close.
 */
export function answerClientError(
  error: Error & { code?: string; rawPacket?: unknown },
  socket: Duplex,
): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW'
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
  const status = tooLarge ? 431 : timedOut ? 408 : 400
  const description = tooLarge
    ? 'the request headers are too large'
    : timedOut
      ? 'the request was not complete in time'
      : 'the request is not valid HTTP'
  const reason = tooLarge
    ? 'Request Header Fields Too Large'
    : timedOut
      ? 'Request Timeout'
      : 'Bad Request'
  // The request line, when the parser got that far, says which family of routes was asked for.
  // (Node hands over a Buffer, whatever Fastify's type says.)
  const packet = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1', 0, 2048) : ''
  const path = /^[A-Z]+ (\S+)/.exec(packet)?.[1] ?? ''
  const isProblem = path.startsWith('/admin/') || path.startsWith('/console/api/')
  const body = JSON.stringify(
    isProblem
      ? {
          type: 'about:blank',
          title: reason,
          status,
          detail: description,
          error: 'invalid_request',
        }
      : { error: 'invalid_request', error_description: description },
  )
  const type = isProblem ? 'application/problem+json' : 'application/json'
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${type}; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\n` +
      `Connection: close\r\n\r\n${body}`,
  )
}

export { NO_STORE }
