import type { PublicJwk, SigningAlgorithm } from '../crypto/jws-signer.js'
import type { ScopeCatalog } from './catalog.js'

export type { SigningAlgorithm }

export interface Tenant {
  /** URL-safe slug; appears in the issuer `{publicUrl}/t/{id}`. Immutable. */
  id: string
  displayName: string
  isRoot: boolean
  signingAlgorithm: SigningAlgorithm
  defaultTokenLifetimeSeconds: number
  maxTokenLifetimeSeconds: number
  /** What a reported leak of one of the tenant's secrets does (management/leaks). */
  leakResponse: LeakResponse
  /** The platform vendor's own id for this customer; unique across the deployment. */
  externalId: string | null
  /** Free-form string fields the vendor keeps with the tenant (shared APIs may put them in tokens). */
  metadata: Readonly<Record<string, string>>
  /** A suspended tenant gets no token; its applications' tokens are revoked. */
  status: TenantStatus
  createdAt: Date
  updatedAt: Date
}

/**
 * `deleted`: a tombstone. The tenant's data is gone but its id stays taken, so its audit
 * records stay attributable and its issuer URL never serves again; storage treats it as absent.
 */
export type TenantStatus = 'active' | 'suspended' | 'deleted'

export const LEAK_RESPONSES = ['revoke_secret', 'revoke_application'] as const
export type LeakResponse = (typeof LEAK_RESPONSES)[number]

export type SigningKeyStatus = 'next' | 'current' | 'retired'

export interface SigningKey {
  kid: string
  tenantId: string
  algorithm: SigningAlgorithm
  status: SigningKeyStatus
  publicJwk: PublicJwk
  /** AES-GCM sealed PKCS#8; see crypto/key-sealer. */
  sealedPrivateKey: string
  createdAt: Date
  activatedAt: Date | null
  retiredAt: Date | null
  /** A retired key stays published until every token it signed has expired. */
  publishUntil: Date | null
}

export interface Api {
  id: string
  tenantId: string
  /** The `aud` of its tokens; immutable. */
  audience: string
  name: string
  scopes: string[]
  /** Categories, resources and presets, when the API owner organised its scopes. */
  catalog: ScopeCatalog | null
  /** The tenant's own admin API: cannot be edited or deleted. */
  isBuiltIn: boolean
  /**
   * An API of the root tenant offered to other tenants (platform mode): to every tenant, or to
   * the tenants listed. null: the API belongs to its tenant alone.
   */
  sharing: ApiSharing | null
  /** Claim name → tenant field (domain/platform) that a shared API's tokens carry. */
  tenantClaims: Readonly<Record<string, string>>
  /** Increases on every change; the admin API's ETag. */
  version: number
  createdAt: Date
  updatedAt: Date
}

export type ApiSharing = { tenants: 'all' } | { tenants: readonly string[] }

export type GrantType = 'client_credentials' | 'password' | 'refresh_token'
export const GRANT_TYPES: readonly GrantType[] = ['client_credentials', 'password', 'refresh_token']

export type ApplicationStatus = 'active' | 'revoked'

/** The scopes an application holds on one API. */
export interface ScopeGrant {
  audience: string
  scopes: string[]
}

export interface Application {
  clientId: string
  tenantId: string
  name: string
  description: string
  environment: string
  status: ApplicationStatus
  grantTypes: GrantType[]
  grants: ScopeGrant[]
  /** null: the tenant default. */
  tokenLifetimeSeconds: number | null
  /** null: never expires. */
  expiresAt: Date | null
  createdAt: Date
  updatedAt: Date
  lastUsedAt: Date | null
  /** May call introspection and read the revocation feed (a resource server's credentials). */
  canIntrospect: boolean
  /** Token requests allowed per minute; null: the server default. */
  tokenRateLimitPerMinute: number | null
  /** The tenant's built-in admin application (the CLI's credentials); see domain/authority. */
  isBuiltIn: boolean
  /**
   * How it proves who it is at the token endpoint (RFC 7591 names): `client_secret_basic`
   * (client secrets, sent as HTTP Basic or `client_secret_post`) or `private_key_jwt`
   * (RFC 7523 assertions signed with one of its registered public keys). Set at creation.
   */
  tokenEndpointAuthMethod: TokenEndpointAuthMethod
  /** RFC 9449 §5.2: every token request must carry a DPoP proof (tokens bound to its key). */
  dpopBoundAccessTokens: boolean
  /** Static claims its tokens carry, set by the tenant's administrators (domain/platform). */
  claims: Readonly<Record<string, string>>
  /** Increases on every change; the admin API's ETag. */
  version: number
}

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'private_key_jwt'
export const TOKEN_ENDPOINT_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'client_secret_basic',
  'private_key_jwt',
]

/** A public JWK an application registered for private_key_jwt (never a private key). */
export interface ClientJwk {
  kty: 'EC' | 'RSA' | 'OKP'
  kid: string
  alg?: string
  use?: 'sig'
  crv?: string
  x?: string
  y?: string
  n?: string
  e?: string
}

