import { describe, expect, it } from 'vitest'

import { metadataUrls } from './discovery.js'

describe('metadataUrls (RFC 8414 §3.1, then the appended and OpenID locations)', () => {
  const cases = [
    {
      description: 'an issuer without a path has one OAuth and one OpenID location',
      issuer: 'https://auth.example.com',
      expected: [
        'https://auth.example.com/.well-known/oauth-authorization-server',
        'https://auth.example.com/.well-known/openid-configuration',
      ],
    },
    {
      description: 'an issuer with a path puts the well-known segment first, then appends it',
      issuer: 'http://host:8080/t/acme',
      expected: [
        'http://host:8080/.well-known/oauth-authorization-server/t/acme',
        'http://host:8080/t/acme/.well-known/oauth-authorization-server',
        'http://host:8080/t/acme/.well-known/openid-configuration',
      ],
    },
    {
      description: 'a trailing slash is ignored',
      issuer: 'https://auth.example.com/t/acme/',
      expected: [
        'https://auth.example.com/.well-known/oauth-authorization-server/t/acme',
        'https://auth.example.com/t/acme/.well-known/oauth-authorization-server',
        'https://auth.example.com/t/acme/.well-known/openid-configuration',
      ],
    },
  ]
  for (const { description, issuer, expected } of cases) {
    it(description, () => {
      expect(metadataUrls(issuer)).toEqual(expected)
    })
  }
})
