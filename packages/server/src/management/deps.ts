import type { KeySealer } from '../crypto/key-sealer.js'
import type { PasswordHasher } from '../crypto/password-hasher.js'
import type { SecretHasher } from '../crypto/secret-hasher.js'
import type { ClientKey } from '../domain/model.js'
import type { ChangeBus, RateLimiter, Storage } from '../storage/contract.js'

/** What every use case may touch. `actor` is who asked: `client:<id>` or `system`. */
export interface ManagementDeps {
  storage: Storage
  hasher: SecretHasher
  passwords: PasswordHasher
  sealer: KeySealer
  changes: Pick<ChangeBus, 'publish'>
  /** The shared limiter, for forgetting a sign-in lock an administrator lifted. */
  limiter: Pick<RateLimiter, 'reset'>
  /** Fetches a jwks_uri when it is registered, to refuse one that cannot serve. */
  remoteJwks: { fetchNow(uri: string): Promise<ClientKey[]> }
  /** Fetches a trusted issuer's discovery and keys when a trust policy names it. */
  trustedIssuers: { check(issuer: string): Promise<void> }
  /** The outbound rule (https, no credentials, public addresses) for a webhook URL, without a request. */
  outbound: { checkDestination(url: string): Promise<void> }
  now: () => Date
}
