import { describe, expect, it } from 'vitest'

import { ValidationError } from './errors.js'
import { isValidScopeToken, normaliseScopeList, parseScopeString } from './scopes.js'

describe('scope tokens (RFC 6749 §3.3)', () => {
  const valid = [
    'read:assigned-policies',
    'connectors.self:write-resource',
    'Resource/base_scope',
    '!',
    '~a',
  ]
  const invalid = ['', 'has space', 'quote"d', 'back\\slash', 'tab\t', 'ünicode']
  for (const scope of valid)
    it(`accepts ${JSON.stringify(scope)}`, () => expect(isValidScopeToken(scope)).toBe(true))
  for (const scope of invalid)
    it(`refuses ${JSON.stringify(scope)}`, () => expect(isValidScopeToken(scope)).toBe(false))

  it('splits on spaces, drops repeats and keeps order', () => {
    expect(parseScopeString('b  a b c')).toEqual(['b', 'a', 'c'])
  })

  it('names the bad scope and the field', () => {
    expect(() => normaliseScopeList('scopes', ['ok', 'not ok'])).toThrow(ValidationError)
    expect(() => normaliseScopeList('scopes', ['ok', 'not ok'])).toThrow(/"not ok"/)
  })
})
