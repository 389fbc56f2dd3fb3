// RFC 6749 §4.4: Client Credentials Grant. The client acts on its own behalf, so the token's
// subject is the client itself (RFC 9068 §2.2), and no refresh token is issued (§4.4.3).
import { resolveAudienceAndScope } from '../audience-and-scope.js'
import { OAuthError } from '../errors.js'
import type { GrantHandler } from './grant.js'

export const clientCredentialsGrant: GrantHandler = {
  grantType: 'client_credentials',
  handle({ client, request }) {
    if (!client.application.grantTypes.includes('client_credentials')) {
      return Promise.reject(
        new OAuthError(
          'unauthorized_client',
          'this application may not use the client_credentials grant',
        ),
      )
    }
    const { audience, scopes } = resolveAudienceAndScope(client.application, request.parameters)
    return Promise.resolve({ subject: client.application.clientId, audience, scopes })
  },
}
