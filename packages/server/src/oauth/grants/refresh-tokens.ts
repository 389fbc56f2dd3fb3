import { randomBytes } from 'node:crypto'

import type { SecretHasher } from '../../crypto/secret-hasher.js'
import type { RefreshToken } from '../../domain/model.js'
import type { RefreshTokenStore } from '../../storage/contract.js'

/** Refresh tokens are opaque: a recognisable prefix and 256 random bits, stored only as an HMAC. */
export const REFRESH_TOKEN_PREFIX = 'tmr_'
export const REFRESH_IDLE_SECONDS = 86_400
export const REFRESH_ABSOLUTE_SECONDS = 30 * 86_400

export interface RefreshTokenDeps {
  refreshTokens: RefreshTokenStore
  hasher: SecretHasher
}

export function hashRefreshToken(hasher: SecretHasher, token: string): string {
  return hasher.hash(token).toString('base64url')
}

export interface RefreshTokenInput {
  tenantId: string
  clientId: string
  userId: string
  audience: string
  scopes: string[]
  now: Date
  family?: { id: string; expiresAt: Date }
}

/** Stores a new refresh token (a new family unless `family` continues one) and returns it. */
export async function issueRefreshToken(
  deps: RefreshTokenDeps,
  input: RefreshTokenInput,
): Promise<{ token: string; record: RefreshToken }> {
  const issued = newRefreshToken(deps.hasher, input)
  await deps.refreshTokens.insert(issued.record)
  return issued
}

/** A refresh token and its record, not yet stored. */
export function newRefreshToken(
  hasher: SecretHasher,
  input: RefreshTokenInput,
): { token: string; record: RefreshToken } {
  const token = REFRESH_TOKEN_PREFIX + randomBytes(32).toString('base64url')
  const familyExpiresAt =
    input.family?.expiresAt ?? new Date(input.now.getTime() + REFRESH_ABSOLUTE_SECONDS * 1000)
  const record: RefreshToken = {
    id: `rt_${randomBytes(12).toString('base64url')}`,
    tenantId: input.tenantId,
    familyId: input.family?.id ?? `rtf_${randomBytes(12).toString('base64url')}`,
    clientId: input.clientId,
    userId: input.userId,
    tokenHash: hashRefreshToken(hasher, token),
    audience: input.audience,
    scopes: input.scopes,
    createdAt: input.now,
    idleExpiresAt: new Date(
      Math.min(input.now.getTime() + REFRESH_IDLE_SECONDS * 1000, familyExpiresAt.getTime()),
    ),
    familyExpiresAt,
    usedAt: null,
    revokedAt: null,
  }
  return { token, record }
}
