import { describe, expect, it } from 'vitest'

import { repeatedMemberName } from './repeated-input.js'

describe('repeatedMemberName: the first top-level name a JSON object repeats', () => {
  const table: { description: string; json: string; repeated: string | undefined }[] = [
    { description: 'finds none in distinct names', json: '{"a":"1","b":"2"}', repeated: undefined },
    { description: 'finds a repeated name', json: '{"a":"1","b":"2","a":"3"}', repeated: 'a' },
    {
      description: 'compares names decoded, as JSON.parse does',
      json: '{"grant_type":"x","gr\\u0061nt_type":"y"}',
      repeated: 'grant_type',
    },
    { description: 'allows whitespace before the colon', json: '{"a" :1, "a"\n:2}', repeated: 'a' },
    {
      description: 'ignores repeats inside nested objects',
      json: '{"a":{"x":1,"x":2},"b":[{"x":1},{"x":2}]}',
      repeated: undefined,
    },
    {
      description: 'reads a value string that looks like a member as a value',
      json: '{"a":"\\"a\\":","b":"a"}',
      repeated: undefined,
    },
    {
      description: 'skips escaped quotes and backslashes in names',
      json: '{"a\\\\":1,"a\\"":2,"a\\\\":3}',
      repeated: 'a\\',
    },
    { description: 'finds none in an array', json: '["a","a"]', repeated: undefined },
    { description: 'finds none in a string', json: '"a"', repeated: undefined },
    { description: 'finds the empty name twice', json: '{"":1,"":2}', repeated: '' },
  ]

  for (const { description, json, repeated } of table) {
    it(description, () => {
      JSON.parse(json) // the function only ever sees text JSON.parse accepted
      expect(repeatedMemberName(json)).toBe(repeated)
    })
  }
})
