// The practical limit of this runtime for a client-credentials token server: node:http, one
// hard-coded client, a constant-time secret check and node:crypto signing. No storage, no audit.
import {
  createHash,
  generateKeyPairSync,
  randomUUID,
  sign,
  timingSafeEqual,
  constants,
} from 'node:crypto'
import http from 'node:http'

const [, , portArg, alg, clientId, clientSecret] = process.argv
const pair =
  alg === 'EdDSA'
    ? generateKeyPairSync('ed25519')
    : alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 })
const key =
  alg === 'ES256'
    ? { key: pair.privateKey, dsaEncoding: 'ieee-p1363' }
    : alg === 'PS256'
      ? { key: pair.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
      : pair.privateKey
const header = Buffer.from(JSON.stringify({ alg, kid: 'ref', typ: 'at+jwt' })).toString('base64url')
const expected = createHash('sha256')
  .update(`Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`)
  .digest()

http
  .createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      const presented = createHash('sha256')
        .update(request.headers.authorization ?? '')
        .digest()
      if (
        !timingSafeEqual(presented, expected) ||
        new URLSearchParams(body).get('grant_type') !== 'client_credentials'
      ) {
        response
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"error":"invalid_client"}')
        return
      }
      const iat = Math.floor(Date.now() / 1000)
      const payload = Buffer.from(
        JSON.stringify({
          iss: 'http://ref',
          sub: clientId,
          aud: 'https://api.bench',
          exp: iat + 3600,
          iat,
          nbf: iat,
          jti: randomUUID(),
          client_id: clientId,
          scope: 'read:x',
        }),
      ).toString('base64url')
      const input = `${header}.${payload}`
      const token = `${input}.${sign(alg === 'EdDSA' ? null : 'sha256', Buffer.from(input), key).toString('base64url')}`
      response
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(
          JSON.stringify({
            access_token: token,
            token_type: 'Bearer',
            expires_in: 3600,
            scope: 'read:x',
          }),
        )
    })
  })
  .listen(Number(portArg), '127.0.0.1')
