// Acme Compliance: a vendor's SaaS app (think Drata) that gives each of its customers API access
// through Tokenmint in platform mode. What each part shows:
//   - provisioning: a customer's Tokenmint tenant is made the first time the customer uses the
//     app, idempotently by the vendor's own customer id (the tenant's external_id);
//   - portal links: Settings → API access embeds the customer's Tokenmint console, signed in as
//     the person using the app, with no Tokenmint password;
//   - one verifier for every tenant: GET /api/customers/{id}/findings accepts the tokens of
//     every customer's applications and checks the token's account_id against the path;
//   - revocation: an application revoked in the portal stops working here within a second.
// Configuration comes from the environment (start.mjs sets it); see README.md.
import http from 'node:http'

import { createVerifier } from '@tokenmint/verify'
import { authenticate } from '@tokenmint/verify/node'

import { rootAdmin } from './tokenmint-admin.mjs'

const env = (name, fallback) => {
  const value = process.env[name] || fallback
  if (value === undefined) {
    console.error(`error: set ${name}`)
    process.exit(1)
  }
  return value
}

const TOKENMINT_URL = env('TOKENMINT_URL').replace(/\/+$/, '')
const AUDIENCE = env('API_AUDIENCE', 'https://api.acme-compliance.example')
const PORT = Number(env('PORT', '3000'))
/** This app's own origin: another site than Tokenmint's, so the portal is a third-party frame. */
const PUBLIC_URL = env('PUBLIC_URL', `http://127.0.0.1:${PORT}`).replace(/\/+$/, '')

const admin = rootAdmin({
  url: TOKENMINT_URL,
  tenant: env('TOKENMINT_ROOT_TENANT'),
  clientId: env('TOKENMINT_ROOT_CLIENT_ID'),
  clientSecret: env('TOKENMINT_ROOT_CLIENT_SECRET'),
})

// The deployment's base URL, not one tenant's issuer: tokens of every tenant are accepted. The
// feed credentials are a root-tenant application with introspection (setup.mjs made it).
const verifier = createVerifier({
  issuer: TOKENMINT_URL,
  audience: AUDIENCE,
  revocationFeed: {
    clientId: env('TOKENMINT_FEED_CLIENT_ID'),
    clientSecret: env('TOKENMINT_FEED_CLIENT_SECRET'),
  },
})

// The vendor's customers, their people and their data, all fake and in memory. The customer id
// is the vendor's own; it becomes the tenant's external_id and the tokens' account_id.
const customers = new Map(
  [
    {
      id: 'cus_globex',
      tenant: 'globex',
      name: 'Globex',
      person: { email: 'hank@globex.example', name: 'Hank Scorpio' },
      findings: [
        {
          id: 'fnd_g1',
          control: 'Access reviews',
          severity: 'high',
          title: 'Quarterly access review overdue for 3 production systems',
        },
        {
          id: 'fnd_g2',
          control: 'Endpoint security',
          severity: 'medium',
          title: '2 laptops without disk encryption',
        },
      ],
    },
    {
      id: 'cus_initech',
      tenant: 'initech',
      name: 'Initech',
      person: { email: 'bill@initech.example', name: 'Bill Lumbergh' },
      findings: [
        {
          id: 'fnd_i1',
          control: 'Security awareness',
          severity: 'low',
          title: '4 employees have not completed annual training',
        },
        {
          id: 'fnd_i2',
          control: 'Change management',
          severity: 'high',
          title: 'TPS report service deployed without an approved change',
        },
        {
          id: 'fnd_i3',
          control: 'Vendor management',
          severity: 'medium',
          title: 'No SOC 2 report on file for the printer maintenance vendor',
        },
      ],
    },
  ].map((customer) => [customer.id, customer]),
)

/**
 * The customer's tenant, made on first use. POST /admin/v1/tenants is idempotent by
 * external_id (201 the first time, 200 after), so a retry, a restart or a second worker is
 * harmless; the promise only saves the round trip. The tenant's own admin credentials and owner
 * password in the 201 are not kept: its people come in through portal links.
 */
