import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'

import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createApi, postForm, type ApiFixture } from '../support/fixtures.js'
import { startLocalIssuers, type LocalIssuer, type LocalIssuers } from '../support/oidc-issuer.js'
import { startServer, temporaryDir, type TestServer } from '../support/server.js'

const run = promisify(execFile)
const BIN = path.resolve(import.meta.dirname, '../../bin/tokenmint.js')

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const AUDIENCE = 'tokenmint-federation-test'

/**
 * Workload identity federation end to end: local OIDC issuers (HTTPS, discovery, JWKS) mint
 * GitHub-shaped and Kubernetes-shaped tokens; the workload sends one as its client assertion
 * with client_id and gets an access token, with no secret anywhere.
 */
describe('workload identity federation', () => {
  let server: TestServer
  let api: ApiFixture
  let issuers: LocalIssuers
  let github: LocalIssuer
  let cluster: LocalIssuer
  let rogue: LocalIssuer
  let clientId: string
  let appPath: string

  beforeAll(async () => {
    issuers = await startLocalIssuers()
    github = await issuers.issuer('github')
    cluster = await issuers.issuer('cluster')
    rogue = await issuers.issuer('rogue')
    server = await startServer({
      env: { TOKENMINT_OUTBOUND_CA_FILE: issuers.caFile, TOKENMINT_OUTBOUND_ALLOW: '127.0.0.1' },
    })
    api = await createApi(server)
    const created = await create([
      { issuer: github.url, audience: AUDIENCE, subject: 'repo:acme/deploy:ref:refs/heads/main' },
    ])
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    clientId = created.body['client_id'] as string
    appPath = `/admin/v1/tenants/${server.tenant}/applications/${clientId}`
  })
  afterAll(async () => {
    await server.stop()
    await issuers.close()
  })

  async function create(trustPolicies: unknown) {
    const response = await server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/applications`,
      {
        name: `ci-${randomUUID().slice(0, 8)}`,
        grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
        trust_policies: trustPolicies,
      },
    )
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  const exchange = (assertion: string, id = clientId) =>
    postForm(server.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_id: id,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
    })

  it('creates an application with a trust policy and no secret, and shows the policy', async () => {
    const shown = (await (await server.admin_('GET', appPath)).json()) as Record<string, unknown>
    expect(shown).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      secrets: [],
      keys: [],
      trust_policies: [
        {
          issuer: github.url,
          audience: AUDIENCE,
          subject: 'repo:acme/deploy:ref:refs/heads/main',
          conditions: {},
          last_used_at: null,
        },
      ],
    })
    expect(shown).not.toHaveProperty('client_secret')
  })

  it('shows ready-to-run snippets that send the platform token as the client assertion', async () => {
    const created = await create([
      { issuer: github.url, audience: AUDIENCE, subject: 'repo:acme/snippets:ref:refs/heads/main' },
    ])
    const snippets = created.body['snippets'] as Record<string, string>
    expect(snippets['curl_form']).toContain('"client_assertion=$CLIENT_ASSERTION"')
    expect(snippets['typescript']).toContain('clientAssertion: tokenFile(')
    expect(JSON.stringify(snippets)).not.toContain('CLIENT_SECRET')
    for (const name of ['curl', 'curl_form']) {
      const { stdout } = await run('sh', ['-c', snippets[name] ?? ''], {
        env: {
          PATH: process.env['PATH'],
          CLIENT_ASSERTION: await github.github({
            repository: 'acme/snippets',
            audience: AUDIENCE,
          }),
        },
      })
      expect(JSON.parse(stdout), name).toHaveProperty('access_token')
    }
  })

  it('gives the allowed repository and branch a token, again until the platform token expires', async () => {
    const platformToken = await github.github({ repository: 'acme/deploy', audience: AUDIENCE })
    const first = await exchange(platformToken)
    expect(first.status, JSON.stringify(first.body)).toBe(200)
    expect(first.body['token_type']).toBe('Bearer')
    const claims = decodeJwt(first.body['access_token'] as string)
    expect(claims).toMatchObject({ client_id: clientId, sub: clientId, aud: api.audience })
    // Unlike a private_key_jwt assertion, the platform's token is reusable until its exp.
    const again = await exchange(platformToken)
    expect(again.status, JSON.stringify(again.body)).toBe(200)

    // The audit trail names the workload that got it; the policy shows its last use.
    const audit = (await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/audit?client_id=${clientId}&type=token.issued`,
      )
    ).json()) as { items: { data: Record<string, unknown> }[] }
    expect(audit.items[0]?.data).toMatchObject({
      auth_method: 'private_key_jwt',
      workload_issuer: github.url,
      workload_subject: 'repo:acme/deploy:ref:refs/heads/main',
    })
    expect(JSON.stringify(audit.items)).not.toContain(platformToken)
  })

  it('refuses another branch, another repository, an expired token, another audience and an untrusted issuer, each precisely', async () => {
    const now = Math.floor(Date.now() / 1000)
    const cases: [string, Promise<string>, RegExp][] = [
      [
        'another branch',
        github.github({ repository: 'acme/deploy', ref: 'refs/heads/dev', audience: AUDIENCE }),
        /sub 'repo:acme\/deploy:ref:refs\/heads\/dev' does not match the trust policy/,
      ],
      [
        'another repository',
        github.github({ repository: 'evil/deploy', audience: AUDIENCE }),
        /sub 'repo:evil\/deploy:ref:refs\/heads\/main' does not match/,
      ],
      [
        'a lookalike repository',
        github.github({ repository: 'acme/deploy-fork', audience: AUDIENCE }),
        /does not match the trust policy/,
      ],
      [
        'an expired token',
        github.github({ repository: 'acme/deploy', audience: AUDIENCE, exp: now - 120 }),
        /platform token has expired/,
      ],
      [
        'another audience',
        github.github({ repository: 'acme/deploy', audience: 'https://other.example' }),
        /aud 'https:\/\/other.example' does not include the audience/,
      ],
      [
        'a token valid for too long',
        github.github({ repository: 'acme/deploy', audience: AUDIENCE, exp: now + 7200 }),
        /at most 3600 left/,
      ],
      [
        'an untrusted issuer',
        rogue.github({ repository: 'acme/deploy', audience: AUDIENCE }),
        /has no trust policy for issuer 'https:\/\/127\.0\.0\.1:\d+\/rogue'/,
      ],
    ]
    for (const [name, minting, description] of cases) {
      const token = await minting
      const refused = await exchange(token)
      expect(refused.status, name).toBe(401)
      expect(refused.body['error'], name).toBe('invalid_client')
      expect(refused.body['error_description'], name).toMatch(description)
      // Claims may be quoted; the foreign token never is.
      expect(JSON.stringify(refused.body), name).not.toContain(token.split('.')[2])
    }
  })

  it("refuses a forged token: the issuer's kid, another key", async () => {
    const forger = await generateKeyPair('RS256')
    const kid = decodeProtectedKid(
      await github.github({ repository: 'acme/deploy', audience: AUDIENCE }),
    )
    const forged = await github.mint(
      { sub: 'repo:acme/deploy:ref:refs/heads/main', aud: AUDIENCE },
      { kid, key: forger.privateKey },
    )
    const refused = await exchange(forged)
    expect(refused.status).toBe(401)
    // Until the issuer's key verifies a token, the answer is the one an unknown client gets:
    // nobody learns which client ids trust which issuer.
    expect(refused.body['error_description']).toMatch(/unknown client, or it has no trust policy/)
    // An HMAC "signed" with the issuer's public key, and alg none, never get that far.
    const publicJwk = await exportJWK(forger.publicKey)
    const hmac = await new SignJWT({
      iss: github.url,
      sub: 'repo:acme/deploy:ref:refs/heads/main',
      aud: AUDIENCE,
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)))
    expect((await exchange(hmac)).body['error_description']).toMatch(/must be signed with one of/)
  })

  it('a private_key_jwt assertion replayed is refused, unlike a platform token', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const created = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
      name: 'keyed',
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] },
    })
    const keyed = ((await created.json()) as { client_id: string }).client_id
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(keyed)
      .setSubject(keyed)
      .setAudience(server.issuer)
      .setExpirationTime('1m')
      .sign(privateKey)
    expect((await exchange(assertion, keyed)).status).toBe(200)
    const replayed = await exchange(assertion, keyed)
    expect(replayed.status).toBe(401)
    expect(replayed.body['error_description']).toMatch(/used before \(same jti\)/)
  })

  it('matches Kubernetes service accounts by sub and nested claims, and one-segment wildcards', async () => {
    const created = await create([
      {
        issuer: cluster.url,
        audience: AUDIENCE,
        subject: 'system:serviceaccount:*:deployer',
        conditions: { 'kubernetes.io/namespace': 'ci' },
      },
    ])
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const id = created.body['client_id'] as string
    const ok = await exchange(
      await cluster.kubernetes({ namespace: 'ci', serviceAccount: 'deployer', audience: AUDIENCE }),
      id,
    )
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    const otherNamespace = await exchange(
      await cluster.kubernetes({
        namespace: 'dev',
        serviceAccount: 'deployer',
        audience: AUDIENCE,
      }),
      id,
    )
    expect(otherNamespace.status).toBe(401)
    expect(otherNamespace.body['error_description']).toMatch(
      /'kubernetes.io\/namespace' claim 'dev' does not match/,
    )
    const otherAccount = await exchange(
      await cluster.kubernetes({ namespace: 'ci', serviceAccount: 'admin', audience: AUDIENCE }),
      id,
    )
    expect(otherAccount.body['error_description']).toMatch(/sub 'system:serviceaccount:ci:admin'/)
    // The GitHub-trusting application does not take the cluster's tokens.
    const crossed = await exchange(
      await cluster.kubernetes({ namespace: 'ci', serviceAccount: 'deployer', audience: AUDIENCE }),
    )
    expect(crossed.body['error_description']).toMatch(/has no trust policy for issuer/)
  })

  it('gets a token through oauth4webapi, the platform token as its client assertion', async () => {
    const issuer = new URL(server.issuer)
    const options = { [oauth.allowInsecureRequests]: true }
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...options }),
    )
    expect(as.token_endpoint_auth_methods_supported).toContain('private_key_jwt')
    const platformToken = await github.github({ repository: 'acme/deploy', audience: AUDIENCE })
    const granted = await oauth.processClientCredentialsResponse(
      as,
      { client_id: clientId },
      await oauth.clientCredentialsGrantRequest(
        as,
        { client_id: clientId },
        oauth.None(),
        {
          resource: api.audience,
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: platformToken,
        },
        options,
      ),
    )
    expect(decodeJwt(granted.access_token).aud).toBe(api.audience)
  })

  it('refuses policies that would admit too much or cannot work, and saves nothing', async () => {
    const cases: [unknown, RegExp][] = [
      [{ issuer: github.url, audience: AUDIENCE, subject: 'repo:acme/deploy*' }, /whole segment/],
      [{ issuer: github.url, audience: AUDIENCE, subject: '*' }, /wildcards only/],
      [{ issuer: 'http://127.0.0.1/x', audience: AUDIENCE, subject: 'a:b' }, /https URL/],
      [
        { issuer: `${github.url}/nowhere`, audience: AUDIENCE, subject: 'a:b' },
        /could not be fetched/,
      ],
      [
        { issuer: github.url, audience: AUDIENCE, subject: 'a:b', conditions: { aud: 'x' } },
        /audience, not a condition/,
      ],
      [
        {
          issuer: 'https://token.actions.githubusercontent.com',
          audience: AUDIENCE,
          subject: 'repo:*:ref:refs/heads/main',
        },
        /must name the repository owner exactly/,
      ],
    ]
    const before = (await (
      await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/applications?limit=100`)
    ).json()) as { items: unknown[] }
    for (const [policy, message] of cases) {
      const refused = await create([policy])
      expect(refused.status, JSON.stringify(policy)).toBe(400)
      expect(JSON.stringify(refused.body), JSON.stringify(policy)).toMatch(message)
    }
    const after = (await (
      await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/applications?limit=100`)
    ).json()) as { items: unknown[] }
    expect(after.items).toHaveLength(before.items.length)
  })

  it('adds and removes policies with overlap; the last credential stays; removal ends access', async () => {
    const created = await create([
      { issuer: github.url, audience: AUDIENCE, subject: 'repo:acme/web:ref:refs/heads/main' },
    ])
    const id = created.body['client_id'] as string
    const path = `/admin/v1/tenants/${server.tenant}/applications/${id}`
    const firstId = (created.body['trust_policies'] as { id: string }[])[0]?.id ?? ''
    const onlyOne = await server.admin_('DELETE', `${path}/trust-policies/${firstId}`)
    expect(onlyOne.status).toBe(409)
    const added = await server.admin_('POST', `${path}/trust-policies`, {
      issuer: github.url,
      audience: AUDIENCE,
      subject: 'repo:acme/web:environment:production',
    })
    expect(added.status, await added.clone().text()).toBe(201)
    const duplicate = await server.admin_('POST', `${path}/trust-policies`, {
      issuer: github.url,
      audience: AUDIENCE,
      subject: 'repo:acme/web:environment:production',
    })
    expect(duplicate.status).toBe(409)
    const main = await github.github({ repository: 'acme/web', audience: AUDIENCE })
    expect((await exchange(main, id)).status).toBe(200)
    expect((await server.admin_('DELETE', `${path}/trust-policies/${firstId}`)).status).toBe(200)
    const ended = await exchange(main, id)
    expect(ended.status).toBe(401)
    const production = await github.github({
      repository: 'acme/web',
      environment: 'production',
      audience: AUDIENCE,
    })
    expect((await exchange(production, id)).status).toBe(200)
    const audit = (await (
      await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/audit?client_id=${id}`)
    ).json()) as { items: { type: string }[] }
    expect(audit.items.map((e) => e.type)).toEqual(
      expect.arrayContaining(['application.trust_added', 'application.trust_removed']),
    )
    // A secret application takes no trust policy.
    const secretApp = (await (
      await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, { name: 's' })
    ).json()) as { client_id: string }
    const onSecretApp = await server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/applications/${secretApp.client_id}/trust-policies`,
      { issuer: github.url, audience: AUDIENCE, subject: 'repo:acme/web:ref:refs/heads/main' },
    )
    expect(onSecretApp.status).toBe(409)
  })

  it('the CLI creates a federated application and adds and removes its trust policies', async () => {
    const env = {
      PATH: process.env['PATH'],
      TOKENMINT_URL: server.url,
      TOKENMINT_TENANT: server.tenant,
      TOKENMINT_CLIENT_ID: server.admin.clientId,
      TOKENMINT_CLIENT_SECRET: server.admin.clientSecret,
      TOKENMINT_PROFILE: path.join(temporaryDir(), 'none.json'),
    }
    const cli = async (...args: string[]) =>
      (await run(process.execPath, [BIN, ...args], { env })).stdout
    const created = JSON.parse(
      await cli(
        'apps',
        'create',
        '--name',
        'cli-federated',
        '--audience',
        api.audience,
        '--scope',
        'read:assigned-policies',
        '--trust-issuer',
        cluster.url,
        '--trust-audience',
        AUDIENCE,
        '--trust-subject',
        'system:serviceaccount:ci:deployer',
        '--trust-match',
        'kubernetes.io/namespace=ci',
        '--json',
      ),
    ) as { client_id: string; client_secret?: string; trust_policies: { id: string }[] }
    expect(created.client_secret).toBeUndefined()
    const shown = await cli('apps', 'show', created.client_id)
    expect(shown).toMatch(/platform token .* matching a trust policy/)
    expect(shown).toContain('sub system:serviceaccount:ci:deployer, kubernetes.io/namespace=ci')
    const token = () =>
      cluster.kubernetes({ namespace: 'ci', serviceAccount: 'deployer', audience: AUDIENCE })
    expect((await exchange(await token(), created.client_id)).status).toBe(200)
    // `tokenmint token` in the pod: the projected token file instead of a secret.
    const file = path.join(temporaryDir(), 'token')
    fs.writeFileSync(file, await token())
    const minted = await cli(
      'token',
      '--token-url',
      server.tokenEndpoint,
      '--client-id',
      created.client_id,
      '--audience',
      api.audience,
      '--platform-token-file',
      file,
    )
    expect(decodeJwt(minted.trim()).client_id).toBe(created.client_id)
    await expect(
      cli(
        'token',
        '--token-url',
        server.tokenEndpoint,
        '--client-id',
        created.client_id,
        '--platform-token-file',
        `${file}.absent`,
      ),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/cannot read the platform token/) as unknown,
    })
    const added = await cli(
      'apps',
      'trust',
      'add',
      created.client_id,
      '--issuer',
      cluster.url,
      '--audience',
      AUDIENCE,
      '--subject',
      'system:serviceaccount:ci:releaser',
    )
    expect(added).toMatch(/Added a trust policy/)
    const first = created.trust_policies[0]?.id ?? ''
    expect(await cli('apps', 'trust', 'remove', created.client_id, first)).toMatch(
      /Removed trust policy/,
    )
    expect((await exchange(await token(), created.client_id)).status).toBe(401)
    // A flag missing is named before anything is sent.
    await expect(
      cli('apps', 'create', '--name', 'half', '--trust-issuer', cluster.url),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/needs --trust-audience, --trust-subject/) as unknown,
    })
  })

  it('refuses hostile platform tokens with a 401, never a 500: deep nesting, control characters, a future iat', async () => {
    // Nested deeper than JSON.stringify can recurse, yet under the 16 KiB body limit.
    const now = Math.floor(Date.now() / 1000)
    const depth = 4900
    const nested = await github.mintRaw(
      `{"iss":"${github.url}","sub":"repo:acme/deploy:ref:refs/heads/main","iat":${now},"exp":${now + 300},"aud":${'['.repeat(depth)}"x"${']'.repeat(depth)}}`,
    )
    const refusedDeep = await exchange(nested)
    expect(refusedDeep.status).toBe(401)
    expect(refusedDeep.body['error_description']).toMatch(/aud .* does not include/)
    const control = await github.mint({
      sub: 'repo:acme/deploy:ref:refs/heads/main\r\nx',
      aud: AUDIENCE,
    })
    expect((await exchange(control)).status).toBe(401)
    const future = await github.mint({
      sub: 'repo:acme/deploy:ref:refs/heads/main',
      aud: AUDIENCE,
      iat: now + 3000,
      exp: now + 3500,
    })
    const refusedFuture = await exchange(future)
    expect(refusedFuture.status).toBe(401)
    expect(refusedFuture.body['error_description']).toMatch(/not valid yet/)
  })

  it('says nothing more about a known client than an unknown one until a key verifies (a crit header)', async () => {
    const { publicKey } = await generateKeyPair('ES256')
    const created = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
      name: 'crit-probe',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] },
    })
    const known = ((await created.json()) as { client_id: string }).client_id
    const unsigned = (id: string) =>
      [
        Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k1', crit: ['zz'], zz: 1 })).toString(
          'base64url',
        ),
        Buffer.from(
          JSON.stringify({ iss: id, sub: id, aud: server.issuer, exp: 9e9, jti: 'j' }),
        ).toString('base64url'),
        'AAAA',
      ].join('.')
    const forKnown = await exchange(unsigned(known), known)
    const forUnknown = await exchange(
      unsigned('tmc_AAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
      'tmc_AAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    )
    expect(forKnown.status).toBe(401)
    expect(forKnown.body['error_description']).toBe(forUnknown.body['error_description'])
  })

  it('exports secretless applications with their keys and trust policies, and a file applies them elsewhere and changes them', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true })
    const keyed = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/applications`, {
      name: 'cac-keyed',
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'cac-1' }] },
    })
    expect(keyed.status).toBe(201)
    const federated = await create([
      {
        issuer: cluster.url,
        audience: AUDIENCE,
        subject: 'system:serviceaccount:cac:deployer',
        conditions: { 'kubernetes.io/namespace': 'cac' },
      },
    ])
    const federatedName = federated.body['name'] as string
    const file = (await (
      await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/config`)
    ).json()) as { applications: Record<string, unknown>[] }
    const mine = file.applications.filter(
      (a) => a['name'] === 'cac-keyed' || a['name'] === federatedName,
    )
    expect(mine.find((a) => a['name'] === 'cac-keyed')?.['jwks']).toEqual({
      keys: [expect.objectContaining({ kid: 'cac-1', kty: 'EC' }) as unknown],
    })
    expect(mine.find((a) => a['name'] === federatedName)?.['trust_policies']).toEqual([
      {
        issuer: cluster.url,
        audience: AUDIENCE,
        subject: 'system:serviceaccount:cac:deployer',
        conditions: { 'kubernetes.io/namespace': 'cac' },
      },
    ])
    expect(JSON.stringify(file)).not.toMatch(/client_secret|"d":/)

    // Applied to another tenant: the applications come back secretless and work there.
    const other = await startServer({
      env: { TOKENMINT_OUTBOUND_CA_FILE: issuers.caFile, TOKENMINT_OUTBOUND_ALLOW: '127.0.0.1' },
    })
    try {
      await createApi(other, { audience: api.audience })
      const config = { version: 1, applications: mine }
      const applied = await other.admin_('POST', `/admin/v1/tenants/${other.tenant}/config:apply`, {
        config,
      })
      const body = (await applied.json()) as {
        created: { client_id: string; client_secret?: string }[]
      }
      expect(applied.status, JSON.stringify(body)).toBe(200)
      expect(body.created).toHaveLength(2)
      expect(body.created.every((c) => c.client_secret === undefined)).toBe(true)
      // Planning the same file again changes nothing.
      const again = (await (
        await other.admin_('POST', `/admin/v1/tenants/${other.tenant}/config:plan`, { config })
      ).json()) as { changes: unknown[] }
      expect(again.changes).toEqual([])
      // The file moves the trust policy to another service account: added, then the old removed.
      const moved = mine.map((a) =>
        a['name'] === federatedName
          ? {
              ...a,
              trust_policies: [
                {
                  issuer: cluster.url,
                  audience: AUDIENCE,
                  subject: 'system:serviceaccount:cac:releaser',
                },
              ],
            }
          : a,
      )
      const plan = (await (
        await other.admin_('POST', `/admin/v1/tenants/${other.tenant}/config:plan`, {
          config: { version: 1, applications: moved },
        })
      ).json()) as { changes: { fields: { field: string }[] }[] }
      expect(plan.changes.flatMap((c) => c.fields.map((f) => f.field))).toEqual(['trust_policies'])
      const reapplied = await other.admin_(
        'POST',
        `/admin/v1/tenants/${other.tenant}/config:apply`,
        {
          config: { version: 1, applications: moved },
        },
      )
      expect(reapplied.status, await reapplied.clone().text()).toBe(200)
      const list = (await (
        await other.admin_('GET', `/admin/v1/tenants/${other.tenant}/applications?limit=50`)
      ).json()) as { items: { client_id: string; name: string }[] }
      const federatedThere = list.items.find((a) => a.name === federatedName)?.client_id ?? ''
      const shown = (await (
        await other.admin_(
          'GET',
          `/admin/v1/tenants/${other.tenant}/applications/${federatedThere}`,
        )
      ).json()) as { trust_policies: { subject: string }[] }
      expect(shown.trust_policies.map((p) => p.subject)).toEqual([
        'system:serviceaccount:cac:releaser',
      ])
      // A file cannot give a secret application trust policies.
      const secretApp = (await (
        await other.admin_('POST', `/admin/v1/tenants/${other.tenant}/applications`, {
          name: 'plain',
        })
      ).json()) as { name: string }
      const refused = await other.admin_('POST', `/admin/v1/tenants/${other.tenant}/config:plan`, {
        config: {
          version: 1,
          applications: [
            {
              name: secretApp.name,
              trust_policies: [{ issuer: cluster.url, audience: AUDIENCE, subject: 'a:b' }],
            },
          ],
        },
      })
      expect(refused.status).toBe(400)
      expect(await refused.text()).toMatch(/authenticates with client secrets/)
    } finally {
      await other.stop()
    }
  })

  it("fetches each issuer's discovery and keys once, not per token", async () => {
    const before = issuers.fetches.get('github') ?? 0
    for (let i = 0; i < 5; i++) {
      const token = await github.github({ repository: 'acme/deploy', audience: AUDIENCE })
      expect((await exchange(token)).status).toBe(200)
    }
    expect(issuers.fetches.get('github') ?? 0).toBe(before)
  })
})

function decodeProtectedKid(token: string): string {
  const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as {
    kid: string
  }
  return header.kid
}
