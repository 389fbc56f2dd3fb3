import type { FastifyReply, FastifyRequest } from 'fastify'

import type { Services } from '../../compose.js'
import { ValidationError } from '../../domain/errors.js'
import { authenticateAdmin, ROOT_ROUTE, type AdminCaller, type NeededScopes } from './admin-auth.js'
import * as S from './schemas.js'

declare module 'fastify' {
  interface FastifyRequest {
    adminCaller?: AdminCaller
  }
}

export const bearer: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { consoleSession: [] }]
export const config = { errorFormat: 'problem' as const }
export const errors = {
  400: S.Problem,
  401: S.Problem,
  403: S.Problem,
  404: S.Problem,
  409: S.Problem,
  412: S.Problem,
}

/** Authentication runs before body validation, so an anonymous caller learns nothing from it. */
export function guardFor(services: Services) {
  return (scope: NeededScopes, tenant?: 'root') => async (request: FastifyRequest) => {
    const target = tenant === 'root' ? ROOT_ROUTE : (request.params as { tenant: string }).tenant
    request.adminCaller = await authenticateAdmin(services, request, target, scope)
  }
}

export function callerOf(request: FastifyRequest): AdminCaller {
  if (request.adminCaller === undefined) throw new Error('admin route without a guard')
  return request.adminCaller
}

/** `never`, a date (end of that day, UTC) or a date-time. */
export function parseExpiry(value: string | null | undefined): Date | null | undefined {
  if (value === undefined) return undefined
  if (value === null || value === 'never') return null
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? new Date(`${value}T23:59:59.999Z`)
    : new Date(value)
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new ValidationError(
      'expires_at',
      'expires_at must be "never", an ISO 8601 date (2027-01-31) or date-time',
    )
  }
  return date
}

/** ETags are the object's version: `"3"`. */
export function etag(version: number): string {
  return `"${version}"`
}

/** The version an `If-Match` names, or undefined when the header is absent (last write wins). */
export function ifMatch(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match']
  if (header === undefined) return undefined
  const match = /^(?:W\/)?"(\d+)"$/.exec(header.trim())
  if (match?.[1] === undefined)
    throw new ValidationError('If-Match', 'If-Match must be an ETag this API returned, like "3"')
  return Number(match[1])
}

/**
 * Ajv's type coercion turns the query values "Infinity" and "1e400" into Infinity, which its
 * integer, minimum and maximum checks then let through (they only judge finite numbers): refuse
 * any non-finite number before a handler passes it on as, say, a page size.
 */
export function refuseNonFiniteQuery(request: FastifyRequest): void {
  for (const [name, value] of Object.entries(request.query as Record<string, unknown>)) {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new ValidationError(name, `${name} must be a finite number`)
  }
}

export function withEtag(reply: FastifyReply, version: number): FastifyReply {
  return reply.header('ETag', etag(version))
}
