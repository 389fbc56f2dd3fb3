import type { GrantType } from '../../domain/model.js'
import type { AuthenticatedClient } from '../client-authentication.js'
import type { TokenRequest } from '../token-request.js'

export interface GrantContext {
  request: TokenRequest
  client: AuthenticatedClient
  now: Date
  /** The caller's address, for throttling and audit. */
  ip: string
}

/** What a grant decided; issuing and recording the token is the endpoint's job. */
export interface GrantDecision {
  subject: string
  audience: string
  scopes: string[]
  /** Extra claims for the access token, e.g. the username of the password grant. */
  claims?: Record<string, string>
  /** A refresh token already stored (password and refresh_token grants only). */
  refreshToken?: string
  /** Extra non-secret audit details (the user, the refresh token family). */
  audit?: Record<string, string>
}

export interface GrantHandler {
  readonly grantType: GrantType
  handle(context: GrantContext): Promise<GrantDecision>
}
