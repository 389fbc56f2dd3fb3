const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

/** RFC 8259 §6; no nested quantifiers, so no backtracking. */
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
const HEX4 = /[0-9A-Fa-f]{4}/y
/** RFC 8259 §7: the characters after a backslash, and what they stand for (`u` aside). */
const SHORT_ESCAPES = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
])

/**
 * The first member name that occurs twice within one object of `json`, at any depth, or
 * undefined when every object's names are unique. Throws a SyntaxError where `JSON.parse` would
 * fail (the grammar is RFC 8259's, exactly), unless a repeat comes first.
 *
 * Written by hand because nothing else can tell: `JSON.parse` — and so jose — silently keeps the
 * last of repeated names (a reviver only sees the survivor), while a token whose header says
 * `alg` twice, or whose claims say `exp` twice, means different things to different parsers.
 * RFC 7515 §4 and RFC 7519 §4 let a parser reject such a JWS or JWT rather than keep the last,
 * and RFC 7515 §10.12 asks for strict JSON validation; we reject.
 *
 * Names are compared decoded, as `JSON.parse` would see them: `"\u0061lg"` is `"alg"`, and the
 * same name in two different objects (or array elements) is no duplicate. One pass, no
 * recursion (an explicit stack, so deep nesting cannot overflow the call stack) and no
 * backtracking: time and memory are linear in `json.length`, which the caller bounds (the
 * verifier refuses tokens over `maxTokenBytes` before decoding them).
 *
 * @example
 * ```ts
 * findDuplicateMember('{"alg":"ES256","\\u0061lg":"none"}') // 'alg'
 * findDuplicateMember('{"a":{"b":1},"c":{"b":2}}') // undefined
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-4
 */
export function findDuplicateMember(json: string): string | undefined {
  let i = 0
  // One entry per open container: the names seen so far in an object, undefined for an array.
  const open: (Set<string> | undefined)[] = []

  function fail(): never {
    throw new SyntaxError(`invalid JSON at position ${i}`)
  }
  const skipWhitespace = () => {
    for (;;) {
      const c = json.charCodeAt(i)
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return
      i++
    }
  }
  /** Reads the string starting at `i` (a quote); returns its decoded value when `decode`. */
  const readString = (decode: boolean): string => {
    i++
    let value = ''
    let chunkStart = i
    for (;;) {
      const c = json.charCodeAt(i)
      if (c === QUOTE) break
      if (c < 0x20 || Number.isNaN(c)) fail() // a raw control character, or the end
      if (c !== BACKSLASH) {
        i++
        continue
      }
      if (decode) value += json.slice(chunkStart, i)
      const escape = json.charAt(i + 1)
      if (escape === 'u') {
        HEX4.lastIndex = i + 2
        if (!HEX4.test(json)) fail()
        // One UTF-16 code unit per escape, lone surrogates included, as JSON.parse does.
        if (decode) value += String.fromCharCode(parseInt(json.slice(i + 2, i + 6), 16))
        i += 6
      } else {
        const decoded = SHORT_ESCAPES.get(escape)
        if (decoded === undefined) fail()
        if (decode) value += decoded
        i += 2
      }
      chunkStart = i
    }
    if (decode) value += json.slice(chunkStart, i)
    i++
    return value
  }
  /** Reads `"name" :` into the innermost object's names; the name when it is a repeat. */
  const readName = (names: Set<string>): string | undefined => {
    if (json.charCodeAt(i) !== QUOTE) fail()
    const name = readString(true)
    if (names.has(name)) return name
    names.add(name)
    skipWhitespace()
    if (json.charCodeAt(i) !== COLON) fail()
    i++
    skipWhitespace()
    return undefined
  }

  skipWhitespace()
  for (;;) {
    // A value starts at i.
    const c = json.charCodeAt(i)
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      i++
      skipWhitespace()
      if (json.charCodeAt(i) !== (c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)) {
        const names = c === OPEN_BRACE ? new Set<string>() : undefined
        open.push(names)
        if (names !== undefined) {
          const repeated = readName(names)
          if (repeated !== undefined) return repeated
        }
        continue
      }
      i++ // {} or []
    } else if (c === QUOTE) {
      readString(false)
    } else if (json.startsWith('true', i) || json.startsWith('null', i)) {
      i += 4
    } else if (json.startsWith('false', i)) {
      i += 5
    } else {
      NUMBER.lastIndex = i
      if (!NUMBER.test(json)) fail()
      i = NUMBER.lastIndex
    }
    // After a value: a comma and the next member or element, or the end of containers.
    for (;;) {
      skipWhitespace()
      if (open.length === 0) {
        if (i !== json.length) fail()
        return undefined
      }
      const names = open[open.length - 1]
      const next = json.charCodeAt(i)
      if (next === (names === undefined ? CLOSE_BRACKET : CLOSE_BRACE)) {
        open.pop()
        i++
        continue
      }
      if (next !== COMMA) fail()
      i++
      skipWhitespace()
      if (names !== undefined) {
        const repeated = readName(names)
        if (repeated !== undefined) return repeated
      }
      break
    }
  }
}
