/** Hostile values the request generators share: strings, JSON of the wrong type, encodings. */
import fc from 'fast-check'

const SPECIAL_STRINGS = [
  '',
  ' ',
  '\t',
  '\u0000',
  'a\u0000b',
  '\uFEFF',
  '\u202E',
  '\u00A0',
  '\uD800',
  '\uDFFF',
  '𝕏',
  'é',
  'e\u0301',
  'İ',
  'ß',
  '%',
  '%%',
  '%ZZ',
  '%00',
  '%E0%A4',
  '%C0%AF',
  '%ED%A0%80',
  '+',
  '%2B',
  '%20',
  '&',
  '=',
  ';',
  '..',
  '../..',
  '/',
  '\\',
  '\r\n',
  '\n',
  '{}',
  '[]',
  'null',
  'true',
  '0',
  '-0',
  '1e400',
  '-1e400',
  '1e-400',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '9007199254740993',
  '__proto__',
  'constructor',
  'toString',
  "' OR '1'='1",
  '"; DROP TABLE applications; --',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '{{7*7}}',
  'Basic',
  'Bearer',
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
]

/** Empty, unicode, NUL, lone surrogates, percent-encoding debris, numbers-as-text and overlong. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 24 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 2 },
  { arbitrary: fc.constantFrom(...SPECIAL_STRINGS), weight: 4 },
  { arbitrary: fc.integer({ min: 1, max: 40 }).map((k) => 'A'.repeat(k * 256 + 1)), weight: 1 },
)

/** Printable ASCII only: what a header value can carry through any client. */
export const headerSafeString = fc.string({
  unit: fc.constantFrom(...'abcXYZ019+/=._~-:; ,"\'()<>@[]{}?!#$%&*'.split('')),
  maxLength: 40,
})

/** `usual` `share` percent of the time, otherwise one of `others`. */
export function mostly<T>(usual: T, share: number, others: T[]): fc.Arbitrary<T> {
  return fc.oneof(
    { weight: share, arbitrary: fc.constant(usual) },
    { weight: 100 - share, arbitrary: fc.constantFrom(...others) },
  )
}

/** JSON text of a value that is not a string: numbers past double range, nesting, arrays. */
export const wrongTypeJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '1e400',
    '-1e400',
    '-0',
    '1e-400',
    '123456789012345678901234567890',
    '0.5',
    'true',
    'false',
    '[]',
    '{}',
    '[""]',
    '["a","b"]',
    '{"":""}',
    '{"__proto__":{"x":1}}',
    '[null]',
    '"NaN"',
    '"Infinity"',
    '"-0"',
    '"1e400"',
  ),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }).map((a) => JSON.stringify(a)),
  fc.integer({ min: 1, max: 3000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 1, max: 1500 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
)

/** RFC 3986 unreserved characters stay; every other UTF-8 byte is %XX (lone surrogates → U+FFFD). */
export function percentEncode(text: string, everything = false): string {
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte)
    out +=
      !everything && /[A-Za-z0-9\-._~]/.test(c)
        ? c
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

export function basicOf(id: string, secret: string, encode = true): string {
  const e = (v: string) => (encode ? encodeURIComponent(v) : v)
  return Buffer.from(`${e(id)}:${e(secret)}`).toString('base64')
}

export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}
