import { isWellFormedClientId, isWellFormedClientSecret } from '../crypto/secret-format.js'
import type { SecretHasher } from '../crypto/secret-hasher.js'
import { effectiveStatus, type Application, type ClientSecret } from '../domain/model.js'
import type { ClientRecord } from '../storage/contract.js'
import { OAuthError } from './errors.js'
import { BASIC_CHALLENGE, type PresentedCredentials } from './token-request.js'

/** Finds a client by id; implementations cache (see storage/local/client-cache). */
export interface ClientDirectory {
  findClient(clientId: string): Promise<ClientRecord | undefined>
}

export interface AuthenticatedClient {
  application: Application
  secret: ClientSecret
  method: PresentedCredentials['method']
}

export interface ClientAuthenticationDeps {
  clients: ClientDirectory
  hasher: SecretHasher
  now: () => Date
  /** Told of each refusal of a known application, for the audit log. */
  onRefused?: (application: Application, reason: string) => void
}

const FAILED = 'client authentication failed: unknown client or wrong client secret'

function refuse(description: string, credentials: PresentedCredentials): OAuthError {
  return new OAuthError(
    'invalid_client',
    description,
    credentials.method === 'client_secret_basic' ? { headers: BASIC_CHALLENGE } : {},
  )
}

/**
 * Step 2 of the token endpoint. Every failure before the secret is proven answers the same
 * description, so a caller cannot learn whether a client id exists; only a caller holding a
 * valid secret is told that its application is revoked or expired.
 */
export async function authenticateClient(
  credentials: PresentedCredentials,
  deps: ClientAuthenticationDeps,
  tenantId?: string,
): Promise<AuthenticatedClient> {
  // The checksum lets a mistyped or truncated secret be refused without any storage look-up.
  if (!isWellFormedClientSecret(credentials.clientSecret)) {
    throw refuse(
      'client_secret is malformed: its checksum does not match; check that it was copied whole',
      credentials,
    )
  }
  const record = isWellFormedClientId(credentials.clientId)
    ? await deps.clients.findClient(credentials.clientId)
    : undefined
  if (
    record === undefined ||
    (tenantId !== undefined && record.application.tenantId !== tenantId)
  ) {
    // Same work as a real comparison, so timing does not tell unknown ids apart.
    deps.hasher.hash(credentials.clientSecret)
    throw refuse(FAILED, credentials)
  }
  const now = deps.now()
  const presentedHash = deps.hasher.hash(credentials.clientSecret)
  let matched: ClientSecret | undefined
  for (const secret of record.secrets) {
    const isLive = secret.expiresAt === null || secret.expiresAt.getTime() > now.getTime()
    if (deps.hasher.equals(presentedHash, secret.hash) && isLive) matched = secret
  }
  if (matched === undefined) {
    deps.onRefused?.(record.application, 'wrong client secret')
    throw refuse(FAILED, credentials)
  }

  const status = effectiveStatus(record.application, now)
  if (status !== 'active') {
    deps.onRefused?.(record.application, `application ${status}`)
    throw refuse(
      `this application has ${status === 'revoked' ? 'been revoked' : 'expired'}`,
      credentials,
    )
  }
  return { application: record.application, secret: matched, method: credentials.method }
}
