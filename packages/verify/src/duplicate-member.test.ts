import { describe, expect, it } from 'vitest'

import { findDuplicateMember } from './duplicate-member.js'

describe('findDuplicateMember', () => {
  const cases: { description: string; json: string; repeated: string | undefined }[] = [
    {
      description: 'a JOSE header with unique names',
      json: '{"alg":"ES256","kid":"k1","typ":"at+jwt"}',
      repeated: undefined,
    },
    { description: 'a repeated alg', json: '{"alg":"ES256","alg":"none"}', repeated: 'alg' },
    {
      description: 'a repeat spelled with a unicode escape',
      json: '{"alg":"ES256","\\u0061lg":"none"}',
      repeated: 'alg',
    },
    {
      description: 'both spellings escaped, upper- and lower-case hex',
      json: '{"\\u0061\\u006Cg":1,"al\\u0067":2}',
      repeated: 'alg',
    },
    { description: 'an escaped quote in a name', json: '{"a\\"b":1,"a\\"b":2}', repeated: 'a"b' },
    {
      description: 'an escaped quote and an escaped backslash are different names',
      json: '{"a\\"b":1,"a\\\\b":2}',
      repeated: undefined,
    },
    {
      description: 'a backslash, as \\\\ and as \\u005c',
      json: '{"a\\\\":1,"a\\u005c":2}',
      repeated: 'a\\',
    },
    { description: 'a solidus, escaped and not', json: '{"\\/":1,"/":2}', repeated: '/' },
    {
      description: 'a raw non-ASCII name and its escape',
      json: '{"é":1,"\\u00e9":2}',
      repeated: 'é',
    },
    {
      description: 'a raw astral name and its surrogate-pair escape',
      json: '{"😀":1,"\\ud83d\\ude00":2}',
      repeated: '😀',
    },
    { description: 'an empty name twice', json: '{"":1,"":2}', repeated: '' },
    {
      description: '__proto__ twice (an own property to JSON.parse, like any name)',
      json: '{"__proto__":1,"__proto__":{}}',
      repeated: '__proto__',
    },
    {
      description: 'a repeat in a nested object',
      json: '{"sub":"x","cnf":{"jkt":"a","jkt":"b"}}',
      repeated: 'jkt',
    },
    {
      description: 'a repeat in an object inside an array',
      json: '{"authorization_details":[{"type":"a"},{"type":"b","type":"c"}]}',
      repeated: 'type',
    },
    {
      description: 'a repeat after a nested object closes',
      json: '{"a":{"b":{"c":1}},"a":2}',
      repeated: 'a',
    },
    {
      description: 'the same name in sibling objects and array elements',
      json: '{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}],"x":[]}',
      repeated: undefined,
    },
    {
      description: 'a name equal to a value, and names inside string values',
      json: '{"a":"b","b":"a","c":"{\\"d\\":1,\\"d\\":2}"}',
      repeated: undefined,
    },
    {
      description: 'whitespace everywhere JSON allows it',
      json: ' \t\r\n{ "a" : [ 1 , -2.5e+3 , true , false , null , { } , [ ] ] , "b" : { } }\n',
      repeated: undefined,
    },
    { description: 'a top-level array', json: '[1,"a",{"a":1},{"a":2}]', repeated: undefined },
    { description: 'a top-level string', json: '"a\\u0000b"', repeated: undefined },
  ]
  for (const { description, json, repeated } of cases) {
    it(`reads ${description}`, () => {
      expect(() => JSON.parse(json) as unknown).not.toThrow()
      expect(findDuplicateMember(json)).toBe(repeated)
    })
  }

  const invalid: { description: string; json: string }[] = [
    { description: 'nothing', json: '' },
    { description: 'only whitespace', json: ' \n' },
    { description: 'a trailing comma in an object', json: '{"a":1,}' },
    { description: 'a trailing comma in an array', json: '[1,]' },
    { description: 'a missing colon', json: '{"a" 1}' },
    { description: 'single quotes', json: "{'a':1}" },
    { description: 'an unquoted name', json: '{a:1}' },
    { description: 'an unknown escape', json: '{"a":"\\x41"}' },
    { description: 'a short unicode escape', json: '{"a\\u06":1}' },
    { description: 'a raw line feed in a string', json: '{"a":"x\ny"}' },
    { description: 'an unterminated string', json: '{"a":"x' },
    { description: 'a string ending in a backslash', json: '"x\\' },
    { description: 'an unclosed object', json: '{"a":1' },
    { description: 'a mismatched bracket', json: '{"a":[1}' },
    { description: 'text after the value', json: '{"a":1} x' },
    { description: 'two values', json: '{}{}' },
    { description: 'a leading zero', json: '{"exp":01}' },
    { description: 'a bare minus', json: '{"exp":-}' },
    { description: 'a trailing dot', json: '{"exp":1.}' },
    { description: 'a leading dot', json: '{"exp":.5}' },
    { description: 'a plus sign', json: '{"exp":+1}' },
    { description: 'an empty exponent', json: '{"exp":1e}' },
    { description: 'NaN', json: '{"exp":NaN}' },
    { description: 'Infinity', json: '{"exp":Infinity}' },
    { description: 'a truncated literal', json: '{"a":tru}' },
    { description: 'a literal run on', json: '{"a":truex}' },
    { description: 'a no-break space as whitespace', json: '\u00a0{}' },
  ]
  for (const { description, json } of invalid) {
    it(`throws a SyntaxError, as JSON.parse does, on ${description}`, () => {
      expect(() => JSON.parse(json) as unknown).toThrow(SyntaxError)
      expect(() => findDuplicateMember(json)).toThrow(SyntaxError)
    })
  }

  it('accepts and refuses exactly what JSON.parse does, over thousands of mutations', () => {
    // A fixed-seed generator: the same mutations on every run.
    let seed = 0x2545f491
    const random = (below: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return (seed >>> 8) % below
    }
    const corpus = cases.map((c) => c.json)
    const alphabet = ['{', '}', '[', ']', '"', ',', ':', '\\', 'u', '0', 'a', 'é', ' ', '\n']
    alphabet.push('t', 'n', '1', '-', '.', 'e', 'E', '+', '/', 'true', 'null', '\\u0061')
    let disagreements = 0
    let valid = 0
    for (let n = 0; n < 5000; n++) {
      let json = corpus[random(corpus.length)]!
      for (let edits = 1 + random(3); edits > 0; edits--) {
        const at = random(json.length + 1)
        const edit = random(3)
        if (edit === 0)
          json = json.slice(0, at) + alphabet[random(alphabet.length)]! + json.slice(at)
        else if (edit === 1) json = json.slice(0, at) + json.slice(at + 1)
        else json = json.slice(0, at) + json.slice(at, at + random(8)) + json.slice(at)
      }
      let repeated: string | undefined
      let scannerThrew = false
      try {
        repeated = findDuplicateMember(json)
      } catch (error) {
        expect(error).toBeInstanceOf(SyntaxError)
        scannerThrew = true
      }
      let parseThrew = false
      try {
        JSON.parse(json)
      } catch {
        parseThrew = true
      }
      // A repeat is reported as soon as it is read, even if the text is broken further on.
      if (repeated === undefined && scannerThrew !== parseThrew) disagreements++
      if (!parseThrew) valid++
    }
    expect(disagreements).toBe(0)
    expect(valid, 'mutations that stay valid JSON').toBeGreaterThan(500)
  })

  it('reads deep nesting and long inputs in one pass, without recursion', () => {
    // Far deeper than a recursive parser's call stack would allow.
    const depth = 50_000
    expect(findDuplicateMember('['.repeat(depth) + ']'.repeat(depth))).toBeUndefined()
    expect(findDuplicateMember('{"a":'.repeat(depth) + '1' + '}'.repeat(depth))).toBeUndefined()
    const deepRepeat = '{"a":'.repeat(depth) + '{"b":1,"b":2}' + '}'.repeat(depth)
    expect(findDuplicateMember(deepRepeat)).toBe('b')
    const manyNames = `{${Array.from({ length: 100_000 }, (_, n) => `"n${n}":${n}`).join(',')}}`
    expect(findDuplicateMember(manyNames)).toBeUndefined()
    const escapedName = '\\u0041'.repeat(50_000)
    const name = 'A'.repeat(50_000)
    expect(findDuplicateMember(`{"${escapedName}":1,"${name}":2}`)).toBe(name)
  })
})
