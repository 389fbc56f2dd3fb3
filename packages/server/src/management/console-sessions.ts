import { randomBytes } from 'node:crypto'

import type { PasswordHasher } from '../crypto/password-hasher.js'
import type { SecretHasher } from '../crypto/secret-hasher.js'
import { usernameKey } from '../domain/accounts.js'
import { ForbiddenError } from '../domain/errors.js'
import type { Administrator, ConsoleSession } from '../domain/model.js'
import { CONSOLE_SIGN_IN, PasswordGuessing } from '../domain/password-guessing.js'
import type { AuditSink, RateLimiter, Storage } from '../storage/contract.js'
import { isPortalLinkSecret, portalLinkHash } from './portal-links.js'

/** `last_seen_at` is written at most this often per session, not on every request. */
const TOUCH_INTERVAL_MS = 60_000

export interface ConsoleSessionDeps {
  storage: Storage
  hasher: SecretHasher
  passwords: PasswordHasher
  limiter: RateLimiter
  audit: AuditSink
  now: () => Date
  idleTimeoutMs: number
  lifetimeMs: number
}

/** A portal link that is unknown, used or expired: one message for all three. */
export class PortalLinkError extends Error {
  override name = 'PortalLinkError'
}

/** One message for every failure, so a sign-in form never tells which part was wrong. */
export class SignInError extends Error {
  override name = 'SignInError'
  constructor(readonly retryAfterMs = 0) {
    super(
      retryAfterMs > 0
        ? 'too many failed sign-ins; try again later'
        : 'the tenant, username or password is incorrect',
    )
  }
}

export interface ActiveSession {
  session: ConsoleSession
  administrator: Administrator
  /** Sent back on every state-changing request (header X-CSRF-Token). */
  csrfToken: string
}

/**
 * Console sessions: an opaque 256-bit id in a cookie; the database holds only its HMAC, so a
 * leaked database or backup holds no usable session. The CSRF token is a second HMAC of the
 * id: stateless, bound to the session, and useless without the cookie.
 */
export class ConsoleSessions {
  readonly #guessing: PasswordGuessing

  constructor(private readonly deps: ConsoleSessionDeps) {
    this.#guessing = new PasswordGuessing(deps.limiter)
  }

