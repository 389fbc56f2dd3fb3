// One-time setup of Tokenmint for Acme Compliance, with the root tenant's admin credentials.
// Idempotent: run it as often as you like (start.mjs runs it on every start).
//
//   1. The shared API: Acme Compliance's own API, defined once by the root tenant and offered to
//      every tenant (`shared_with: 'all'`). Its tokens carry the customer's id, the tenant's
//      external_id, as `account_id`, so the API can tell whose data a token may read.
//   2. The verifier's credentials: an application of the ROOT tenant with introspection, the
//      only kind allowed to follow the deployment-wide revocation feed. Its secret is shown
//      once, so it is kept in the state file (mode 600) and reused while the application lives.
//
// Standalone: TOKENMINT_URL=… TOKENMINT_ROOT_TENANT=… TOKENMINT_ROOT_CLIENT_ID=…
// TOKENMINT_ROOT_CLIENT_SECRET=… node examples/saas-platform/setup.mjs [state-file]
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

import { AdminApiError, rootAdmin } from './tokenmint-admin.mjs'

export const API_AUDIENCE = 'https://api.acme-compliance.example'
const API = {
  audience: API_AUDIENCE,
  name: 'Acme Compliance API',
  scopes: ['read:findings', 'write:findings'],
  shared_with: 'all',
  tenant_claims: { account_id: 'external_id' },
}
const FEED_APP_NAME = 'Acme Compliance API (revocation feed)'

function readState(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    return {}
  }
}

async function ensureSharedApi(admin, log) {
  const base = `/admin/v1/tenants/${admin.tenant}/apis`
  const { body } = await admin.request('GET', base)
  const existing = body.items.find((api) => api.audience === API.audience)
  if (existing === undefined) {
    const created = await admin.request('POST', base, API)
    log(`created the shared API ${API.audience} (${API.scopes.join(' ')})`)
    return created.body
  }
  const isCurrent =
    existing.shared_with === API.shared_with &&
    existing.tenant_claims.account_id === API.tenant_claims.account_id &&
    API.scopes.every((scope) => existing.scopes.includes(scope))
  if (isCurrent) return existing
  const updated = await admin.request('PATCH', `${base}/${existing.id}`, {
    scopes: [...new Set([...existing.scopes, ...API.scopes])],
    shared_with: API.shared_with,
    tenant_claims: { ...existing.tenant_claims, ...API.tenant_claims },
  })
  log(`shared the API ${API.audience} with every tenant`)
  return updated.body.api
}

async function ensureFeedApplication(admin, saved, log) {
  const base = `/admin/v1/tenants/${admin.tenant}/applications`
  if (saved?.client_id !== undefined) {
    try {
      const { body } = await admin.request('GET', `${base}/${saved.client_id}`)
      if (body.status === 'active' && body.can_introspect) return saved
    } catch (error) {
      if (!(error instanceof AdminApiError && error.status === 404)) throw error
    }
  }
  const { body } = await admin.request('POST', base, {
    name: FEED_APP_NAME,
    description: "Acme Compliance API's verifier: follows the revocation feed of every tenant",
    can_introspect: true,
    expires_at: 'never',
  })
  log(`created the root application "${FEED_APP_NAME}" (${body.client_id}) for the verifier`)
  return { client_id: body.client_id, client_secret: body.client_secret }
}

/**
 * Ensures the shared API and the verifier's root application; returns what the vendor app
 * needs: `{ audience, feed: { client_id, client_secret } }`. The state file keeps the secret.
 */
export async function setUp({ admin, stateFile, log = () => {} }) {
  const state = readState(stateFile)
  const api = await ensureSharedApi(admin, log)
  const feed = await ensureFeedApplication(admin, state.feed, log)
  if (feed !== state.feed) {
    fs.mkdirSync(path.dirname(stateFile), { recursive: true })
    fs.writeFileSync(stateFile, JSON.stringify({ ...state, feed }, null, 2) + '\n', {
      mode: 0o600,
    })
  }
  return { audience: api.audience, feed }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = (name) => {
    const value = process.env[name]
    if (value === undefined || value === '') {
      console.error(`error: set ${name}`)
      process.exit(1)
    }
    return value
  }
  const stateFile = path.resolve(process.argv[2] ?? 'data/saas-platform/acme-compliance.json')
  const result = await setUp({
    admin: rootAdmin({
      url: env('TOKENMINT_URL').replace(/\/+$/, ''),
      tenant: env('TOKENMINT_ROOT_TENANT'),
      clientId: env('TOKENMINT_ROOT_CLIENT_ID'),
      clientSecret: env('TOKENMINT_ROOT_CLIENT_SECRET'),
    }),
    stateFile,
    log: (line) => console.log(line),
  })
  console.log(`shared API: ${result.audience}`)
  console.log(`verifier credentials (client ${result.feed.client_id}) are in ${stateFile}`)
}
