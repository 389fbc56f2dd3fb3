// RFC 6749 §4.3: Resource Owner Password Credentials Grant. RFC 9700 §2.4 says not to use it;
// it exists for scanners and legacy integrations that must act as a user, off by default and
// opt-in per application, and guarded against online guessing (lockout per user and per IP).
import type { PasswordHasher } from '../../crypto/password-hasher.js'
import type { SecretHasher } from '../../crypto/secret-hasher.js'
import { usernameKey } from '../../domain/accounts.js'
import { PASSWORD_GRANT_SIGN_IN, type PasswordGuessing } from '../../domain/password-guessing.js'
import type { AuditSink, RefreshTokenStore, UserStore } from '../../storage/contract.js'
import { isAdminAudience } from '../../domain/authority.js'
import { resolveAudienceAndScope } from '../audience-and-scope.js'
import { OAuthError } from '../errors.js'
import type { GrantHandler } from './grant.js'
import { issueRefreshToken } from './refresh-tokens.js'

export interface PasswordGrantDeps {
  users: UserStore
  passwords: PasswordHasher
  refreshTokens: RefreshTokenStore
  hasher: SecretHasher
  /** Attempts are reserved before a password is checked; failures lock the account. */
  guessing: PasswordGuessing
  audit: AuditSink
}

/** One answer for every way a sign-in fails, so none tells an attacker which it was. */
export const WRONG_CREDENTIALS = 'the username or password is wrong, or this user may not sign in'

function tooManyAttempts(retryAfterMs: number): OAuthError {
  return new OAuthError('rate_limited', 'too many failed sign-ins; try again later', {
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  })
}

/** Scopes the user may hold on `audience`; a token gets what both the user and app may hold. */
export function intersectWithUser(
  scopes: readonly string[],
  userGrants: readonly { audience: string; scopes: string[] }[],
  audience: string,
) {
  const allowed = new Set(userGrants.find((g) => g.audience === audience)?.scopes ?? [])
  return {
    kept: scopes.filter((s) => allowed.has(s)),
    dropped: scopes.filter((s) => !allowed.has(s)),
  }
}

export function passwordGrant(deps: PasswordGrantDeps): GrantHandler {
  return {
    grantType: 'password',
    async handle({ client, request, now, ip }) {
      const application = client.application
      if (!application.grantTypes.includes('password')) {
        throw new OAuthError(
          'unauthorized_client',
          'this application may not use the password grant',
        )
      }
      const username = request.parameters['username']
      const password = request.parameters['password']
      if (username === undefined) throw new OAuthError('invalid_request', 'username is missing')
      if (password === undefined) throw new OAuthError('invalid_request', 'password is missing')
      const attempt = await deps.guessing.begin(PASSWORD_GRANT_SIGN_IN, {
        tenantId: application.tenantId,
        username,
        ip,
      })
      if (attempt.retryAfterMs > 0) throw tooManyAttempts(attempt.retryAfterMs)

      const user = await deps.users.findByUsername(application.tenantId, usernameKey(username))
      const lockedForMs = attempt.lockedForMs(user, now)
      if (lockedForMs > 0) throw tooManyAttempts(lockedForMs)

      // Verified against a dummy hash when the user is unknown: the same work either way.
      const matches = await deps.passwords.verify(user?.passwordHash, password)
      if (user === undefined || !matches || user.status !== 'active') {
        if (user === undefined || !matches) await attempt.failed(user, now)
        throw new OAuthError('invalid_grant', WRONG_CREDENTIALS)
      }
      await attempt.succeeded()
      await deps.users.recordLoginSuccess(
        user.tenantId,
        user.id,
        now,
        deps.passwords.needsRehash(user.passwordHash)
          ? await deps.passwords.hash(password)
          : undefined,
      )

      const { audience, scopes } = resolveAudienceAndScope(application, request.parameters)
      if (isAdminAudience(audience))
        throw new OAuthError(
          'invalid_target',
          'the admin API cannot be reached with the password grant: users are not administrators',
        )
      const { kept, dropped } = intersectWithUser(scopes, user.grants, audience)
      if (request.parameters['scope'] !== undefined && dropped.length > 0) {
        throw new OAuthError('invalid_scope', `this user may not hold: ${dropped.join(' ')}`)
      }
      const refresh = await issueRefreshToken(deps, {
        tenantId: application.tenantId,
        clientId: application.clientId,
        userId: user.id,
        audience,
        scopes: kept,
        now,
      })
      return {
        subject: user.id,
        audience,
        scopes: kept,
        claims: { username: user.username },
        refreshToken: refresh.token,
        audit: {
          user_id: user.id,
          username: user.username,
          refresh_family: refresh.record.familyId,
        },
      }
    },
  }
}
