import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose'

import { TokenVerificationError } from './errors.js'

export interface TenantKeySetsOptions {
  /** Tenants whose key sets are held at once (least recently used out), and unknown ones too. */
  maxTenants: number
  /** Fetches for tenants not held, per minute: a token bucket that holds this many. */
  newTenantFetchesPerMinute: number
  /** Least time between refetches of one tenant's JWKS on an unknown `kid`. */
  cooldownMs: number
  /** How long a tenant whose JWKS answered 404 is refused without asking again. */
  unknownTenantMs: number
  fetch: typeof fetch
  now: () => number
  realm: string
}

/**
 * The JWKS of each tenant of one deployment, fetched from `{issuer}/.well-known/jwks.json` when
 * a tenant's first token comes, and refetched on an unknown `kid` after a cooldown (jose's remote
 * set, one per tenant). Bounded, because the tenant comes from a token not verified yet: at most
 * `maxTenants` key sets are held, least recently used out; a tenant whose JWKS is not found is
 * remembered as unknown for a while (as many, oldest out); and fetches for tenants not held draw
 * on a token bucket, so made-up tenant ids cost at most `newTenantFetchesPerMinute` fetches a
 * minute, whatever their number.
 */
export class TenantKeySets {
  /** Insertion order is use order: the first key is the least recently used. */
  readonly #sets = new Map<string, JWTVerifyGetKey>()
  /** Tenant → when it stops being remembered as unknown (ms). */
  readonly #unknown = new Map<string, number>()
  /** One fetch in flight per tenant: tokens of a tenant being fetched wait for it. */
  readonly #loading = new Map<string, Promise<JWTVerifyGetKey>>()
  #allowance: number
  #allowanceAt: number

  constructor(private readonly options: TenantKeySetsOptions) {
    this.#allowance = options.newTenantFetchesPerMinute
    this.#allowanceAt = options.now()
  }

  /** The tenant's key set, or a refusal saying why it cannot be had. */
  get(tenant: string, issuer: string): Promise<JWTVerifyGetKey> {
    const held = this.#sets.get(tenant)
    if (held !== undefined) {
      this.#sets.delete(tenant)
      this.#sets.set(tenant, held)
      return Promise.resolve(held)
    }
    const loading = this.#loading.get(tenant)
    if (loading !== undefined) return loading
    const unknownUntil = this.#unknown.get(tenant)
    if (unknownUntil !== undefined) {
      if (this.options.now() < unknownUntil) return Promise.reject(this.#unknownTenant())
      this.#unknown.delete(tenant)
    }
    if (!this.#takeFetch()) {
      return Promise.reject(
        this.#refuse(
          'ERR_TENANT_KEYS_LIMITED',
          `the keys of tenant ${tenant} are not loaded yet, and this minute's fetches of new tenants' keys are used up; try again shortly`,
        ),
      )
    }
    const load = this.#load(tenant, issuer).finally(() => this.#loading.delete(tenant))
    this.#loading.set(tenant, load)
    return load
  }

  async #load(tenant: string, issuer: string): Promise<JWTVerifyGetKey> {
    let status: number | undefined
    const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`), {
      cooldownDuration: this.options.cooldownMs,
      [customFetch]: async (url, init) => {
        const response = await this.options.fetch(url, init)
        status = response.status
        return response
      },
    })
    try {
      await jwks.reload()
    } catch {
      if (status === 404) {
        this.#bounded(this.#unknown, tenant, this.options.now() + this.options.unknownTenantMs)
        throw this.#unknownTenant()
      }
      throw this.#refuse('ERR_DISCOVERY', `the keys of tenant ${tenant} could not be loaded`)
    }
    this.#bounded(this.#sets, tenant, jwks)
    return jwks
  }

  /** Sets `key` last in `map`, dropping the first entries beyond `maxTenants`. */
  #bounded<T>(map: Map<string, T>, key: string, value: T): void {
    map.delete(key)
    map.set(key, value)
    for (const oldest of map.keys()) {
      if (map.size <= this.options.maxTenants) break
      map.delete(oldest)
    }
  }

  /** Takes one fetch from the bucket, refilled continuously at the per-minute rate. */
  #takeFetch(): boolean {
    const nowMs = this.options.now()
    const perMinute = this.options.newTenantFetchesPerMinute
    const elapsedMs = Math.max(0, nowMs - this.#allowanceAt)
    this.#allowance = Math.min(perMinute, this.#allowance + (elapsedMs * perMinute) / 60_000)
    this.#allowanceAt = nowMs
    if (this.#allowance < 1) return false
    this.#allowance -= 1
    return true
  }

  #unknownTenant(): TokenVerificationError {
    return this.#refuse(
      'ERR_TOKEN_ISSUER',
      'the token names a tenant this deployment does not have',
    )
  }

  #refuse(
    code: 'ERR_TOKEN_ISSUER' | 'ERR_TENANT_KEYS_LIMITED' | 'ERR_DISCOVERY',
    message: string,
  ): TokenVerificationError {
    return new TokenVerificationError(code, 'invalid_token', message, this.options.realm)
  }
}
