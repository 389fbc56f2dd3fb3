import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const VERSION = 'v1'

export class KeySealError extends Error {
  override name = 'KeySealError'
}

/**
 * Encrypts private signing keys at rest with AES-256-GCM under a key derived from the master
 * key. The associated data binds a sealed key to its tenant and kid, so a sealed blob copied
 * onto another row does not decrypt.
 */
export class KeySealer {
  readonly #key: Buffer

  constructor(masterKey: Buffer) {
    this.#key = Buffer.from(
      hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tokenmint key sealing v1', 32),
    )
  }

  seal(plaintext: Buffer, associatedData: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(associatedData))
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
    const tag = cipher.getAuthTag()
    return [VERSION, iv, ciphertext, tag]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.')
  }

  open(sealed: string, associatedData: string): Buffer {
    const [version, iv, ciphertext, tag] = sealed.split('.')
    if (version !== VERSION || !iv || !ciphertext || !tag) {
      throw new KeySealError('sealed key has an unknown format')
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'))
      decipher.setAAD(Buffer.from(associatedData))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ])
    } catch (cause) {
      throw new KeySealError(
        'sealed key does not decrypt: is TOKENMINT_MASTER_KEY the one it was sealed with?',
        {
          cause,
        },
      )
    }
  }
}
