// RFC 7662: Token Introspection. Only applications allowed to introspect (a resource server's
// own credentials) may call it; every token that is not active answers just {"active":false}.
import { effectiveStatus } from '../domain/model.js'
import type { SecretUsage } from '../storage/contract.js'
import {
  authenticateClient,
  recordSecretUse,
  type AuthenticatedClient,
  type Caller,
  type ClientAuthenticationDeps,
} from './client-authentication.js'
import { OAuthError } from './errors.js'
import type { OwnTokenVerifier } from './own-token-verifier.js'
import type { Revocations } from './revocation-feed.js'
import { parseClientCredentials, type RequestParameters } from './token-request.js'

export interface ProtectedEndpointDeps extends ResourceServerDeps {
  tokens: Pick<OwnTokenVerifier, 'claims'>
  revocations: Pick<Revocations, 'isRevoked'>
}

export interface ResourceServerDeps extends ClientAuthenticationDeps {
  usage: Pick<SecretUsage, 'record'>
}

/** Authenticates a resource server's application; others get 403 unauthorized_client. */
export async function authenticateResourceServer(
  deps: ResourceServerDeps,
  tenantId: string,
  parameters: RequestParameters,
  caller: Caller,
): Promise<AuthenticatedClient> {
  const client = await authenticateClient(
    parseClientCredentials(parameters, caller.authorization),
    deps,
    tenantId,
  )
  if (!client.application.canIntrospect) {
    throw new OAuthError(
      'unauthorized_client',
      'this application may not introspect tokens or read revocations; create it with --introspect',
      { status: 403 },
    )
  }
  recordSecretUse(deps.usage, client, caller.ip, deps.now())
  return client
}

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true
      client_id: string
      scope: string
      sub: string
      aud: string | string[]
      iss: string
      exp: number
      iat: number
      nbf?: number
      jti: string
      token_type: 'Bearer' | 'DPoP'
      /** RFC 9449 §6.2: the key a DPoP-bound token is bound to. */
      cnf?: { jkt: string }
      username?: string
    }

export async function introspect(
  deps: ProtectedEndpointDeps,
  tenantId: string,
  parameters: RequestParameters,
  caller: Caller,
): Promise<IntrospectionResponse> {
  await authenticateResourceServer(deps, tenantId, parameters, caller)
  const token = parameters['token']
  if (token === undefined) throw new OAuthError('invalid_request', 'token is missing')
  let claims
  try {
    claims = await deps.tokens.claims(token, tenantId)
  } catch {
    return { active: false }
  }
  const clientId = claims['client_id']
  if (
    typeof clientId !== 'string' ||
    typeof claims.jti !== 'string' ||
    claims.sub === undefined ||
    claims.aud === undefined
  ) {
    return { active: false }
  }
  const record = await deps.clients.findClient(clientId)
  if (record === undefined || effectiveStatus(record.application, deps.now()) !== 'active')
    return { active: false }
  const iat = typeof claims.iat === 'number' ? claims.iat : undefined
  if (await deps.revocations.isRevoked(tenantId, clientId, claims.jti, iat))
    return { active: false }
  const username = claims['username']
  const cnf = claims['cnf'] as { jkt?: unknown } | undefined
  const jkt = typeof cnf?.jkt === 'string' ? cnf.jkt : undefined
  return {
    active: true,
    client_id: clientId,
    scope: typeof claims['scope'] === 'string' ? claims['scope'] : '',
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss ?? '',
    exp: claims.exp ?? 0,
    iat: claims.iat ?? 0,
    ...(claims.nbf !== undefined && { nbf: claims.nbf }),
    jti: claims.jti,
    token_type: jkt === undefined ? 'Bearer' : 'DPoP',
    ...(jkt !== undefined && { cnf: { jkt } }),
    ...(typeof username === 'string' && { username }),
  }
}