const provisioned = new Map()
function provision(customer) {
  let pending = provisioned.get(customer.id)
  if (pending === undefined) {
    pending = admin
      .request('POST', '/admin/v1/tenants', {
        id: customer.tenant,
        external_id: customer.id,
        display_name: customer.name,
        metadata: { plan: 'business' },
      })
      .then(({ status }) => {
        if (status === 201) console.log(`provisioned tenant ${customer.tenant} for ${customer.id}`)
      })
    pending.catch(() => provisioned.delete(customer.id))
    provisioned.set(customer.id, pending)
  }
  return pending
}

/** A single-use link that signs the person in to their tenant's console, as an admin. */
async function portalLink(customer) {
  await provision(customer)
  const { body } = await admin.request(
    'POST',
    `/admin/v1/tenants/${encodeURIComponent(customer.tenant)}/portal-links`,
    {
      email: customer.person.email,
      name: customer.person.name,
      role: 'admin',
      return_url: `${PUBLIC_URL}/settings/api-access`,
    },
  )
  return body.url
}

// FAKE sign-in: a cookie that names the customer, so anybody can be anybody. A real app has its
// own sign-in; all this example needs from it is who the customer and the person are.
const COOKIE = 'acme_customer'
function signedIn(request) {
  const cookies = new URLSearchParams((request.headers.cookie ?? '').replaceAll('; ', '&'))
  return customers.get(cookies.get(COOKIE) ?? '')
}

const escape = (text) =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  )

function page(response, title, customer, body) {
  response.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': `default-src 'self'; frame-src ${TOKENMINT_URL}; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'`,
  })
  const nav =
    customer === undefined
      ? ''
      : `<nav><a href="/findings">Findings</a> <a href="/settings/api-access">Settings → API access</a>
         <span class="who">${escape(customer.person.name)} · ${escape(customer.name)}</span>
         <form method="post" action="/sign-out"><button>Sign out</button></form></nav>`
  response.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)} · Acme Compliance</title>
<link rel="stylesheet" href="/app.css"><link rel="icon" href="/logo.svg"></head>
<body><header><img src="/logo.svg" alt="" width="28" height="28"> <strong>Acme Compliance</strong>${nav}</header>
<main>${body}</main></body></html>`)
}

function signInPage(response) {
  const buttons = [...customers.values()]
    .map(
      (c) =>
        `<button name="customer" value="${escape(c.id)}">${escape(c.name)}</button> <span class="muted">as ${escape(c.person.name)}</span><br>`,
    )
    .join('\n')
  page(
    response,
    'Sign in',
    undefined,
    `<h1>Sign in</h1>
<p class="muted">Fake sign-in for the example: pick a customer.</p>
<form method="post" action="/sign-in">${buttons}</form>`,
  )
}

function findingsPage(response, customer) {
  const rows = customer.findings
    .map(
      (f) =>
        `<tr><td>${escape(f.id)}</td><td>${escape(f.control)}</td><td>${escape(f.severity)}</td><td>${escape(f.title)}</td></tr>`,
    )
    .join('')
  page(
    response,
    'Findings',
    customer,
    `<h1>Findings</h1>
<table><thead><tr><th>ID</th><th>Control</th><th>Severity</th><th>Finding</th></tr></thead><tbody>${rows}</tbody></table>`,
  )
}

async function apiAccessPage(response, customer) {
  const url = await portalLink(customer)
  page(
    response,
    'API access',
    customer,
    `<h1>Settings → API access</h1>
<p>Create applications for your integrations, grant them <code>read:findings</code> on the
Acme Compliance API, then call
<code>GET ${escape(PUBLIC_URL)}/api/customers/${escape(customer.id)}/findings</code> with their tokens.</p>
<iframe id="api-access-portal" title="API access" src="${escape(url)}" allow="clipboard-write"></iframe>`,
  )
}

