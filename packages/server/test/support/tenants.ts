import type { TestServer } from './server.js'

/**
 * Creates tenant `id` with the root tenant's admin, and answers the server seen as that tenant:
 * `tenant`, `issuer`, `tokenEndpoint`, `admin`, `adminToken()` and `admin_()` are the new
 * tenant's, so the fixtures (`createApi`, `createApplication`, …) work in it. Stop the server
 * through the original, not this view.
 */
export async function createTenant(server: TestServer, id: string): Promise<TestServer> {
  const created = await server.admin_('POST', '/admin/v1/tenants', { id })
  if (created.status !== 201)
    throw new Error(`createTenant: ${created.status} ${await created.text()}`)
  const body = (await created.json()) as { admin: { client_id: string; client_secret: string } }
  const admin = { clientId: body.admin.client_id, clientSecret: body.admin.client_secret }
  const issuer = `${server.url}/t/${id}`

  async function adminToken(): Promise<string> {
    const response = await fetch(`${issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: admin.clientId,
        client_secret: admin.clientSecret,
        audience: 'urn:tokenmint:admin',
      }),
    })
    if (!response.ok)
      throw new Error(`admin token refused: ${response.status} ${await response.text()}`)
    return ((await response.json()) as { access_token: string }).access_token
  }

  return {
    ...server,
    tenant: id,
    issuer,
    tokenEndpoint: `${issuer}/oauth/token`,
    admin,
    owner: undefined,
    adminToken,
    async admin_(method, path, requestBody) {
      return fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await adminToken()}`,
          ...(requestBody !== undefined && { 'content-type': 'application/json' }),
        },
        ...(requestBody !== undefined && { body: JSON.stringify(requestBody) }),
      })
    },
  }
}

/** An application of the server's tenant allowed to introspect and read the revocation feed. */
export async function createResourceServer(
  server: TestServer,
): Promise<{ clientId: string; clientSecret: string }> {
  const response = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
    name: `resource server ${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
    can_introspect: true,
  })
  if (response.status !== 201)
    throw new Error(`createResourceServer: ${response.status} ${await response.text()}`)
  const body = (await response.json()) as { client_id: string; client_secret: string }
  return { clientId: body.client_id, clientSecret: body.client_secret }
}