/**
 * A public key an application authenticates with (private_key_jwt). Like a secret it is a
 * credential: token commits check it is still registered, and it has a "last used".
 */
export interface ClientKey {
  id: string
  clientId: string
  kid: string
  /** RFC 7638 SHA-256 thumbprint, base64url. */
  thumbprint: string
  jwk: ClientJwk
  createdAt: Date
  lastUsedAt: Date | null
  lastUsedIp: string | null
}

/**
 * Where a private_key_jwt application publishes its keys instead of registering them: fetched
 * with the outbound rule and cached (oauth/remote-jwks). A credential too: replacing the URL
 * ends what was authenticated with the old one.
 */
export interface ClientJwksUri {
  id: string
  clientId: string
  uri: string
  createdAt: Date
  lastUsedAt: Date | null
  lastUsedIp: string | null
}

/**
 * Workload identity federation: an application trusts tokens an outside OIDC issuer (GitHub
 * Actions, GitLab CI, a Kubernetes cluster) gives its workloads, when they carry `audience`
 * and their claims match (domain/claim-pattern). No credential is stored: the workload sends
 * its platform's token as the client assertion. A credential like the others (liveness at
 * token commit, "last used", removal).
 */
export interface TrustPolicy {
  id: string
  clientId: string
  /** The issuer URL exactly as its tokens' `iss` says it; its keys come from its discovery. */
  issuer: string
  /** What the token's `aud` must contain. */
  audience: string
  /** Pattern the token's `sub` must match. */
  subject: string
  /** Claim name (or a /-path into nested claims) → the pattern its value must match. */
  conditions: Readonly<Record<string, string>>
  createdAt: Date
  lastUsedAt: Date | null
  lastUsedIp: string | null
}

export interface ClientSecret {
  id: string
  clientId: string
  /** HMAC-SHA-256 of the secret under the server pepper. */
  hash: Buffer
  hint: string
  createdAt: Date
  /** End of a rotation overlap; null while it is the newest secret. */
  expiresAt: Date | null
  lastUsedAt: Date | null
  lastUsedIp: string | null
}

export type AccountStatus = 'active' | 'disabled'

/**
 * What a tenant user and a console administrator share: a username and password sign-in to one
 * tenant, a status, and a version for If-Match.
 */
export interface Account {
  id: string
  tenantId: string
  /** As entered; unique per tenant regardless of case (`usernameKey`). */
  username: string
  status: AccountStatus
  /** Argon2id PHC string, with its parameters. */
  passwordHash: string
  createdAt: Date
  updatedAt: Date
  passwordChangedAt: Date
  version: number
}

/** A tenant account, used only by the resource-owner password grant. */
export interface User extends Account {
  email: string | null
  displayName: string | null
  /** What the user may hold per API; a token gets the intersection with the application's. */
  grants: ScopeGrant[]
  failedAttempts: number
  lockedUntil: Date | null
  lastLoginAt: Date | null
}

/** One refresh token of a rotating family (RFC 9700 §4.14.2). */
export interface RefreshToken {
  id: string
  tenantId: string
  familyId: string
  clientId: string
  userId: string
  /** HMAC of the token under the server pepper. */
  tokenHash: string
  audience: string
  scopes: string[]
  createdAt: Date
  idleExpiresAt: Date
  familyExpiresAt: Date
  usedAt: Date | null
  revokedAt: Date | null
}

/** Status as users see it: `expired` is derived from `expiresAt`. */
export function effectiveStatus(app: Application, now: Date): ApplicationStatus | 'expired' {
  if (app.status === 'revoked') return 'revoked'
  if (app.expiresAt !== null && app.expiresAt.getTime() <= now.getTime()) return 'expired'
  return 'active'
}

export type AdministratorRole = 'owner' | 'admin' | 'viewer'
export const ADMINISTRATOR_ROLES: readonly AdministratorRole[] = ['owner', 'admin', 'viewer']

/** A person who signs in to a tenant's web console; never an OAuth client or a tenant user. */
export interface Administrator extends Account {
  role: AdministratorRole
  lastSignInAt: Date | null
  /**
   * `password`: signs in with a username and password. `portal_link`: a person a platform
   * vendor's portal links sign in (platform mode); has no password and never signs in with one.
   */
  signsInWith: 'password' | 'portal_link'
}

/** A single-use sign-in to a tenant's console for a named person (platform mode). */
export interface PortalLink {
  /** HMAC of the link's secret; the secret itself is only in the URL handed out. */
  idHash: string
  tenantId: string
  email: string
  name: string | null
  role: 'admin' | 'viewer'
  /** Where the console's "back" link leads (the vendor's settings page). */
  returnUrl: string | null
  sessionLifetimeSeconds: number
  createdBy: string
  createdAt: Date
  expiresAt: Date
  usedAt: Date | null
}

/** A console sign-in. Only a hash of its id is stored, so a database dump holds no session. */
export interface ConsoleSession {
  idHash: string
  tenantId: string
  administratorId: string
  createdAt: Date
  lastSeenAt: Date
  /** Absolute expiry: the session ends then however active it is. */
  expiresAt: Date
}
