import { importJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'

import { createJwsSigner, generateSigningKey, SIGNING_ALGORITHMS } from './jws-signer.js'

describe('node:crypto JWS signer, cross-checked with jose', () => {
  for (const alg of SIGNING_ALGORITHMS) {
    it(`signs ${alg} tokens that jose verifies with the published JWK`, async () => {
      const { publicJwk, privateKeyDer } = generateSigningKey(alg, `kid-${alg}`)
      const signer = createJwsSigner(alg, publicJwk.kid, privateKeyDer)
      const claims = {
        iss: 'https://issuer',
        sub: 'client',
        aud: 'https://api',
        exp: Math.floor(Date.now() / 1000) + 60,
        scope: 'a b',
        note: 'ünïcödé ✓',
      }
      const token = signer.sign(claims)
      const key = await importJWK(publicJwk, alg)
      const { payload, protectedHeader } = await jwtVerify(token, key, {
        algorithms: [alg],
        typ: 'at+jwt',
      })
      expect(protectedHeader).toEqual({ alg, kid: `kid-${alg}`, typ: 'at+jwt' })
      expect(payload).toEqual(claims)
      expect(publicJwk).not.toHaveProperty('d')
    })
  }

  it('produces a signature jose rejects once the payload is tampered with', async () => {
    const { publicJwk, privateKeyDer } = generateSigningKey('ES256', 'k')
    const token = createJwsSigner('ES256', 'k', privateKeyDer).sign({ scope: 'read' })
    const [h, , s] = token.split('.')
    const forged = `${h}.${Buffer.from(JSON.stringify({ scope: 'admin' })).toString('base64url')}.${s}`
    await expect(jwtVerify(forged, await importJWK(publicJwk, 'ES256'))).rejects.toThrow()
  })
})
