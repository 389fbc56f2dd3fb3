import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { parse } from 'yaml'

import { startServer, type TestServer } from '../../../server/test/support/server.js'

const here = path.dirname(fileURLToPath(import.meta.url))
export const DIST = path.resolve(here, '../../dist')
const CATALOG = path.resolve(here, '../../../../examples/policies-catalog.yaml')

export type Role = 'owner' | 'admin' | 'viewer'

export interface Credentials {
  tenant: string
  username: string
  password: string
}

export interface ConsoleTestServer {
  /** Where the browser goes: `${base}/console/`. */
  base: string
  server: TestServer
  tenant: string
  owner: Credentials
  /** A new administrator of the tenant with this role (through the owner's session). */
  createAdministrator(role: Role): Promise<Credentials>
  /** A second tenant with its own admin credentials, for isolation tests. */
  createTenant(id: string): Promise<{ clientId: string; clientSecret: string }>
  stop(): Promise<void>
}

/** A console session driven over HTTP (no browser): cookie + CSRF token. */
export interface HttpSession {
  cookie: string
  csrf: string
  setCookie: string
  body: { csrf_token: string; administrator: { id: string; role: Role; tenant: string } }
}

export async function signInHttp(base: string, credentials: Credentials): Promise<HttpSession> {
  const response = await fetch(`${base}/console/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  })
  if (response.status !== 200)
    throw new Error(`sign-in refused: ${response.status} ${await response.text()}`)
  const setCookie = response.headers.get('set-cookie') ?? ''
  const body = (await response.json()) as HttpSession['body']
  return { cookie: setCookie.split(';')[0] ?? '', csrf: body.csrf_token, setCookie, body }
}

let counter = 0
export function unique(prefix: string): string {
  counter += 1
  return `${prefix}-${Date.now().toString(36)}-${counter}`
}

function ensureBuilt(): void {
  if (!fs.existsSync(path.join(DIST, 'index.html')))
    throw new Error(
      'packages/console/dist is missing: run `npm run build -w @tokenmint/console` (npm run build does it)',
    )
}

/** A real server on 127.0.0.1 serving the console, with the owner's credentials. */
export async function startConsoleServer(
  options: { env?: Record<string, string> } = {},
): Promise<ConsoleTestServer> {
  ensureBuilt()
  const server = await startServer(options.env === undefined ? {} : { env: options.env })
  const tenant = server.tenant
  if (server.owner === undefined) throw new Error('the test server has no console owner')
  const owner = { tenant, username: server.owner.username, password: server.owner.password }
  return {
    base: server.url,
    server,
    tenant,
    owner,
    async createAdministrator(role) {
      const session = await signInHttp(server.url, owner)
      const username = unique(role)
      const password = `pw-${randomBytes(12).toString('base64url')}`
      const response = await fetch(`${server.url}/admin/v1/tenants/${tenant}/administrators`, {
        method: 'POST',
        headers: {
          cookie: session.cookie,
          'x-csrf-token': session.csrf,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ username, role, password }),
      })
      if (response.status !== 201)
        throw new Error(`createAdministrator: ${response.status} ${await response.text()}`)
      return { tenant, username, password }
    },
    createTenant: (id) => createTenantWith(server, id),
    stop: () => server.stop(),
  }
}

async function createTenantWith(
  server: TestServer,
  id: string,
): Promise<{ clientId: string; clientSecret: string }> {
  const response = await server.admin_('POST', '/admin/v1/tenants', { id })
  if (response.status !== 201)
    throw new Error(`createTenant: ${response.status} ${await response.text()}`)
  const body = (await response.json()) as { admin: { client_id: string; client_secret: string } }
  return { clientId: body.admin.client_id, clientSecret: body.admin.client_secret }
}

/** The example policies catalog (categories, custom scopes, presets) as an API of the tenant. */
export async function createCatalogApi(
  server: TestServer,
  name = 'Compliance API',
): Promise<{ id: string; audience: string }> {
  const audience = `https://${unique('compliance')}.example.com`
  const response = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/apis`, {
    audience,
    name,
    catalog: parse(fs.readFileSync(CATALOG, 'utf8')) as unknown,
  })
  if (response.status !== 201)
    throw new Error(`createCatalogApi: ${response.status} ${await response.text()}`)
  return (await response.json()) as { id: string; audience: string }
}
