export {
  createTokenSource,
  type AccessToken,
  type TokenSource,
  type TokenSourceOptions,
} from './token-source.js'
export type { RetryOptions } from './token-request.js'
export {
  DiscoveryError,
  InvalidTokenResponseError,
  OAuthError,
  OAuthResponseError,
  TokenEndpointUnreachableError,
  TokenRequestTimeoutError,
  TokenSourceError,
} from './errors.js'
