import type { KeySealer } from '../crypto/key-sealer.js'
import { createJwsSigner, type JwsSigner, type PublicJwk } from '../crypto/jws-signer.js'
import type { Tenant } from '../domain/model.js'
import { isSharedWith, tenantFieldValue } from '../domain/platform.js'
import { isPublished, sealingContext } from '../domain/signing-keys.js'
import type { ApiStore, SigningKeyStore, TenantStore } from '../storage/contract.js'

/** A tenant as the hot path needs it: parsed keys, built once per load. */
export interface TenantRuntime {
  tenant: Tenant
  issuer: string
  signer: JwsSigner
  /** Next, current and still-needed retired public keys, next first. */
  publishedKeys: PublicJwk[]
  /**
   * Claims the tenant puts in every token for an audience: `tenant`, and the tenant fields a
   * shared API asks for (platform mode). Built once per load, so tokens do no look-up.
   */
  claimsFor(audience: string): Readonly<Record<string, string>>
  /**
   * Claim names any shared API fills from tenant fields. An application's custom claims never
   * carry them, even one set before a shared API took the name, and even where this tenant
   * lacks the field: a vendor's API trusts them to name the customer.
   */
  tenantClaimNames: ReadonlySet<string>
}

export interface TenantKeyringDeps {
  tenants: Pick<TenantStore, 'get'>
  signingKeys: Pick<SigningKeyStore, 'listForTenant'>
  apis: Pick<ApiStore, 'listShared'>
  sealer: KeySealer
  issuerFor: (tenantId: string) => string
  /** Bound on serving a cached tenant without re-reading storage (a lost invalidation heals). */
  maxAgeMs: number
  now: () => Date
}

interface Entry {
  runtime: TenantRuntime | undefined
  loadedAt: number
}

/**
 * Per-tenant cache of the signer and JWKS. Private keys are unsealed and parsed into
 * `KeyObject`s once per load, never per token. `invalidate` is called on every change
 * (key rotation, tenant edits) through the change bus.
 */
export class TenantKeyring {
  readonly #entries = new Map<string, Entry>()
  readonly #loading = new Map<string, Promise<TenantRuntime | undefined>>()

  constructor(private readonly deps: TenantKeyringDeps) {}

  get(tenantId: string): Promise<TenantRuntime | undefined> {
    const entry = this.#entries.get(tenantId)
    if (entry !== undefined && this.deps.now().getTime() - entry.loadedAt < this.deps.maxAgeMs) {
      return Promise.resolve(entry.runtime)
    }
    let pending = this.#loading.get(tenantId)
    if (pending === undefined) {
      pending = this.#load(tenantId).finally(() => this.#loading.delete(tenantId))
      this.#loading.set(tenantId, pending)
    }
    return pending
  }

  invalidate(tenantId?: string): void {
    if (tenantId === undefined) this.#entries.clear()
    else this.#entries.delete(tenantId)
  }

  async #load(tenantId: string): Promise<TenantRuntime | undefined> {
    const loadedAt = this.deps.now().getTime()
    const tenant = await this.deps.tenants.get(tenantId)
    if (tenant === undefined) {
      this.#entries.set(tenantId, { runtime: undefined, loadedAt })
      return undefined
    }
    const keys = await this.deps.signingKeys.listForTenant(tenantId)
    const current = keys.find((k) => k.status === 'current')
    if (current === undefined) throw new Error(`tenant ${tenantId} has no current signing key`)
    const now = this.deps.now()
    const order = { next: 0, current: 1, retired: 2 } as const
    const base: Readonly<Record<string, string>> = { tenant: tenant.id }
    const byAudience = new Map<string, Readonly<Record<string, string>>>()
    const shared = await this.deps.apis.listShared()
    const tenantClaimNames = new Set(shared.flatMap((api) => Object.keys(api.tenantClaims)))
    for (const api of shared) {
      if (api.tenantId !== tenantId && !isSharedWith(api, tenantId)) continue
      const claims: Record<string, string> = {}
      for (const [name, field] of Object.entries(api.tenantClaims)) {
        const value = tenantFieldValue(tenant, field)
        if (value !== undefined) claims[name] = value
      }
      byAudience.set(api.audience, { ...claims, ...base })
    }
    const runtime: TenantRuntime = {
      tenantClaimNames,
      claimsFor: (audience) => byAudience.get(audience) ?? base,
      tenant,
      issuer: this.deps.issuerFor(tenantId),
      signer: createJwsSigner(
        current.algorithm,
        current.kid,
        this.deps.sealer.open(current.sealedPrivateKey, sealingContext(current)),
      ),
      publishedKeys: keys
        .filter((k) => isPublished(k, now))
        .sort((a, b) => order[a.status] - order[b.status])
        .map((k) => k.publicJwk),
    }
    this.#entries.set(tenantId, { runtime, loadedAt })
    return runtime
  }
}
