import type { TestServer } from '../../../server/test/support/server.js'

export interface Seeded {
  apiId: string
  audience: string
  clientId: string
  clientSecret: string
  appName: string
}

async function expectStatus(response: Response, status: number, what: string): Promise<unknown> {
  if (response.status !== status)
    throw new Error(`${what}: ${response.status} ${await response.text()}`)
  return response.status === 204 ? undefined : response.json()
}

/**
 * A tenant that looks lived in: a few applications across environments (one revoked), tokens
 * issued and refused (audit and usage), a rotation in overlap, and a password-grant user.
 */
export async function seedTenant(server: TestServer, audience: string): Promise<Seeded> {
  const base = `/admin/v1/tenants/${server.tenant}`
  const apis = (await expectStatus(
    await server.admin_('GET', `${base}/apis`),
    200,
    'list apis',
  )) as {
    items: { id: string; audience: string }[]
  }
  const apiId = apis.items.find((a) => a.audience === audience)?.id ?? ''

  const create = async (body: Record<string, unknown>) =>
    (await expectStatus(
      await server.admin_('POST', `${base}/applications`, body),
      201,
      'create application',
    )) as { client_id: string; client_secret: string; name: string }

  const main = await create({
    name: 'Vulnerability scanner',
    description: 'Nightly scan of devices and personnel records',
    environment: 'prod',
    expires_at: new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10),
    grants: [{ audience, preset: 'scanner' }],
  })
  await create({
    name: 'CI deploy',
    description: 'Deploys policies from the main branch',
    environment: 'stage',
    grants: [{ audience, scopes: ['read:assigned-policies', 'create:assigned-policies'] }],
  })
  await create({
    name: 'Audit export',
    environment: 'dev',
    expires_at: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
    grants: [{ audience, preset: 'read-only' }],
  })
  const old = await create({
    name: 'Legacy sync',
    environment: 'prod',
    grants: [{ audience, preset: 'auditor' }],
  })
  await expectStatus(
    await server.admin_('POST', `${base}/applications/${old.client_id}/revoke`),
    200,
    'revoke',
  )

  const mint = (secret: string) =>
    fetch(server.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: main.client_id,
        client_secret: secret,
      }),
    })
  for (let i = 0; i < 5; i++) await mint(main.client_secret)
  await mint(`${main.client_secret.slice(0, -4)}AAAA`)

  const rotated = (await expectStatus(
    await server.admin_('POST', `${base}/applications/${main.client_id}/rotate-secret`, {
      overlap_seconds: 86_400,
    }),
    200,
    'rotate',
  )) as { client_secret: string }
  await mint(main.client_secret)
  await mint(rotated.client_secret)

  await expectStatus(
    await server.admin_('POST', `${base}/users`, {
      username: 'scanner-bot',
      password: 'correct horse battery staple',
      display_name: 'Scanner bot',
      grants: [{ audience, scopes: ['read:devices'] }],
    }),
    201,
    'create user',
  )

  return {
    apiId,
    audience,
    clientId: main.client_id,
    clientSecret: rotated.client_secret,
    appName: main.name,
  }
}
