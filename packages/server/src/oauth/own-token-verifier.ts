import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose'

import { effectiveStatus } from '../domain/model.js'
import type { RevocationStore } from '../storage/contract.js'
import type { ClientDirectory } from './client-authentication.js'
import type { TenantKeyring, TenantRuntime } from './tenant-keyring.js'

export interface VerifiedOwnToken {
  clientId: string
  /** RFC 9449: the thumbprint of the key a DPoP-bound token is bound to (`cnf.jkt`). */
  boundTo?: string
  subject: string
  scopes: Set<string>
  tenantId: string
  jti: string
  expiresAt: number
}

export class OwnTokenError extends Error {
  override name = 'OwnTokenError'
}

/**
 * Verifies access tokens this server issued to one of its own audiences (the admin API),
 * with jose: signature against the tenant's published keys, `typ`, `iss`, `aud`, `exp`/`nbf`.
 * The application must still be active, so a revoke ends its admin access at once.
 */
export class OwnTokenVerifier {
  readonly #keySets = new WeakMap<TenantRuntime, ReturnType<typeof createLocalJWKSet>>()

  constructor(
    private readonly deps: {
      keyring: TenantKeyring
      clients: ClientDirectory
      revocations: Pick<RevocationStore, 'isRevoked'>
      now: () => Date
    },
  ) {}

  /** Signature, `typ`, `iss`, times and (when given) `aud`: the claims of a token of this tenant. */
  async claims(token: string, tenantId: string, audience?: string): Promise<JWTPayload> {
    const runtime = await this.deps.keyring.get(tenantId)
    if (runtime === undefined) throw new OwnTokenError('the token was not issued by this tenant')
    let keySet = this.#keySets.get(runtime)
    if (keySet === undefined) {
      keySet = createLocalJWKSet({ keys: runtime.publishedKeys.map((k) => ({ ...k })) })
      this.#keySets.set(runtime, keySet)
    }
    // Refuse oversized input before any parsing (a JWT of ours is well under 4 KiB).
    if (token.length > 8192) throw new OwnTokenError('the access token is too large')
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, keySet, {
        issuer: runtime.issuer,
        ...(audience !== undefined && { audience }),
        typ: 'at+jwt',
        algorithms: [...new Set(runtime.publishedKeys.map((k) => k.alg))],
        clockTolerance: 5,
        currentDate: this.deps.now(),
        requiredClaims: ['exp', 'iat', 'jti', 'client_id'],
      }))
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired)
        throw new OwnTokenError('the access token has expired', { cause: error })
      if (error instanceof joseErrors.JOSEError) {
        throw new OwnTokenError("the access token is not valid for this tenant's admin API", {
          cause: error,
        })
      }
      throw error
    }
    return payload
  }

  async verify(token: string, tenantId: string, audience: string): Promise<VerifiedOwnToken> {
    const payload = await this.claims(token, tenantId, audience)
    const clientId = payload['client_id']
    const scope = payload['scope']
    if (typeof clientId !== 'string' || (scope !== undefined && typeof scope !== 'string')) {
      throw new OwnTokenError('the access token is malformed')
    }
    const record = await this.deps.clients.findClient(clientId)
    if (record === undefined || effectiveStatus(record.application, this.deps.now()) !== 'active') {
      throw new OwnTokenError('the application this token was issued to is no longer active')
    }
    if (
      payload.jti !== undefined &&
      (await this.deps.revocations.isRevoked(tenantId, clientId, payload.jti, payload.iat))
    ) {
      throw new OwnTokenError('the access token has been revoked')
    }
    const cnf = payload['cnf'] as { jkt?: unknown } | undefined
    return {
      clientId,
      ...(typeof cnf?.jkt === 'string' && { boundTo: cnf.jkt }),
      subject: payload.sub ?? clientId,
      scopes: new Set((scope ?? '').split(' ').filter((s) => s !== '')),
      tenantId,
      jti: payload.jti ?? '',
      expiresAt: payload.exp ?? 0,
    }
  }
}
