import type { FastifyReply, FastifyRequest } from 'fastify'

import type { Config } from '../../config/load-config.js'
import { ForbiddenError } from '../../domain/errors.js'
import type { ConsoleSessions } from '../../management/console-sessions.js'

/**
 * Over HTTPS the cookie is `__Host-` prefixed and `Secure` (the browser then refuses it from
 * any other host or path, or over plain HTTP). Plain HTTP is for loopback development only.
 */
function cookieName(config: Config): { name: string; secure: boolean } {
  const secure = config.publicUrl.startsWith('https:')
  return { name: secure ? '__Host-tokenmint_session' : 'tokenmint_session', secure }
}

export function sessionCookieValue(config: Config, request: FastifyRequest): string | undefined {
  const value = request.cookies[cookieName(config).name]
  return value === undefined || value === '' ? undefined : value
}

export function setSessionCookie(
  config: Config,
  reply: FastifyReply,
  sessionId: string,
  expiresAt: Date,
): void {
  const { name, secure } = cookieName(config)
  void reply.setCookie(name, sessionId, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure,
    expires: expiresAt,
  })
}

export function clearSessionCookie(config: Config, reply: FastifyReply): void {
  const { name, secure } = cookieName(config)
  void reply.clearCookie(name, { path: '/', httpOnly: true, sameSite: 'strict', secure })
}

/**
 * A state-changing request with a session must carry the session's CSRF token (header
 * X-CSRF-Token) and, when the browser sends one, an Origin of this server: the cookie is
 * SameSite=Strict already, these make cross-site requests fail twice over.
 */
export function requireSameSiteChange(
  config: Config,
  sessions: Pick<ConsoleSessions, 'csrfMatches'>,
  request: FastifyRequest,
  sessionId: string,
): void {
  const presented = request.headers['x-csrf-token']
  if (typeof presented !== 'string' || !sessions.csrfMatches(sessionId, presented))
    throw new ForbiddenError('this request lacks the console CSRF token; reload the page')
  const origin = request.headers.origin
  if (origin !== undefined && origin !== new URL(config.publicUrl).origin)
    throw new ForbiddenError('cross-origin requests may not change anything')
}
