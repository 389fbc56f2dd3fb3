// The revocation feed, `{issuer}/oauth/revocations`: what `@tokenmint/verify` follows to refuse
// revoked applications' and tokens' tokens within a second. `{public_url}/oauth/revocations` is
// the same feed for every tenant at once, for a verifier of every tenant of the deployment. This
// module owns reading it, being told when it grows, and the one revocation written on the OAuth
// side (RFC 7009). Revoking, deleting or expiring an application writes its entry in management,
// inside the transaction that ends the application, with the same entry rules
// (domain/token-policy).
import { tokenRevocationExpiresAt } from '../domain/token-policy.js'
import type { AuditSink, ChangeBus, Revocation, RevocationStore } from '../storage/contract.js'

/** One entry of `{issuer}/oauth/revocations`, as `@tokenmint/verify` reads it. */
export interface RevocationFeedEntry {
  cursor: string
  /** The tenant of the application or token; what the deployment-wide feed tells apart. */
  tenant: string
  type: 'application' | 'token'
  client_id: string
  jti?: string
  /** Epoch seconds. Every token of an `application` entry issued at or before it is revoked. */
  revoked_at: number
  /** Epoch seconds after which every token the entry concerns has expired. */
  expires_at: number
}

export const FEED_PAGE_SIZE = 1000

export function feedEntry(revocation: Revocation): RevocationFeedEntry {
  return {
    cursor: revocation.id,
    tenant: revocation.tenantId,
    type: revocation.type,
    client_id: revocation.clientId,
    ...(revocation.jti !== null && { jti: revocation.jti }),
    revoked_at: Math.floor(revocation.revokedAt.getTime() / 1000),
    expires_at: Math.ceil(revocation.expiresAt.getTime() / 1000),
  }
}

/** A cursor is the decimal id of the last entry seen. */
export function isValidCursor(value: string): boolean {
  return /^\d{1,15}$/.test(value)
}

export interface RevocationFeedPage {
  entries: RevocationFeedEntry[]
  next_cursor: string | null
  has_more: boolean
}

/** A page of one tenant's feed, or with `tenantId` undefined, of every tenant's. */
export async function readFeed(
  revocations: Pick<RevocationStore, 'list' | 'listAll'>,
  tenantId: string | undefined,
  since: string | undefined,
  limit = FEED_PAGE_SIZE,
): Promise<RevocationFeedPage> {
  const page =
    tenantId === undefined
      ? await revocations.listAll(since, limit + 1)
      : await revocations.list(tenantId, since, limit + 1)
  const entries = page.slice(0, limit).map(feedEntry)
  return {
    entries,
    next_cursor: entries.at(-1)?.cursor ?? since ?? null,
    has_more: page.length > limit,
  }
}

export interface RevocationsDeps {
  store: Pick<RevocationStore, 'append' | 'isRevoked' | 'list' | 'listAll'>
  changes: Pick<ChangeBus, 'publish' | 'subscribe'>
  audit: Pick<AuditSink, 'record'>
  now: () => Date
  /** Called when the audit record of a revocation could not be written. */
  onAuditFailure: (error: unknown) => void
}

/** The revocation feed of every tenant: its entries, its notifications, RFC 7009's writes. */
export class Revocations {
  constructor(private readonly deps: RevocationsDeps) {}

  /** Whether the token (by its jti), or its whole application, has been revoked. */
  isRevoked(
    tenantId: string,
    clientId: string,
    jti: string,
    issuedAtSeconds?: number,
  ): Promise<boolean> {
    return this.deps.store.isRevoked(tenantId, clientId, jti, issuedAtSeconds)
  }

  /**
   * RFC 7009 for one access token: an entry until the token has expired (plus the verifiers'
   * skew), published to every node at once and recorded in the audit log. Idempotent.
   */
  async revokeAccessToken(
    tenantId: string,
    clientId: string,
    jti: string,
    expSeconds: number,
  ): Promise<void> {
    if (await this.deps.store.isRevoked(tenantId, clientId, jti)) return
    const now = this.deps.now()
    await this.deps.store.append({
      tenantId,
      type: 'token',
      clientId,
      jti,
      revokedAt: now,
      expiresAt: tokenRevocationExpiresAt(expSeconds),
    })
    this.deps.changes.publish({ kind: 'revocation', tenantId })
    this.deps.audit
      .record({
        tenantId,
        occurredAt: now,
        type: 'token.revoked',
        actor: `client:${clientId}`,
        clientId,
        data: { jti },
      })
      .catch(this.deps.onAuditFailure)
  }

  /** The tenant's entries after `since`, a page at a time. */
  read(tenantId: string, since: string | undefined, limit = FEED_PAGE_SIZE) {
    return readFeed(this.deps.store, tenantId, since, limit)
  }

  /** Every tenant's entries after `since`, a page at a time: the deployment-wide feed. */
  readAll(since: string | undefined, limit = FEED_PAGE_SIZE) {
    return readFeed(this.deps.store, undefined, since, limit)
  }

  /**
   * Calls `listener` whenever the tenant's feed may have grown (or everything must be re-read);
   * with `tenantId` undefined, whenever any tenant's may have.
   */
  onChange(tenantId: string | undefined, listener: () => void): () => void {
    return this.deps.changes.subscribe((change) => {
      if (
        (change.kind === 'revocation' &&
          (tenantId === undefined || change.tenantId === tenantId)) ||
        change.kind === 'resync'
      )
        listener()
    })
  }
}
