import { CLIENT_ASSERTION_TYPE, readClientAssertion } from './client-assertion.js'
import { OAuthError } from './errors.js'

/** A token request's parameters after the edge parsed the body: one string per name. */
export type RequestParameters = Readonly<Record<string, string>>

export type ClientAuthenticationMethod =
  'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'

export type PresentedCredentials =
  | {
      clientId: string
      clientSecret: string
      method: 'client_secret_basic' | 'client_secret_post'
    }
  | {
      clientId: string
      /** RFC 7523 client assertion, verified by client-authentication. */
      assertion: string
      method: 'private_key_jwt'
      /**
       * A workload's platform token (its `iss` is an outside issuer, the client named by
       * `client_id`), checked against the application's trust policies, not its keys.
       */
      federated: boolean
    }

export interface TokenRequest {
  grantType: string
  credentials: PresentedCredentials
  parameters: RequestParameters
}

const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="tokenmint", charset="UTF-8"' }

/** RFC 6749 §2.3.1 (Appendix B): id and secret are form-encoded before base64. */
function formDecode(value: string, what: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    throw new OAuthError(
      'invalid_client',
      `the ${what} in the Basic authorization header is not valid percent-encoding`,
      {
        headers: BASIC_CHALLENGE,
      },
    )
  }
}

function parseBasic(header: string): { clientId: string; clientSecret: string } {
  const match = /^Basic[ ]+([A-Za-z0-9+/=_-]+)[ ]*$/i.exec(header)
  if (match?.[1] === undefined) {
    throw new OAuthError(
      'invalid_client',
      'the Authorization header must be "Basic " followed by base64(client_id:client_secret)',
      {
        headers: BASIC_CHALLENGE,
      },
    )
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) {
    throw new OAuthError(
      'invalid_client',
      'the Basic credentials must be client_id:client_secret, separated by a colon',
      {
        headers: BASIC_CHALLENGE,
      },
    )
  }
  return {
    clientId: formDecode(decoded.slice(0, colon), 'client id'),
    clientSecret: formDecode(decoded.slice(colon + 1), 'client secret'),
  }
}

/**
 * Which client is authenticating, by which method (RFC 6749 §2.3.1), for the token,
 * introspection and revocation endpoints alike.
 */
export function parseClientCredentials(
  parameters: RequestParameters,
  authorization: string | undefined,
): PresentedCredentials {
  const bodyId = parameters['client_id']
  const bodySecret = parameters['client_secret']
  const assertionType = parameters['client_assertion_type']
  const assertion = parameters['client_assertion']
  if (assertionType !== undefined || assertion !== undefined) {
    if ((authorization !== undefined && authorization !== '') || bodySecret !== undefined) {
      throw new OAuthError(
        'invalid_request',
        'the client authenticated twice: send either a client_assertion or a client secret, not both',
      )
    }
    if (assertionType === undefined || assertion === undefined) {
      throw new OAuthError(
        'invalid_request',
        `private_key_jwt needs both client_assertion_type (${CLIENT_ASSERTION_TYPE}) and client_assertion`,
      )
    }
    if (assertionType !== CLIENT_ASSERTION_TYPE) {
      throw new OAuthError(
        'invalid_client',
        `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`,
      )
    }
    const read = readClientAssertion(assertion, bodyId)
    if (read.federated)
      return { clientId: read.clientId, assertion, method: 'private_key_jwt', federated: true }
    if (bodyId !== undefined && bodyId !== read.clientId) {
      throw new OAuthError(
        'invalid_client',
        'client_id differs from the client named by the client_assertion (its iss and sub)',
      )
    }
    return { clientId: read.clientId, assertion, method: 'private_key_jwt', federated: false }
  }
  if (authorization !== undefined && authorization !== '') {
    if (!/^Basic /i.test(authorization)) {
      throw new OAuthError(
        'invalid_client',
        'only HTTP Basic client authentication is accepted in the Authorization header',
        {
          headers: BASIC_CHALLENGE,
        },
      )
    }
    if (bodySecret !== undefined) {
      throw new OAuthError(
        'invalid_request',
        'the client authenticated twice: use either the Basic authorization header or client_secret in the body, not both',
      )
    }
    const basic = parseBasic(authorization)
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw new OAuthError(
        'invalid_request',
        'client_id in the body differs from the client id in the Basic authorization header',
      )
    }
    return { ...basic, method: 'client_secret_basic' }
  }
  if (bodyId !== undefined && bodySecret !== undefined) {
    return { clientId: bodyId, clientSecret: bodySecret, method: 'client_secret_post' }
  }
  if (bodyId !== undefined) {
    throw new OAuthError(
      'invalid_client',
      'client authentication is required: send client_secret with client_id, or use HTTP Basic',
    )
  }
  throw new OAuthError(
    'invalid_client',
    'client authentication is required: send client_id and client_secret, or use HTTP Basic',
    {
      headers: BASIC_CHALLENGE,
    },
  )
}

/** Step 1 of the token endpoint: which grant, and which credentials, by which method. */
export function parseTokenRequest(
  parameters: RequestParameters,
  authorization: string | undefined,
): TokenRequest {
  const grantType = parameters['grant_type']
  if (grantType === undefined) {
    throw new OAuthError('invalid_request', 'grant_type is missing')
  }
  return { grantType, credentials: parseClientCredentials(parameters, authorization), parameters }
}

export { BASIC_CHALLENGE }
