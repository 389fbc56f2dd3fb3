import { SignInError } from '../management/console-sessions.js'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../domain/errors.js'
import { OAuthError } from '../oauth/errors.js'

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
    readonly code: 'missing_token' | 'invalid_request' | 'invalid_token' | 'insufficient_scope',
    message: string,
    readonly scope?: string,
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

function quote(value: string): string {
  return value.replace(/[\\"]/g, '\\$&')
}

function bearerChallenge(error: BearerTokenError): string {
  const parts = [`Bearer realm="tokenmint"`]
  if (error.code !== 'missing_token') {
    parts.push(`error="${error.code}"`, `error_description="${quote(error.message)}"`)
  }
  if (error.scope !== undefined) parts.push(`scope="${quote(error.scope)}"`)
  return parts.join(', ')
}

/**
 * Connection-level failures of the database (refused, reset, timed out, server shutting down,
 * too many connections, SQLite busy): the client may retry, so 503 rather than 500. Matched by
 * code because the edge does not import the drivers.
 */
const UNAVAILABLE_CODES = new Set([
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
  'SQLITE_BUSY',
  // Serialization failure and deadlock victim: the transaction was rolled back, safe to retry.
  '40001',
  '40P01',
])

function isStorageUnavailable(error: unknown): boolean {
  for (
    let current: unknown = error, depth = 0;
    current !== undefined && current !== null && depth < 5;
    depth++
  ) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true
    const message = (current as { message?: unknown }).message
    if (
      typeof message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect/.test(message)
    )
      return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

/** Maps every error to what the client sees; anything unexpected is a logged 500 without detail. */
function render(error: unknown, request: FastifyRequest): Rendered {
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
      fields: [{ field: error.field, message: error.message }],
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

  if (isStorageUnavailable(error)) {
    return {
      status: 503,
      code: 'temporarily_unavailable',
      description: 'storage is unreachable right now; try again shortly',
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

/** Registers the one error renderer of the server. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const rendered = render(error, request)
    if (rendered.status >= 500) request.log.error({ err: error }, 'request failed')
    void reply.code(rendered.status).headers({ ...NO_STORE, ...rendered.headers })
    if (request.routeOptions.config.errorFormat === 'problem') {
      return reply.type('application/problem+json').send({
        type: 'about:blank',
        title: PROBLEM_TITLES[rendered.status] ?? 'Error',
        status: rendered.status,
        detail: rendered.description,
        error: rendered.code,
        ...(rendered.fields && { errors: rendered.fields }),
      })
    }
    return reply.send({ error: rendered.code, error_description: rendered.description })
  })
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).headers(NO_STORE)
    return reply.send({
      error: 'not_found',
      error_description: `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`,
    })
  })
}

export { NO_STORE }
