import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'

import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  startLocalIssuers,
  type LocalIssuer,
  type LocalIssuers,
} from '../../server/test/support/oidc-issuer.js'
import {
  launchBrowser,
  openConsole,
  scopesOf,
  seriousViolations,
  signIn,
  type ConsolePage,
} from './support/browser.js'
import {
  createCatalogApi,
  startConsoleServer,
  unique,
  type ConsoleTestServer,
} from './support/console-server.js'

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const CI_AUDIENCE = 'tokenmint-ci'
const MAIN = 'repo:acme/deploy:ref:refs/heads/main'
const PRODUCTION = 'repo:acme/deploy:environment:production'

/** Runs a command the console showed, in bash, with the platform token in CLIENT_ASSERTION. */
function runWithAssertion(command: string, assertion: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', command],
      {
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', CLIENT_ASSERTION: assertion },
        timeout: 15_000,
      },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${error.message}\n${stderr}`))
        else resolve(JSON.parse(stdout) as Record<string, unknown>)
      },
    )
  })
}

interface AppView {
  token_endpoint_auth_method: string
  secrets?: unknown[]
  keys?: { kid: string; thumbprint: string }[]
  trust_policies?: { subject: string; issuer: string; conditions: Record<string, string> }[]
  dpop_bound_access_tokens?: boolean
}

describe('console: applications without a secret (trusted workloads, public keys)', () => {
  let server: ConsoleTestServer
  let browser: Browser
  let issuers: LocalIssuers
  let github: LocalIssuer
  let audience: string

  beforeAll(async () => {
    issuers = await startLocalIssuers()
    github = await issuers.issuer('github')
    ;[server, browser] = await Promise.all([
      startConsoleServer({
        env: { TOKENMINT_OUTBOUND_CA_FILE: issuers.caFile, TOKENMINT_OUTBOUND_ALLOW: '127.0.0.1' },
      }),
      launchBrowser(),
    ])
    audience = (await createCatalogApi(server.server)).audience
  })
  afterAll(async () => {
    await browser.close()
    await server.stop()
    await issuers.close()
  })

  const newTab = (): Promise<ConsolePage> => openConsole(browser, server.base)

  const appPath = (clientId: string) =>
    `/admin/v1/tenants/${server.tenant}/applications/${clientId}`

  async function shown(clientId: string): Promise<AppView> {
    const response = await server.server.admin_('GET', appPath(clientId))
    expect(response.status).toBe(200)
    return (await response.json()) as AppView
  }

  /** The token request a workload makes, from outside the browser. */
  async function exchange(clientId: string, assertion: string) {
    const response = await fetch(server.server.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: assertion,
        audience,
      }),
    })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  /** Wizard step 2: the catalog API with one hand-picked scope, then create. */
  async function grantAndCreate(page: Page): Promise<void> {
    await page.getByRole('heading', { name: 'Scopes' }).waitFor()
    await page.getByLabel('API', { exact: true }).selectOption(audience)
    await page.getByRole('checkbox', { name: /^Read Assigned Policies/ }).check()
    await page.getByRole('button', { name: 'Create application' }).click()
  }

  it('creates an application trusted by a CI workload, shows no secret, and only that workload gets tokens; then a second policy replaces the first, and a partial wildcard is refused next to its field', async () => {
    const tab = await newTab()
    const { page } = tab
    await signIn(page, server.owner)

    // 1. Details and how it authenticates: a trusted workload.
    await page.getByRole('link', { name: 'Create OAuth Application' }).first().click()
    await page.getByRole('heading', { name: 'Details' }).waitFor()
    const name = unique('Deploy from CI')
    await page.getByLabel('Name', { exact: true }).fill(name)
    await page.getByLabel('Environment').fill('prod')
    expect(await page.getByRole('radio', { name: /^Client secret/ }).isChecked()).toBe(true)
    await page.getByRole('radio', { name: /^Trusted workload/ }).check()
    await page.getByLabel('Issuer URL').fill(github.url)
    await page.getByLabel('Audience', { exact: true }).fill(CI_AUDIENCE)
    await page.getByLabel('Subject pattern').fill(MAIN)
    expect(await page.locator('#trust-subject-hint').textContent()).toMatch(/whole segment/)
    expect(await seriousViolations(page)).toEqual([])
    await page.getByRole('button', { name: 'Next: scopes' }).click()
    await grantAndCreate(page)

    // 3. No secret to reveal: what to do next instead.
    await page.getByRole('heading', { name: `Next steps for ${name}` }).waitFor()
    const clientId = (await page.locator('#created-client-id').textContent()) ?? ''
    expect(clientId).toMatch(/^tmc_/)
    expect(await page.locator('#created-client-secret').count()).toBe(0)
    expect(await page.getByText(/stored this client secret/).count()).toBe(0)
    expect(await page.locator('main').textContent()).not.toMatch(/tms_/)
    expect(await page.locator('#snippet-platform-token').textContent()).toContain(CI_AUDIENCE)
    const snippet = (await page.locator('#snippet-curl').textContent()) ?? ''
    expect(snippet).toContain(clientId)
    expect(snippet).toContain(ASSERTION_TYPE)
    expect(snippet).toContain('$CLIENT_ASSERTION')
    expect(snippet).not.toContain('CLIENT_SECRET')
    expect(await page.getByRole('tab', { name: 'Basic auth' }).count()).toBe(0)
    expect(await seriousViolations(page)).toEqual([])

    const created = await shown(clientId)
    expect(created.token_endpoint_auth_method).toBe('private_key_jwt')
    expect(created.secrets).toEqual([])

    // The workload, from outside the browser: main gets a token, another branch does not.
    const onMain = await github.github({ repository: 'acme/deploy', audience: CI_AUDIENCE })
    const granted = await exchange(clientId, onMain)
    expect(granted.status, JSON.stringify(granted.body)).toBe(200)
    expect(scopesOf(granted.body)).toEqual(['read:assigned-policies'])
    const onDev = await github.github({
      repository: 'acme/deploy',
      ref: 'refs/heads/dev',
      audience: CI_AUDIENCE,
    })
    expect((await exchange(clientId, onDev)).status).toBe(401)
    // The command the console showed works as it is, with the platform token.
    expect(scopesOf(await runWithAssertion(snippet, onMain))).toEqual(['read:assigned-policies'])

    // The application's page: trust policies instead of secrets.
    await page.getByRole('button', { name: 'Go to the application' }).click()
    await page.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor()
    const section = page.locator('#trust-policies')
    await expect.poll(() => section.locator('tbody tr').count()).toBe(1)
    expect(await section.locator('tbody').textContent()).toContain(MAIN)
    expect(await page.locator('#secrets').count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Rotate secret' }).count()).toBe(0)
    expect(await seriousViolations(page)).toEqual([])

    // A partial wildcard: the server's reason next to the subject, and nothing saved.
    await section.getByRole('button', { name: 'Add trust policy' }).click()
    await section.getByLabel('Issuer URL').fill(github.url)
    await section.getByLabel('Audience', { exact: true }).fill(CI_AUDIENCE)
    const subject = section.getByLabel('Subject pattern')
    await subject.fill('repo:acme/deploy*')
    await section.getByRole('button', { name: 'Add trust policy' }).click()
    const subjectError = section.locator('#add-trust-subject-error')
    await subjectError.waitFor()
    expect(await subjectError.textContent()).toMatch(/^"\*" must be a whole segment/)
    expect(await subject.getAttribute('aria-invalid')).toBe('true')
    expect(await subject.getAttribute('aria-describedby')).toContain('add-trust-subject-error')
    expect(await seriousViolations(page)).toEqual([])
    expect((await shown(clientId)).trust_policies?.map((p) => p.subject)).toEqual([MAIN])

    // Fixed: the production environment of the same repository, on main only.
    await subject.fill(PRODUCTION)
    await section.getByRole('button', { name: 'Add a condition' }).click()
    await section.getByLabel('Claim of condition 1').fill('ref')
    await section.getByLabel('Pattern of condition 1').fill('refs/heads/main')
    await section.getByRole('button', { name: 'Add trust policy' }).click()
    await page.getByText('Trust policy added').waitFor()
    await expect.poll(() => section.locator('tbody tr').count()).toBe(2)

    // Remove the first policy: asks, then the table and the API agree.
    await section.getByRole('button', { name: `Remove the policy for ${MAIN}` }).click()
    const confirm = page.getByRole('dialog', { name: 'Remove this trust policy?' })
    expect(await seriousViolations(page)).toEqual([])
    await confirm.getByRole('button', { name: 'Remove policy' }).click()
    await page.getByText(`Trust policy for ${MAIN} removed.`).waitFor()
    await expect.poll(() => section.locator('tbody tr').count()).toBe(1)
    const after = await shown(clientId)
    expect(after.trust_policies).toMatchObject([
      { issuer: github.url, subject: PRODUCTION, conditions: { ref: 'refs/heads/main' } },
    ])
    const fresh = await github.github({ repository: 'acme/deploy', audience: CI_AUDIENCE })
    expect((await exchange(clientId, fresh)).status).toBe(401)
    const production = await github.github({
      repository: 'acme/deploy',
      environment: 'production',
      audience: CI_AUDIENCE,
    })
    expect((await exchange(clientId, production)).status).toBe(200)

    // The last credential stays: the server's reason is shown, nothing is removed.
    await section.getByRole('button', { name: `Remove the policy for ${PRODUCTION}` }).click()
    await confirm.getByRole('button', { name: 'Remove policy' }).click()
    await confirm.getByRole('alert').waitFor()
    expect(await confirm.getByRole('alert').textContent()).toMatch(/only trust policy/)
    await confirm.getByRole('button', { name: 'Cancel' }).click()
    expect((await shown(clientId)).trust_policies).toHaveLength(1)

    expect(tab.problems).toEqual([])
    expect(tab.foreignRequests).toEqual([])
  }, 120_000)

  it('creates an application with a pasted public key (refusing a private one), lists the key, and an assertion signed with it gets a token', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true })
    const publicJwk: JWK = {
      ...(await exportJWK(pair.publicKey)),
      kid: 'ci-2026',
      alg: 'ES256',
      use: 'sig',
    }
    const privateJwk: JWK = { ...(await exportJWK(pair.privateKey)), kid: 'ci-2026' }
    const tab = await newTab()
    const { page } = tab
    await signIn(page, server.owner)
    await page.goto('/console/applications/new')
    const name = unique('Signed sync')
    await page.getByLabel('Name', { exact: true }).fill(name)
    await page.getByRole('radio', { name: /^Public key/ }).check()
    const jwks = page.getByLabel('JWK Set (public keys)')

    // A private key never leaves the browser.
    await jwks.fill(JSON.stringify({ keys: [privateJwk] }))
    await page.getByRole('button', { name: 'Next: scopes' }).click()
    await page.locator('#app-jwks-error').waitFor()
    expect(await page.locator('#app-jwks-error').textContent()).toMatch(/private key/)
    expect(await jwks.getAttribute('aria-invalid')).toBe('true')
    expect(await seriousViolations(page)).toEqual([])

    await jwks.fill(JSON.stringify({ keys: [publicJwk] }, null, 2))
    await page.getByRole('button', { name: 'Next: scopes' }).click()
    await grantAndCreate(page)
    await page.getByRole('heading', { name: `Next steps for ${name}` }).waitFor()
    const clientId = (await page.locator('#created-client-id').textContent()) ?? ''
    expect(await page.locator('#created-client-secret').count()).toBe(0)
    expect(await page.getByText(/Sign assertions with your private key/).count()).toBe(1)
    expect(await page.locator('#snippet-curl').textContent()).toContain('$CLIENT_ASSERTION')
    expect(await seriousViolations(page)).toEqual([])

    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'ci-2026' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(server.server.tokenEndpoint)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(pair.privateKey)
    const granted = await exchange(clientId, assertion)
    expect(granted.status, JSON.stringify(granted.body)).toBe(200)

    // The key on the application's page, its thumbprint shortened.
    await page.getByRole('button', { name: 'Go to the application' }).click()
    await page.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor()
    const row = page.locator('#keys tbody tr')
    await expect.poll(() => row.count()).toBe(1)
    expect(await row.locator('td').first().textContent()).toBe('ci-2026')
    const thumbprint = await calculateJwkThumbprint(publicJwk)
    const shownPrint = row.locator('td[data-label="Thumbprint"] code')
    expect(await shownPrint.getAttribute('title')).toBe(thumbprint)
    expect(((await shownPrint.textContent()) ?? '').length).toBeLessThan(thumbprint.length)
    expect(await page.locator('#secrets').count()).toBe(0)
    expect(await seriousViolations(page)).toEqual([])

    // Rotation: add the next key, remove the first.
    const next = await generateKeyPair('ES256', { extractable: true })
    const nextJwk = { ...(await exportJWK(next.publicKey)), kid: 'ci-2027' }
    await page.getByRole('button', { name: 'Add keys' }).click()
    await page.locator('#add-jwks').fill(JSON.stringify({ keys: [nextJwk] }))
    await page.locator('#keys').getByRole('button', { name: 'Add keys' }).click()
    await page.getByText(/1 key added/).waitFor()
    await expect.poll(() => row.count()).toBe(2)
    await page.getByRole('button', { name: 'Remove key ci-2026' }).click()
    await page
      .getByRole('dialog', { name: 'Remove key ci-2026?' })
      .getByRole('button', { name: 'Remove key' })
      .click()
    await page.getByText('Key ci-2026 removed.').waitFor()
    await expect.poll(() => row.count()).toBe(1)
    expect((await shown(clientId)).keys?.map((k) => k.kid)).toEqual(['ci-2027'])

    // Require DPoP: a token request without a proof is then refused.
    await page.getByRole('button', { name: 'Edit details' }).click()
    await page.getByRole('checkbox', { name: 'Require DPoP proofs' }).check()
    expect(await seriousViolations(page)).toEqual([])
    await page.getByRole('button', { name: 'Save details' }).click()
    await page.getByText('Details saved.').waitFor()
    expect(await page.locator('#details').textContent()).toMatch(/Required: every token is bound/)
    expect((await shown(clientId)).dpop_bound_access_tokens).toBe(true)
    const unbound = await exchange(
      clientId,
      await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'ci-2027' })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(server.server.tokenEndpoint)
        .setJti(randomUUID())
        .setExpirationTime('2m')
        .sign(next.privateKey),
    )
    expect(unbound.status).toBe(400)
    expect(unbound.body['error']).toBe('invalid_dpop_proof')

    expect(tab.problems).toEqual([])
    expect(tab.foreignRequests).toEqual([])
  }, 120_000)

  it('shows a viewer the keys and trust policies, with no way to change them, on a 390 px phone', async () => {
    const response = await server.server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/applications`,
      {
        name: unique('Cluster job'),
        grants: [{ audience, scopes: ['read:assigned-policies'] }],
        trust_policies: [
          {
            issuer: github.url,
            audience: CI_AUDIENCE,
            subject: PRODUCTION,
            conditions: { ref: 'refs/heads/main' },
          },
        ],
      },
    )
    expect(response.status).toBe(201)
    const { client_id: clientId, name } = (await response.json()) as {
      client_id: string
      name: string
    }
    const viewer = await server.createAdministrator('viewer')
    const tab = await openConsole(browser, server.base, { width: 390, height: 900 })
    const { page } = tab
    await signIn(page, viewer)
    await page.goto(`/console/applications/${clientId}`)
    await page.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor()
    const policies = page.locator('#trust-policies tbody')
    await expect.poll(() => policies.textContent()).toContain(PRODUCTION)
    expect(await policies.textContent()).toContain('ref = refs/heads/main')
    expect(await page.locator('#keys').textContent()).toContain('No registered key')
    for (const label of ['Add trust policy', 'Add keys', /^Remove/])
      expect(await page.getByRole('button', { name: label }).count()).toBe(0)
    expect(await seriousViolations(page)).toEqual([])
    // Tables fold into cards: the page itself never scrolls sideways.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    )
    expect(overflow).toBeLessThanOrEqual(0)
    expect(tab.problems).toEqual([])
  }, 60_000)
})
