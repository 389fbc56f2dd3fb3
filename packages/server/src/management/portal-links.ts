// Portal links (platform mode, as WorkOS's admin portal): the vendor's backend, with root
// credentials, asks for a single-use URL that signs one named person in to a tenant's console
// section with a role, without a password of their own. The URL holds a 256-bit secret in its
// fragment (never sent to a server, so never in an access log or a Referer); only its HMAC is
// stored. Redeeming it is the console session's business (ConsoleSessions.signInWithPortalLink).
import { randomBytes } from 'node:crypto'

import type { SecretHasher } from '../crypto/secret-hasher.js'
import { validateUsername } from '../domain/accounts.js'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import type { PortalLink } from '../domain/model.js'
import type { ManagementDeps } from './deps.js'
import { optionalText } from './validate.js'

/** A link is for a person about to click it: valid a few minutes. */
export const PORTAL_LINK_LIFETIME_MS = 5 * 60_000
export const DEFAULT_PORTAL_SESSION_SECONDS = 3600
const MIN_PORTAL_SESSION_SECONDS = 300

export function portalLinkHash(hasher: SecretHasher, secret: string): string {
  return hasher.hash(`portal-link:${secret}`).toString('base64url')
}

/** The shape a link's secret has: 43 base64url characters (32 random bytes). */
export function isPortalLinkSecret(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value)
}

export interface PortalLinkInput {
  email: string
  name?: string | undefined
  role: string
  returnUrl?: string | undefined
  sessionLifetimeSeconds?: number | undefined
}

/** https, or http on loopback (development): where the console's "back" link may lead. */
function validateReturnUrl(value: string | undefined): string | null {
  if (value === undefined) return null
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ValidationError('return_url', 'return_url must be an absolute https URL')
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  if (
    value.length > 2048 ||
    url.username !== '' ||
    url.password !== '' ||
    !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))
  )
    throw new ValidationError(
      'return_url',
      'return_url must be an https URL (http only on loopback), without credentials, at most 2048 characters',
    )
  return url.href
}

/** The URL handed out: the console's portal page, the secret in the fragment. */
export function portalLinkUrl(publicUrl: string, secret: string): string {
  return `${publicUrl}/console/portal#${secret}`
}

/**
 * Creates a portal link for a person of `tenantId`. Roles never widen: a link makes an `admin`
 * or a `viewer`, never an owner. The person is named by email (their console username).
 */
export async function createPortalLink(
  deps: ManagementDeps,
  actor: string,
  tenantId: string,
  input: PortalLinkInput,
): Promise<{ secret: string; expiresAt: Date }> {
  const email = input.email.trim()
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 128)
    throw new ValidationError('email', 'email must be an address of at most 128 characters')
  validateUsername(email)
  if (input.role !== 'admin' && input.role !== 'viewer')
    throw new ValidationError(
      'role',
      'role must be admin or viewer: a portal link never makes an owner',
    )
  const lifetime = input.sessionLifetimeSeconds ?? DEFAULT_PORTAL_SESSION_SECONDS
  if (!Number.isInteger(lifetime) || lifetime < MIN_PORTAL_SESSION_SECONDS || lifetime > 43_200)
    throw new ValidationError(
      'session_lifetime_seconds',
      `session_lifetime_seconds must be a whole number between ${MIN_PORTAL_SESSION_SECONDS} and 43200`,
    )
  const now = deps.now()
  const secret = randomBytes(32).toString('base64url')
  const link: PortalLink = {
    idHash: portalLinkHash(deps.hasher, secret),
    tenantId,
    email,
    name: optionalText('name', input.name, 200) || null,
    role: input.role,
    returnUrl: validateReturnUrl(input.returnUrl),
    sessionLifetimeSeconds: lifetime,
    createdBy: actor,
    createdAt: now,
    expiresAt: new Date(now.getTime() + PORTAL_LINK_LIFETIME_MS),
    usedAt: null,
  }
  await deps.storage.transaction(async (storage) => {
    const tenant = await storage.tenants.get(tenantId)
    if (tenant === undefined || tenant.status === 'deleted')
      throw new NotFoundError('tenant', tenantId)
    if (tenant.status !== 'active')
      throw new ConflictError(`tenant "${tenantId}" is ${tenant.status}: its console is closed`)
    await storage.portalLinks.insert(link)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'portal_link.created',
        actor,
        clientId: null,
        data: {
          email: link.email,
          name: link.name,
          role: link.role,
          expires_at: link.expiresAt.toISOString(),
          session_lifetime_seconds: link.sessionLifetimeSeconds,
        },
      },
    ])
  })
  return { secret, expiresAt: link.expiresAt }
}
