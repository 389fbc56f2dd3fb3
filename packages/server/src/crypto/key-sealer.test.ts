import { randomBytes } from 'node:crypto'

import { describe, expect, it } from 'vitest'

import { KeySealer, KeySealError } from './key-sealer.js'

describe('key sealing at rest', () => {
  const sealer = new KeySealer(randomBytes(32))
  const plaintext = randomBytes(138)

  it('opens what it sealed', () => {
    expect(sealer.open(sealer.seal(plaintext, 'acme/kid1'), 'acme/kid1')).toEqual(plaintext)
  })

  it('does not contain the plaintext', () => {
    expect(sealer.seal(plaintext, 'acme/kid1')).not.toContain(
      plaintext.toString('base64url').slice(0, 20),
    )
  })

  it('refuses a sealed key moved to another tenant or kid', () => {
    expect(() => sealer.open(sealer.seal(plaintext, 'acme/kid1'), 'other/kid1')).toThrow(
      KeySealError,
    )
  })

  it('refuses to open with another master key, naming the likely cause', () => {
    const sealed = sealer.seal(plaintext, 'acme/kid1')
    expect(() => new KeySealer(randomBytes(32)).open(sealed, 'acme/kid1')).toThrow(
      /TOKENMINT_MASTER_KEY/,
    )
  })
})
