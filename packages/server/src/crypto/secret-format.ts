import { randomBytes } from 'node:crypto'
import { crc32 } from 'node:zlib'

/**
 * Client ids and secrets look like GitHub tokens: a recognisable prefix, a base62 body and a
 * 6-character base62 CRC32 of prefix+body. Secret scanners can match the prefix and verify the
 * checksum offline, and a mistyped or truncated secret is refused before any storage look-up.
 * Base62 keeps them inside `[A-Za-z0-9._~-]`, so no client library mangles them on the wire.
 */
export const CLIENT_ID_PREFIX = 'tmc_'
export const CLIENT_SECRET_PREFIX = 'tms_'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const CHECKSUM_LENGTH = 6
/** 22 base62 characters carry 130 bits. */
const CLIENT_ID_BODY_LENGTH = 22
/** 43 base62 characters carry 256 bits. */
const SECRET_BODY_LENGTH = 43

export const CLIENT_ID_LENGTH = CLIENT_ID_PREFIX.length + CLIENT_ID_BODY_LENGTH + CHECKSUM_LENGTH
export const CLIENT_SECRET_LENGTH =
  CLIENT_SECRET_PREFIX.length + SECRET_BODY_LENGTH + CHECKSUM_LENGTH

const CLIENT_ID_PATTERN = new RegExp(
  `^${CLIENT_ID_PREFIX}[0-9A-Za-z]{${CLIENT_ID_BODY_LENGTH + CHECKSUM_LENGTH}}$`,
)
const SECRET_PATTERN = new RegExp(
  `^${CLIENT_SECRET_PREFIX}[0-9A-Za-z]{${SECRET_BODY_LENGTH + CHECKSUM_LENGTH}}$`,
)

function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // Rejection sampling: 248 = 4 × 62, so bytes below it map uniformly.
      if (byte < 248) out += ALPHABET.charAt(byte % 62)
      if (out.length === length) break
    }
  }
  return out
}

function checksum(text: string): string {
  let value = crc32(text)
  let out = ''
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET.charAt(value % 62) + out
    value = Math.floor(value / 62)
  }
  return out
}

function withChecksum(prefix: string, body: string): string {
  const head = prefix + body
  return head + checksum(head)
}

function hasValidChecksum(value: string): boolean {
  const head = value.slice(0, -CHECKSUM_LENGTH)
  return checksum(head) === value.slice(-CHECKSUM_LENGTH)
}

export function generateClientId(): string {
  return withChecksum(CLIENT_ID_PREFIX, randomBase62(CLIENT_ID_BODY_LENGTH))
}

export function generateClientSecret(): string {
  return withChecksum(CLIENT_SECRET_PREFIX, randomBase62(SECRET_BODY_LENGTH))
}

export function isWellFormedClientId(value: string): boolean {
  return CLIENT_ID_PATTERN.test(value) && hasValidChecksum(value)
}

export function isWellFormedClientSecret(value: string): boolean {
  return SECRET_PATTERN.test(value) && hasValidChecksum(value)
}

/** What reads show instead of a secret: its prefix and last four characters. */
export function secretHint(secret: string): string {
  return `${CLIENT_SECRET_PREFIX}…${secret.slice(-4)}`
}