  #idHash(sessionId: string): string {
    return this.deps.hasher.hash(`console-session:${sessionId}`).toString('base64url')
  }

  csrfTokenFor(sessionId: string): string {
    return this.deps.hasher.hash(`console-csrf:${sessionId}`).toString('base64url')
  }

  csrfMatches(sessionId: string, presented: string): boolean {
    return this.deps.hasher.equals(
      Buffer.from(presented, 'utf8'),
      Buffer.from(this.csrfTokenFor(sessionId), 'utf8'),
    )
  }

  async signIn(input: {
    tenant: string
    username: string
    password: string
    ip: string
  }): Promise<ActiveSession & { sessionId: string }> {
    const attempt = await this.#guessing.begin(CONSOLE_SIGN_IN, {
      tenantId: input.tenant,
      username: input.username.trim(),
      ip: input.ip,
    })
    if (attempt.retryAfterMs > 0) throw new SignInError(attempt.retryAfterMs)

    const found =
      input.username.length <= 128
        ? await this.deps.storage.administrators.findByUsername(
            input.tenant,
            usernameKey(input.username.trim()),
          )
        : undefined
    // A person portal links sign in has no password: to this form they do not exist.
    const administrator = found?.signsInWith === 'password' ? found : undefined
    // Verified against a dummy hash when the account is unknown: the same time either way.
    const passwordOk = await this.deps.passwords.verify(
      administrator?.passwordHash,
      input.password.slice(0, 1024),
    )
    const now = this.deps.now()
    if (administrator === undefined || !passwordOk || administrator.status !== 'active') {
      if (administrator !== undefined) {
        await this.deps.audit.record({
          tenantId: administrator.tenantId,
          occurredAt: now,
          type: 'administrator.sign_in_failed',
          actor: `admin:${administrator.username}`,
          clientId: null,
          data: {
            administrator_id: administrator.id,
            ip: input.ip,
            reason: passwordOk ? 'disabled' : 'wrong_password',
          },
        })
      }
      throw new SignInError()
    }
    await attempt.succeeded()
    // Said only to someone who knows a password: the suspension is no secret from them.
    if ((await this.deps.storage.tenants.get(administrator.tenantId))?.status === 'suspended')
      throw new ForbiddenError(
        `tenant "${administrator.tenantId}" is suspended: its console is closed until it is resumed`,
      )
    const sessionId = randomBytes(32).toString('base64url')
    const session: ConsoleSession = {
      idHash: this.#idHash(sessionId),
      tenantId: administrator.tenantId,
      administratorId: administrator.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.deps.lifetimeMs),
    }
    const rehashed = this.deps.passwords.needsRehash(administrator.passwordHash)
      ? await this.deps.passwords.hash(input.password)
      : undefined
    await this.deps.storage.transaction(async (storage) => {
      await storage.consoleSessions.insert(session)
      await storage.administrators.recordSignIn(
        administrator.tenantId,
        administrator.id,
        now,
        rehashed,
      )
      await storage.audit.append([
        {
          tenantId: administrator.tenantId,
          occurredAt: now,
          type: 'administrator.signed_in',
          actor: `admin:${administrator.username}`,
          clientId: null,
          data: { administrator_id: administrator.id, ip: input.ip },
        },
      ])
    })
    return {
      sessionId,
      session,
      administrator: { ...administrator, lastSignInAt: now },
      csrfToken: this.csrfTokenFor(sessionId),
    }
  }

  /**
   * Redeems a portal link (management/portal-links): once, before it expires, for a tenant
   * that is active. The person it names becomes (or stays) an administrator of the tenant with
   * the link's role and no password; the session ends with the link's session lifetime. An
   * account that signs in with a password is never taken over by a link.
   */
  async signInWithPortalLink(input: {
    secret: string
    ip: string
  }): Promise<ActiveSession & { sessionId: string; returnUrl: string | null }> {
    const refused = () =>
      new PortalLinkError('this link has expired or has been used; ask for a new one')
    if (!isPortalLinkSecret(input.secret)) throw refused()
    const now = this.deps.now()
    const sessionId = randomBytes(32).toString('base64url')
    return this.deps.storage.transaction(async (storage) => {
      const link = await storage.portalLinks.consume(
        portalLinkHash(this.deps.hasher, input.secret),
        now,
      )
      if (link === undefined) throw refused()
      const tenant = await storage.tenants.get(link.tenantId)
      if (tenant === undefined || tenant.status !== 'active')
        throw new ForbiddenError(`tenant "${link.tenantId}" is not active: its console is closed`)
      const existing = await storage.administrators.findByUsername(
        link.tenantId,
        usernameKey(link.email),
      )
      if (existing !== undefined && existing.signsInWith !== 'portal_link')
        throw new ForbiddenError(
          `${link.email} signs in to this tenant with a password; a portal link cannot sign in as that account`,
        )
      let administrator: Administrator
      if (existing === undefined) {
        administrator = {
          id: `adm_${randomBytes(9).toString('base64url')}`,
          tenantId: link.tenantId,
          username: link.email,
          status: 'active',
          // No password hash verifies against this, and password sign-in skips these accounts.
          passwordHash: '!portal-link',
          createdAt: now,
          updatedAt: now,
          passwordChangedAt: now,
          version: 1,
          role: link.role,
          lastSignInAt: now,
          signsInWith: 'portal_link',
        }
        await storage.administrators.insert(administrator)
      } else {
        administrator = { ...existing, role: link.role, status: 'active', updatedAt: now }
        if (existing.role !== link.role || existing.status !== 'active')
          administrator = await storage.administrators.update(administrator, existing.version)
        await storage.administrators.recordSignIn(link.tenantId, existing.id, now)
      }
      const lifetimeMs = Math.min(link.sessionLifetimeSeconds * 1000, this.deps.lifetimeMs)
      const session: ConsoleSession = {
        idHash: this.#idHash(sessionId),
        tenantId: link.tenantId,
        administratorId: administrator.id,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + lifetimeMs),
      }
      await storage.consoleSessions.insert(session)
      await storage.audit.append([
        {
          tenantId: link.tenantId,
          occurredAt: now,
          type: 'administrator.signed_in',
          actor: `admin:${administrator.username}`,
          clientId: null,
          data: {
            administrator_id: administrator.id,
            ip: input.ip,
            via: 'portal_link',
            name: link.name,
            email: link.email,
            role: link.role,
            link_created_by: link.createdBy,
            session_expires_at: session.expiresAt.toISOString(),
          },
        },
      ])
      return {
        sessionId,
        session,
        administrator: { ...administrator, lastSignInAt: now },
        csrfToken: this.csrfTokenFor(sessionId),
        returnUrl: link.returnUrl,
      }
    })
  }

  /** The live session for a cookie value, or undefined if unknown, idle, expired or disabled. */
  async resolve(sessionId: string): Promise<ActiveSession | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return undefined
    const idHash = this.#idHash(sessionId)
    const found = await this.deps.storage.consoleSessions.find(idHash)
    if (found === undefined) return undefined
    const now = this.deps.now().getTime()
    const { session, administrator } = found
    if (
      session.expiresAt.getTime() <= now ||
      session.lastSeenAt.getTime() + this.deps.idleTimeoutMs <= now ||
      administrator.status !== 'active'
    ) {
      await this.deps.storage.consoleSessions.delete(idHash)
      return undefined
    }
    if (now - session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
      await this.deps.storage.consoleSessions.touch(idHash, new Date(now))
    }
    return { session, administrator, csrfToken: this.csrfTokenFor(sessionId) }
  }

  /** Ends a session found by {@link resolve}. */
  async signOut(active: ActiveSession): Promise<void> {
    await this.deps.storage.consoleSessions.delete(active.session.idHash)
    await this.deps.audit.record({
      tenantId: active.administrator.tenantId,
      occurredAt: this.deps.now(),
      type: 'administrator.signed_out',
      actor: `admin:${active.administrator.username}`,
      clientId: null,
      data: { administrator_id: active.administrator.id },
    })
  }

  /** Deletes sessions past their idle or absolute expiry (run periodically). */
  pruneExpired(): Promise<number> {
    const now = this.deps.now()
    return this.deps.storage.consoleSessions.deleteExpired(
      new Date(now.getTime() - this.deps.idleTimeoutMs),
      now,
    )
  }
}
