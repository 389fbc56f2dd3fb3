import { describe, expect, it } from 'vitest'

import { OAuthError } from './errors.js'
import { parseTokenRequest } from './token-request.js'

const basic = (value: string) => `Basic ${Buffer.from(value).toString('base64')}`

describe('parseTokenRequest: client credentials by method', () => {
  const table: {
    description: string
    parameters: Record<string, string>
    authorization?: string
    expect:
      { clientId: string; clientSecret: string; method: string } | { error: string; status: number }
  }[] = [
    {
      description: 'reads client_secret_post from the body',
      parameters: { grant_type: 'client_credentials', client_id: 'id', client_secret: 's' },
      expect: { clientId: 'id', clientSecret: 's', method: 'client_secret_post' },
    },
    {
      description: 'form-decodes Basic credentials (RFC 6749 §2.3.1)',
      parameters: { grant_type: 'client_credentials' },
      authorization: basic('my%20id:p%3Ass+word'),
      expect: { clientId: 'my id', clientSecret: 'p:ss word', method: 'client_secret_basic' },
    },
    {
      description: 'keeps colons in the secret after the first',
      parameters: { grant_type: 'client_credentials' },
      authorization: basic('id:a:b'),
      expect: { clientId: 'id', clientSecret: 'a:b', method: 'client_secret_basic' },
    },
    {
      description: 'accepts a lower-case scheme',
      parameters: { grant_type: 'client_credentials' },
      authorization: 'basic ' + Buffer.from('id:s').toString('base64'),
      expect: { clientId: 'id', clientSecret: 's', method: 'client_secret_basic' },
    },
    {
      description: 'accepts a matching client_id in the body beside Basic',
      parameters: { grant_type: 'client_credentials', client_id: 'id' },
      authorization: basic('id:s'),
      expect: { clientId: 'id', clientSecret: 's', method: 'client_secret_basic' },
    },
    {
      description: 'refuses two authentication methods',
      parameters: { grant_type: 'client_credentials', client_secret: 's' },
      authorization: basic('id:s'),
      expect: { error: 'invalid_request', status: 400 },
    },
    {
      description: 'refuses a client_id without a secret as a client authentication failure',
      parameters: { grant_type: 'client_credentials', client_id: 'id' },
      expect: { error: 'invalid_client', status: 401 },
    },
    {
      description: 'refuses broken percent-encoding in Basic',
      parameters: { grant_type: 'client_credentials' },
      authorization: basic('%zz:s'),
      expect: { error: 'invalid_client', status: 401 },
    },
    {
      description: 'refuses a missing grant_type first',
      parameters: {},
      expect: { error: 'invalid_request', status: 400 },
    },
  ]

  for (const c of table) {
    it(c.description, () => {
      if ('error' in c.expect) {
        let caught: unknown
        try {
          parseTokenRequest(c.parameters, c.authorization)
        } catch (error) {
          caught = error
        }
        expect(caught).toBeInstanceOf(OAuthError)
        expect((caught as OAuthError).code).toBe(c.expect.error)
        expect((caught as OAuthError).status).toBe(c.expect.status)
      } else {
        expect(parseTokenRequest(c.parameters, c.authorization).credentials).toEqual(c.expect)
      }
    })
  }
})
