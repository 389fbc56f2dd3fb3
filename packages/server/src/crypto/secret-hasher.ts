import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'

/**
 * Client secrets carry 256 random bits, so a slow password hash would add nothing but latency:
 * a keyed HMAC-SHA-256 with a server-side pepper resists offline guessing from a stolen database
 * as long as the pepper (derived from the master key) stays out of it.
 */
export class SecretHasher {
  readonly #pepper: Buffer

  constructor(masterKey: Buffer) {
    this.#pepper = Buffer.from(
      hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tokenmint client-secret pepper v1', 32),
    )
  }

  hash(secret: string): Buffer {
    return createHmac('sha256', this.#pepper).update(secret).digest()
  }

  /** Constant-time comparison of two hashes. */
  equals(presentedHash: Buffer, storedHash: Buffer): boolean {
    return presentedHash.length === storedHash.length && timingSafeEqual(presentedHash, storedHash)
  }
}
