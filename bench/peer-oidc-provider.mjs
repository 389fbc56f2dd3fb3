// The peer: npm oidc-provider, configured as closely as it allows to Tokenmint's setup —
// client credentials, client_secret_basic, JWT access tokens for a resource indicator, the
// same signing algorithm.
import { generateKeyPairSync } from 'node:crypto'
import http from 'node:http'

import Provider from 'oidc-provider'

const [, , portArg, alg, clientId, clientSecret] = process.argv
const pair =
  alg === 'EdDSA'
    ? generateKeyPairSync('ed25519')
    : alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 })
const issuer = `http://127.0.0.1:${portArg}`
const provider = new Provider(issuer, {
  jwks: { keys: [{ ...pair.privateKey.export({ format: 'jwk' }), kid: 'peer', alg, use: 'sig' }] },
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: alg,
    },
  ],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'https://api.bench',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'read:x',
        accessTokenFormat: 'jwt',
        accessTokenTTL: 3600,
        jwt: { sign: { alg } },
      }),
    },
  },
})
const handle = provider.callback()
http
  .createServer((request, response) => void handle(request, response))
  .listen(Number(portArg), '127.0.0.1')
