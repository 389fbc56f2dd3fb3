import type { Revocation, RevocationStore } from '../storage/contract.js'

/** One entry of `{issuer}/oauth/revocations`, as `@tokenmint/verify` reads it. */
export interface RevocationFeedEntry {
  cursor: string
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

export async function readFeed(
  revocations: Pick<RevocationStore, 'list'>,
  tenantId: string,
  since: string | undefined,
  limit = FEED_PAGE_SIZE,
): Promise<{ entries: RevocationFeedEntry[]; next_cursor: string | null; has_more: boolean }> {
  const page = await revocations.list(tenantId, since, limit + 1)
  const entries = page.slice(0, limit).map(feedEntry)
  return {
    entries,
    next_cursor: entries.at(-1)?.cursor ?? since ?? null,
    has_more: page.length > limit,
  }
}
