import { DPOP_ALGORITHMS } from '@tokenmint/verify'

import { CLIENT_ASSERTION_ALGORITHMS } from '../crypto/client-jwk.js'
import type { SigningAlgorithm } from '../domain/model.js'

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt']

/** RFC 8414 authorization server metadata for one tenant. */
export function authorizationServerMetadata(
  issuer: string,
  grantTypes: readonly string[],
  algorithms: readonly SigningAlgorithm[],
) {
  return {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    revocation_feed_endpoint: `${issuer}/oauth/revocations`,
    scope_usage_endpoint: `${issuer}/oauth/scope-usage`,
    grant_types_supported: grantTypes,
    response_types_supported: [],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
    // Algorithms of the published keys: what a resource server should allow for this issuer.
    access_token_signing_alg_values_supported: algorithms,
    // RFC 8707: `resource` is accepted on the token endpoint.
    resource_indicators_supported: true,
    // RFC 9449: DPoP proofs are accepted at the token endpoint (server nonces are not used).
    dpop_signing_alg_values_supported: DPOP_ALGORITHMS,
  }
}
