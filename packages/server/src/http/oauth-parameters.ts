import type { FastifyInstance } from 'fastify'

import { OAuthError } from '../oauth/errors.js'
import type { RequestParameters } from '../oauth/token-request.js'
import { hasRepeatedHeader, refuseRepeatedJsonMembers } from './repeated-input.js'

/**
 * Form bodies are parsed by hand with URLSearchParams because RFC 6749 §3.2 requires refusing
 * repeated parameters, which general-purpose body parsers silently merge into arrays or drop.
 * Empty values count as omitted (RFC 6749 §3.1).
 */
export function parseFormParameters(body: string): Record<string, string> {
  const parameters: Record<string, string> = {}
  const seen = new Set<string>()
  for (const [name, value] of new URLSearchParams(body)) {
    if (seen.has(name))
      throw new OAuthError('invalid_request', `parameter ${name} is repeated; send it once`)
    seen.add(name)
    if (value !== '') parameters[name] = value
  }
  return parameters
}

/** JSON bodies use the same names; every value must be a string. */
export function jsonParameters(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'the JSON body must be an object of parameters')
  }
  const parameters: Record<string, string> = {}
  for (const [name, value] of Object.entries(body)) {
    if (value === null || value === '') continue
    if (typeof value !== 'string') {
      throw new OAuthError('invalid_request', `parameter ${name} must be a string`)
    }
    parameters[name] = value
  }
  return parameters
}

const FORM = Symbol('form parameters')

interface FormBody {
  [FORM]: Record<string, string>
}

/** Adds the form parser to an encapsulated context (the OAuth endpoints). */
export function acceptFormBodies(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      try {
        done(null, { [FORM]: parseFormParameters(body as string) } satisfies FormBody)
      } catch (error) {
        done(error as Error, undefined)
      }
    },
  )
}

/** Adds the JSON parser of the OAuth endpoints: a repeated member is a repeated parameter. */
export function acceptJsonBodies(app: FastifyInstance): void {
  refuseRepeatedJsonMembers(
    app,
    (name) => new OAuthError('invalid_request', `parameter ${name} is repeated; send it once`),
  )
}

/** Two Authorization headers are two client authentications (RFC 6749 §2.3): refused. */
export function refuseRepeatedAuthorization(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    done(
      hasRepeatedHeader(request, 'authorization')
        ? new OAuthError('invalid_request', 'the Authorization header is repeated; send it once')
        : undefined,
    )
  })
}

/** The parameters of a POST to an OAuth endpoint, whichever encoding carried them. */
export function requestParameters(body: unknown): RequestParameters {
  if (body === undefined || body === null) return {}
  if (typeof body === 'object' && FORM in body) return (body as FormBody)[FORM]
  return jsonParameters(body)
}
