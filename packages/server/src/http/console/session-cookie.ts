import type { FastifyReply, FastifyRequest } from 'fastify'

import type { Config } from '../../config/load-config.js'
import { ForbiddenError } from '../../domain/errors.js'
import type { ConsoleSessions } from '../../management/console-sessions.js'

/**
 * Over HTTPS the cookie is `__Host-` prefixed and `Secure` (the browser then refuses it from
 * any other host or path, or over plain HTTP). Plain HTTP is for loopback development only.
 * When other sites may frame the console (TOKENMINT_CONSOLE_FRAME_ANCESTORS), a Strict cookie
 * would never reach the frame: it is then `SameSite=None; Secure; Partitioned` (CHIPS), kept
 * apart per embedding site, so it cannot be used from any other site. Browsers take `Secure`
 * cookies over plain HTTP from loopback only, which is what development needs.
 */
function cookieOptions(config: Config) {
  const https = config.publicUrl.startsWith('https:')
  const framed = config.consoleFrameAncestors.length > 0
  return {
    name: https ? '__Host-tokenmint_session' : 'tokenmint_session',
    attributes: {
      path: '/',
      httpOnly: true,
      sameSite: framed ? ('none' as const) : ('strict' as const),
      secure: https || framed,
      ...(framed && { partitioned: true }),
    },
  }
}

export function sessionCookieValue(config: Config, request: FastifyRequest): string | undefined {
  const value = request.cookies[cookieOptions(config).name]
  return value === undefined || value === '' ? undefined : value
}

export function setSessionCookie(
  config: Config,
  reply: FastifyReply,
  sessionId: string,
  expiresAt: Date,
): void {
  const { name, attributes } = cookieOptions(config)
  void reply.setCookie(name, sessionId, { ...attributes, expires: expiresAt })
}

export function clearSessionCookie(config: Config, reply: FastifyReply): void {
  const { name, attributes } = cookieOptions(config)
  void reply.clearCookie(name, attributes)
}

/**
 * A state-changing request with a session must carry the session's CSRF token (header
 * X-CSRF-Token) and, when the browser sends one, an Origin of this server: the cookie is
 * SameSite=Strict already (or partitioned, when framing is allowed), these make cross-site
 * requests fail twice over. A framed console calls from its own origin, so both hold there too.
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
