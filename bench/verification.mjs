// Verification throughput, in process: @tokenmint/verify cold (each token once: signature
// checked) and hot (a cached token) beside plain jose.jwtVerify with the same keys.
import { createLocalJWKSet, jwtVerify } from 'jose'

import { createVerifier } from '@tokenmint/verify'

import { median } from './stats.mjs'

async function mint(server, count) {
  const authorization = `Basic ${Buffer.from(`${server.clientId}:${server.clientSecret}`).toString('base64')}`
  const tokens = []
  const once = () =>
    fetch(server.tokenUrl, {
      method: 'POST',
      headers: {
        authorization,
        'content-type': 'application/x-www-form-urlencoded',
        connection: 'close',
      },
      body: 'grant_type=client_credentials',
    })
  for (let i = 0; i < count; i++) {
    // A pooled connection the server has since closed fails once; the retry opens a new one.
    const response = await once().catch(once)
    tokens.push((await response.json()).access_token)
  }
  return tokens
}

export async function measureVerification(server, quick) {
  const tokens = await mint(server, quick ? 500 : 3000)
  const jwksResponse = await fetch(`${server.issuer}/.well-known/jwks.json`)
  const jwksBody = await jwksResponse.json()
  if (!Array.isArray(jwksBody.keys))
    throw new Error(`JWKS: ${jwksResponse.status} ${JSON.stringify(jwksBody)}`)
  const jwks = createLocalJWKSet(jwksBody)
  const options = {
    issuer: server.issuer,
    audience: 'https://api.bench',
    typ: 'at+jwt',
    algorithms: ['ES256'],
  }
  const fresh = async () => {
    const verifier = createVerifier({
      issuer: server.issuer,
      audience: 'https://api.bench',
      cacheSize: tokens.length + 10,
    })
    await verifier.ready
    await verifier.verify(tokens[0]) // load the JWKS once, outside the timing
    return verifier
  }
  const rate = async (verifyOne) => {
    const started = performance.now()
    for (let i = 1; i < tokens.length; i++) await verifyOne(tokens[i])
    return (tokens.length - 1) / ((performance.now() - started) / 1000)
  }
  // Cold: every token once through a fresh verifier (an empty cache), against jose on the same
  // tokens; alternating which goes first, after one unmeasured round of each, medians.
  const joseRates = []
  const coldRates = []
  const rounds = quick ? 3 : 7
  for (let round = -1; round < rounds; round++) {
    const verifier = await fresh()
    const viaVerifier = () => rate((t) => verifier.verify(t))
    const viaJose = () => rate((t) => jwtVerify(t, jwks, options))
    let c, j
    if (round % 2 === 0) {
      c = await viaVerifier()
      j = await viaJose()
    } else {
      j = await viaJose()
      c = await viaVerifier()
    }
    if (round >= 0) {
      coldRates.push(c)
      joseRates.push(j)
    }
    verifier.close()
  }
  const jose = median(joseRates)
  const cold = median(coldRates)

  const verifier = await fresh()
  const hotCount = quick ? 200_000 : 1_000_000
  let started = performance.now()
  for (let i = 0; i < hotCount; i++) await verifier.verify(tokens[0])
  const hot = hotCount / ((performance.now() - started) / 1000)
  started = performance.now()
  for (let i = 0; i < hotCount; i++) verifier.verifyCached(tokens[0])
  const hotSync = hotCount / ((performance.now() - started) / 1000)
  verifier.close()
  return { jose, cold, hot, hotSync }
}
