import { describe, expect, it } from 'vitest'

import { InvalidTokenResponseError } from './errors.js'
import { basicAuthorization, parseTokenResponse, redactor } from './token-request.js'

const NOW_MS = 1_700_000_000_000

function jwt(claims: object): string {
  return `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
}

describe('basicAuthorization (RFC 6749 §2.3.1)', () => {
  const cases = [
    { description: 'plain ASCII is sent as is', id: 'app', secret: 's3cret', sent: 'app:s3cret' },
    { description: 'a space becomes +', id: 'my app', secret: 'a b', sent: 'my+app:a+b' },
    {
      description: 'a colon in the id is escaped',
      id: 'urn:app',
      secret: 'x',
      sent: 'urn%3Aapp:x',
    },
    {
      description: 'plus and percent are escaped',
      id: 'a+b',
      secret: '100%',
      sent: 'a%2Bb:100%25',
    },
    {
      description: 'non-ASCII is UTF-8 percent-encoded',
      id: 'é',
      secret: '€',
      sent: '%C3%A9:%E2%82%AC',
    },
  ]
  for (const { description, id, secret, sent } of cases) {
    it(description, () => {
      expect(basicAuthorization(id, secret)).toBe(`Basic ${btoa(sent)}`)
    })
  }
})

describe('parseTokenResponse (RFC 6749 §5.1, as servers really answer)', () => {
  const cases: {
    description: string
    body: Record<string, unknown>
    expected: Partial<ReturnType<typeof parseTokenResponse>>
  }[] = [
    {
      description: 'a textbook response',
      body: { access_token: 'at', token_type: 'Bearer', expires_in: 3600, scope: 'a b' },
      expected: { accessToken: 'at', tokenType: 'Bearer', expiresInSeconds: 3600, scope: 'a b' },
    },
    {
      description: 'token_type in lower or upper case is Bearer',
      body: { access_token: 'at', token_type: 'BEARER', expires_in: 60 },
      expected: { tokenType: 'Bearer' },
    },
    {
      description: 'a missing token_type is taken as Bearer',
      body: { access_token: 'at', expires_in: 60 },
      expected: { tokenType: 'Bearer' },
    },
    {
      description: 'expires_in as a string',
      body: { access_token: 'at', expires_in: '120' },
      expected: { expiresInSeconds: 120 },
    },
    {
      description: 'no expires_in: the JWT exp is used',
      body: { access_token: jwt({ exp: NOW_MS / 1000 + 900 }) },
      expected: { expiresInSeconds: 900 },
    },
    {
      description: 'no expires_in and no JWT: the default lifetime',
      body: { access_token: 'opaque' },
      expected: { expiresInSeconds: 300 },
    },
    {
      description: 'an unusable expires_in falls back like a missing one',
      body: { access_token: 'opaque', expires_in: 'soon' },
      expected: { expiresInSeconds: 300 },
    },
    {
      description: 'scope omitted stays undefined, and extra members are ignored',
      body: { access_token: 'at', expires_in: 60, id_token: 'x', 'x-vendor': { a: 1 } },
      expected: { scope: undefined, refreshToken: undefined },
    },
    {
      description: 'a refresh token is kept',
      body: { access_token: 'at', expires_in: 60, refresh_token: 'rt' },
      expected: { refreshToken: 'rt' },
    },
  ]
  for (const { description, body, expected } of cases) {
    it(description, () => {
      expect(parseTokenResponse(body, NOW_MS, 300)).toMatchObject(expected)
    })
  }

  const refusals: { description: string; body: unknown }[] = [
    { description: 'refuses an array', body: [] },
    { description: 'refuses null', body: null },
    { description: 'refuses a response without access_token', body: { token_type: 'Bearer' } },
    { description: 'refuses an empty access_token', body: { access_token: '' } },
    { description: 'refuses a numeric access_token', body: { access_token: 42 } },
    {
      description: 'refuses a token with a line break, without showing it',
      body: { access_token: 'secret-token\r\nx-evil: 1' },
    },
  ]
  for (const { description, body } of refusals) {
    it(description, () => {
      let caught: unknown
      try {
        parseTokenResponse(body, NOW_MS, 300)
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(InvalidTokenResponseError)
      expect(String(caught)).not.toContain('secret-token')
    })
  }
})

describe('redactor', () => {
  it('removes each secret in its raw and form-encoded shapes', () => {
    const redact = redactor(() => ['p@ss word', undefined, ''])
    expect(redact('got p@ss word, p%40ss+word and p%40ss%20word')).toBe(
      'got [redacted], [redacted] and [redacted]',
    )
  })
})
