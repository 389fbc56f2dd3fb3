import fs from 'node:fs'
import path from 'node:path'
import { constants, createPrivateKey, sign } from 'node:crypto'

import { SignJWT, type JWTPayload } from 'jose'

import { KeySealer } from '../../server/src/crypto/key-sealer.js'
import {
  basic,
  createApi,
  createApplication,
  postForm,
} from '../../server/test/support/fixtures.js'
import type { TestServer } from '../../server/test/support/server.js'

export { startServer, type TestServer } from '../../server/test/support/server.js'

export async function setUpTenant(server: TestServer) {
  const api = await createApi(server, {
    scopes: ['read:assigned-policies', 'create:assigned-policies'],
  })
  const app = await createApplication(server, {
    grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
  })
  const response = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
    name: `feed ${Date.now()}`,
    can_introspect: true,
  })
  const feed = (await response.json()) as { client_id: string; client_secret: string }
  const mint = async (who = app) =>
    (
      await postForm(
        server.tokenEndpoint,
        { grant_type: 'client_credentials' },
        { authorization: basic(who.clientId, who.clientSecret) },
      )
    ).body['access_token'] as string
  return { api, app, feed: { clientId: feed.client_id, clientSecret: feed.client_secret }, mint }
}

/** The tenant's real current signing key, unsealed as the server would. */
async function tenantKey(server: TestServer) {
  const keys = await server.services.storage.signingKeys.listForTenant(server.tenant)
  const current = keys.find((k) => k.status === 'current')!
  const masterKey = Buffer.from(
    fs.readFileSync(path.join(server.dataDir, 'master.key'), 'utf8').trim(),
    'base64',
  )
  const der = new KeySealer(masterKey).open(
    current.sealedPrivateKey,
    `${current.tenantId}/${current.kid}`,
  )
  return {
    alg: current.algorithm,
    kid: current.kid,
    key: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
  }
}

/** Signs arbitrary JWTs with the tenant's real current key, to forge headers and claims. */
export async function signWithTenantKey(
  server: TestServer,
  header: Record<string, unknown>,
  payload: JWTPayload,
): Promise<string> {
  const { alg, kid, key } = await tenantKey(server)
  return new SignJWT(payload).setProtectedHeader({ alg, kid, ...header }).sign(key)
}

/**
 * Signs the exact header and payload bytes given, with the tenant's real current key, for what
 * jose refuses to produce: repeated members, `1e400`. `header` receives the key's `alg` and `kid`
 * to spell as it likes. The framing is RFC 7515 §7.1; ECDSA signatures are r‖s (RFC 7518 §3.4).
 */
export async function signRawWithTenantKey(
  server: TestServer,
  header: (key: { alg: string; kid: string }) => string,
  payload: string,
): Promise<string> {
  const { alg, kid, key } = await tenantKey(server)
  const keyInput: Parameters<typeof sign>[2] =
    alg === 'ES256'
      ? { key, dsaEncoding: 'ieee-p1363' }
      : alg === 'PS256'
        ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
        : key
  const signingInput = `${Buffer.from(header({ alg, kid })).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`
  const signature = sign(alg === 'EdDSA' ? null : 'sha256', Buffer.from(signingInput), keyInput)
  return `${signingInput}.${signature.toString('base64url')}`
}
