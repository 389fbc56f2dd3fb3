// RFC 6749 §6: Refreshing an Access Token, with rotation and reuse detection (RFC 9700 §4.14.2):
// every use returns a new refresh token; presenting one already used revokes the whole family.
import { parseScopeString } from '../../domain/scopes.js'
import { OAuthError } from '../errors.js'
import type { GrantHandler } from './grant.js'
import { intersectWithUser, type PasswordGrantDeps } from './password.js'
import { hashRefreshToken, newRefreshToken } from './refresh-tokens.js'

const INVALID = 'the refresh token is invalid, expired or revoked'

export function refreshTokenGrant(deps: PasswordGrantDeps): GrantHandler {
  return {
    grantType: 'refresh_token',
    async handle({ client, request, now, ip }) {
      const application = client.application
      if (!application.grantTypes.includes('password')) {
        throw new OAuthError(
          'unauthorized_client',
          'refresh tokens are issued only to applications using the password grant',
        )
      }
      const presented = request.parameters['refresh_token']
      if (presented === undefined)
        throw new OAuthError('invalid_request', 'refresh_token is missing')
      const token = await deps.refreshTokens.findByHash(hashRefreshToken(deps.hasher, presented))
      if (
        token === undefined ||
        token.clientId !== application.clientId ||
        token.revokedAt !== null
      ) {
        throw new OAuthError('invalid_grant', INVALID)
      }
      const reuse = (revoked: number): OAuthError => {
        deps.audit
          .record({
            tenantId: token.tenantId,
            occurredAt: now,
            type: 'refresh_token.reuse_detected',
            actor: `client:${application.clientId}`,
            clientId: application.clientId,
            data: {
              user_id: token.userId,
              refresh_family: token.familyId,
              tokens_revoked: revoked,
              ip,
            },
          })
          .catch(() => undefined)
        return new OAuthError(
          'invalid_grant',
          `${INVALID}: it had been used already, so every token of its family is now revoked`,
        )
      }
      if (token.usedAt !== null)
        throw reuse(await deps.refreshTokens.revokeFamily(token.familyId, now))
      if (
        token.idleExpiresAt.getTime() <= now.getTime() ||
        token.familyExpiresAt.getTime() <= now.getTime()
      ) {
        throw new OAuthError('invalid_grant', INVALID)
      }
      const user = await deps.users.get(token.tenantId, token.userId)
      if (user === undefined || user.status !== 'active')
        throw new OAuthError('invalid_grant', INVALID)

      // What may still be held now: the family's scopes, minus anything since taken away.
      const appScopes = application.grants.find((g) => g.audience === token.audience)?.scopes ?? []
      const current = intersectWithUser(
        token.scopes.filter((s) => appScopes.includes(s)),
        user.grants,
        token.audience,
      ).kept
      let scopes = current
      const requested = request.parameters['scope']
      if (requested !== undefined) {
        const asked = parseScopeString(requested)
        const wider = asked.filter((s) => !current.includes(s))
        if (wider.length > 0)
          throw new OAuthError(
            'invalid_scope',
            `a refresh may narrow the scope, never widen it: ${wider.join(' ')}`,
          )
        scopes = asked
      }
      // Marking this token used and storing its successor is one unit with reuse detection:
      // a parallel replay either waits and finds it used (revoking the successor too) or wins.
      const next = newRefreshToken(deps.hasher, {
        tenantId: token.tenantId,
        clientId: application.clientId,
        userId: user.id,
        audience: token.audience,
        scopes: token.scopes,
        now,
        family: { id: token.familyId, expiresAt: token.familyExpiresAt },
      })
      const rotation = await deps.refreshTokens.rotate(token.id, next.record, now)
      if (rotation.outcome === 'reused') throw reuse(rotation.revoked)
      if (rotation.outcome === 'revoked') throw new OAuthError('invalid_grant', INVALID)
      return {
        subject: user.id,
        audience: token.audience,
        scopes,
        claims: { username: user.username },
        refreshToken: next.token,
        audit: { user_id: user.id, username: user.username, refresh_family: token.familyId },
      }
    },
  }
}
