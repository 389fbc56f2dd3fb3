import { describe, expect, it } from 'vitest'

import {
  CLIENT_ID_LENGTH,
  CLIENT_SECRET_LENGTH,
  generateClientId,
  generateClientSecret,
  isWellFormedClientId,
  isWellFormedClientSecret,
  secretHint,
} from './secret-format.js'

describe('client id and secret format', () => {
  it('generates secrets with the tms_ prefix, 256 bits of base62 and a checksum', () => {
    const secret = generateClientSecret()
    expect(secret).toMatch(/^tms_[0-9A-Za-z]{49}$/)
    expect(secret).toHaveLength(CLIENT_SECRET_LENGTH)
    expect(isWellFormedClientSecret(secret)).toBe(true)
  })

  it('generates client ids with the tmc_ prefix and a checksum', () => {
    const id = generateClientId()
    expect(id).toMatch(/^tmc_[0-9A-Za-z]{28}$/)
    expect(id).toHaveLength(CLIENT_ID_LENGTH)
    expect(isWellFormedClientId(id)).toBe(true)
  })

  it('never repeats a secret', () => {
    const secrets = new Set(Array.from({ length: 2000 }, generateClientSecret))
    expect(secrets.size).toBe(2000)
  })

  const secret = generateClientSecret()
  const table: { description: string; value: string }[] = [
    {
      description: 'one character changed',
      value: secret.slice(0, 10) + (secret[10] === 'a' ? 'b' : 'a') + secret.slice(11),
    },
    { description: 'truncated', value: secret.slice(0, -1) },
    { description: 'an extra character', value: secret + 'a' },
    {
      description: 'two characters swapped',
      value: secret.slice(0, 5) + secret.charAt(6) + secret.charAt(5) + secret.slice(7),
    },
    { description: 'another prefix', value: 'tmx_' + secret.slice(4) },
    { description: 'a client id in its place', value: generateClientId() },
    { description: 'empty', value: '' },
  ]
  for (const { description, value } of table) {
    it(`refuses a secret with ${description}`, () => {
      if (value === secret) return // a swap of two equal characters changes nothing
      expect(isWellFormedClientSecret(value)).toBe(false)
    })
  }

  it('hints at a secret by prefix and its last four characters only', () => {
    expect(secretHint('tms_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP')).toBe('tms_…MNOP')
  })
})
