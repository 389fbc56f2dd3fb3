import { isValidScopeToken, parseScopeString } from '../domain/scopes.js'
import type { Application } from '../domain/model.js'
import { OAuthError } from './errors.js'
import type { RequestParameters } from './token-request.js'

export interface AudienceAndScope {
  audience: string
  scopes: string[]
}

/**
 * Picks the API (`audience`, or RFC 8707 `resource`) and the scopes of a token request.
 * Omitted scope means everything granted on that API; a requested scope must be a subset of
 * it. The result is exactly what the token will carry, so the response can echo it verbatim.
 */
export function resolveAudienceAndScope(
  application: Application,
  parameters: RequestParameters,
): AudienceAndScope {
  const audience = parameters['audience']
  const resource = parameters['resource']
  if (audience !== undefined && resource !== undefined && audience !== resource) {
    throw new OAuthError(
      'invalid_request',
      'audience and resource name different APIs; send only one of them',
    )
  }
  const target = audience ?? resource
  let grant = application.grants[0]
  if (target === undefined) {
    if (application.grants.length === 0) {
      throw new OAuthError(
        'invalid_scope',
        'this application has not been granted access to any API',
      )
    }
    if (application.grants.length > 1) {
      throw new OAuthError(
        'invalid_request',
        `audience is required because this application is granted several APIs: ${application.grants.map((g) => g.audience).join(', ')}`,
      )
    }
  } else {
    grant = application.grants.find((g) => g.audience === target)
    if (grant === undefined) {
      throw new OAuthError(
        'invalid_target',
        `this application is not granted access to the API "${target}"`,
      )
    }
  }
  if (grant === undefined)
    throw new OAuthError('invalid_scope', 'this application has not been granted access to any API')

  const requested = parameters['scope']
  if (requested === undefined) return { audience: grant.audience, scopes: [...grant.scopes] }
  const scopes = parseScopeString(requested)
  const malformed = scopes.filter((s) => !isValidScopeToken(s))
  if (malformed.length > 0) {
    throw new OAuthError(
      'invalid_scope',
      `scope contains characters RFC 6749 §3.3 does not allow: ${malformed.map((s) => JSON.stringify(s)).join(', ')}`,
    )
  }
  const granted = new Set(grant.scopes)
  const notGranted = scopes.filter((s) => !granted.has(s))
  if (notGranted.length > 0) {
    throw new OAuthError(
      'invalid_scope',
      `not granted to this application for "${grant.audience}": ${notGranted.join(' ')}`,
    )
  }
  return { audience: grant.audience, scopes }
}