/** GET /api/customers/{customerId}/findings: read:findings, and only the token's own account. */
async function findingsApi(request, response, customerId) {
  const claims = await authenticate(verifier, request, response, { all: ['read:findings'] })
  if (!claims) return
  response.setHeader('content-type', 'application/json')
  response.setHeader('cache-control', 'no-store')
  // account_id is the tenant's external_id, which Tokenmint puts in the token (the shared API's
  // tenant_claims): the customer the token's application belongs to.
  const customer = customers.get(customerId)
  if (claims.account_id !== customerId || customer === undefined) {
    response.writeHead(403).end(
      JSON.stringify({
        error: 'access_denied',
        error_description: `this token does not belong to customer ${customerId}`,
      }),
    )
    return
  }
  response.end(
    JSON.stringify({ customer: customer.id, items: customer.findings, caller: claims.client_id }),
  )
}

async function readForm(request) {
  let body = ''
  for await (const chunk of request) {
    body += chunk
    if (body.length > 4096) break
  }
  return new URLSearchParams(body)
}

const server = http.createServer(async (request, response) => {
  try {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost')
    const method = request.method ?? 'GET'
    const api = /^\/api\/customers\/([^/]+)\/findings$/.exec(pathname)
    if (api !== null && method === 'GET') return await findingsApi(request, response, api[1])
    if (pathname === '/healthz') return response.end('ok')
    if (pathname === '/app.css')
      return response.writeHead(200, { 'content-type': 'text/css' }).end(CSS)
    if (pathname === '/logo.svg')
      // Also the console's logo (TOKENMINT_CONSOLE_BRANDING), so the portal looks like Acme's.
      return response
        .writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=3600' })
        .end(LOGO)
    if (pathname === '/sign-in' && method === 'POST') {
      const customer = customers.get((await readForm(request)).get('customer') ?? '')
      if (customer === undefined) return response.writeHead(303, { location: '/' }).end()
      await provision(customer)
      return response
        .writeHead(303, {
          'set-cookie': `${COOKIE}=${customer.id}; Path=/; HttpOnly; SameSite=Lax`,
          location: '/findings',
        })
        .end()
    }
    if (pathname === '/sign-out' && method === 'POST')
      return response
        .writeHead(303, { 'set-cookie': `${COOKIE}=; Path=/; Max-Age=0`, location: '/' })
        .end()
    const customer = signedIn(request)
    if (pathname === '/' && method === 'GET')
      return customer === undefined
        ? signInPage(response)
        : response.writeHead(303, { location: '/findings' }).end()
    if (customer === undefined && method === 'GET')
      return response.writeHead(303, { location: '/' }).end()
    if (pathname === '/findings' && method === 'GET') return findingsPage(response, customer)
    if (pathname === '/settings/api-access' && method === 'GET')
      return await apiAccessPage(response, customer)
    response.writeHead(404).end()
  } catch (error) {
    console.error(error)
    if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' })
    response.end('Tokenmint could not be reached or refused the request; see the log.')
  }
})

const CSS = `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2433}
header{display:flex;gap:12px;align-items:center;padding:10px 24px;background:#0f5132;color:#fff}
header a{color:#fff;margin-right:12px}nav{display:flex;gap:8px;align-items:center;margin-left:24px;flex:1}
.who{margin-left:auto;opacity:.85}nav form{margin:0}main{padding:16px 24px}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:6px 10px;text-align:left}
.muted{color:#667}iframe{width:100%;height:900px;border:1px solid #ccd;border-radius:6px}
button{font:inherit;padding:4px 14px;margin:4px 0}`

const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 28 28"><rect width="28" height="28" rx="6" fill="#0f5132"/><path d="M8 20l6-12 6 12M10.5 15h7" stroke="#fff" stroke-width="2.4" fill="none" stroke-linecap="round"/></svg>`

await verifier.ready
server.listen(PORT, '127.0.0.1', () => {
  console.log(`Acme Compliance on ${PUBLIC_URL}`)
})
const stop = () => {
  verifier.close()
  server.close(() => process.exit(0))
  server.closeAllConnections()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
