import fs from 'node:fs'
import path from 'node:path'
import { createPrivateKey } from 'node:crypto'

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

/** Signs arbitrary JWTs with the tenant's real current key, to forge headers and claims. */
export async function signWithTenantKey(
  server: TestServer,
  header: Record<string, unknown>,
  payload: JWTPayload,
): Promise<string> {
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
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  return new SignJWT(payload)
    .setProtectedHeader({ alg: current.algorithm, kid: current.kid, ...header })
    .sign(key)
}
