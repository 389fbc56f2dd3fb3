export { createVerifier, requireScopes, type AccessTokenClaims, type Verifier } from './verifier.js'
export type { RequestCredentials } from './request-credentials.js'
export type { FeedOptions, ScopeUseReportOptions, VerifierOptions } from './options.js'
export { TokenVerificationError, type BearerErrorCode, type VerifyErrorReason } from './errors.js'
export { authorize, refusal, type ScopeRequirement } from './authorize.js'
export {
  checkDpopProof,
  DPOP_ALGORITHMS,
  DpopProofError,
  DpopReplayCache,
  dpopTargetUri,
  singleDpopHeader,
  type CheckedDpopProof,
  type DpopExpectation,
} from './dpop-proof.js'
