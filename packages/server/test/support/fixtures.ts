import type { TestServer } from './server.js'

export interface ApiFixture {
  id: string
  audience: string
  scopes: string[]
}

export interface ApplicationFixture {
  clientId: string
  clientSecret: string
  body: Record<string, unknown>
}

let counter = 0
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++counter}`

export async function createApi(
  server: TestServer,
  input: { audience?: string; name?: string; scopes?: string[] } = {},
): Promise<ApiFixture> {
  const response = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/apis`, {
    audience: input.audience ?? `https://${unique('api')}.example.com`,
    name: input.name ?? 'Policies API',
    scopes: input.scopes ?? [
      'read:assigned-policies',
      'create:assigned-policies',
      'delete:assigned-policies',
    ],
  })
  if (response.status !== 201)
    throw new Error(`createApi: ${response.status} ${await response.text()}`)
  return (await response.json()) as ApiFixture
}

/** An application with real credentials, granted `scopes` on each API given. */
export async function createApplication(
  server: TestServer,
  input: {
    name?: string
    grants?: { audience: string; scopes: string[] }[]
    environment?: string
    expires_at?: string
    token_lifetime_seconds?: number
    grant_types?: string[]
  } = {},
): Promise<ApplicationFixture> {
  const response = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
    name: input.name ?? unique('app'),
    grants: input.grants ?? [],
    ...(input.environment !== undefined && { environment: input.environment }),
    ...(input.expires_at !== undefined && { expires_at: input.expires_at }),
    ...(input.token_lifetime_seconds !== undefined && {
      token_lifetime_seconds: input.token_lifetime_seconds,
    }),
    ...(input.grant_types !== undefined && { grant_types: input.grant_types }),
  })
  if (response.status !== 201)
    throw new Error(`createApplication: ${response.status} ${await response.text()}`)
  const body = (await response.json()) as { client_id: string; client_secret: string }
  return { clientId: body.client_id, clientSecret: body.client_secret, body }
}

export function basic(clientId: string, clientSecret: string, encode = true): string {
  const e = (v: string) => (encode ? encodeURIComponent(v) : v)
  return `Basic ${Buffer.from(`${e(clientId)}:${e(clientSecret)}`).toString('base64')}`
}

export async function postForm(
  url: string,
  parameters: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(parameters).toString(),
  })
  return {
    response,
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  }
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  return {
    response,
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  }
}
