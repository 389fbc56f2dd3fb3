export {
  createTokenSource,
  type AccessToken,
  type TokenSource,
  type TokenSourceOptions,
} from './token-source.js'
export type { RetryOptions } from './retry.js'
export {
  githubActionsToken,
  privateKeyJwt,
  tokenFile,
  type ClientAssertionContext,
  type ClientAssertionSource,
  type PrivateJwk,
  type WebCryptoPrivateKey,
} from './client-assertion.js'
export type { DpopKeyPair } from './dpop.js'
export {
  ClientAssertionError,
  DiscoveryError,
  InvalidTokenResponseError,
  OAuthError,
  OAuthResponseError,
  TokenEndpointUnreachableError,
  TokenRequestTimeoutError,
  TokenSourceError,
  type TokenSourceErrorCode,
} from './errors.js'
