import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'

import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'

import { ConsoleClient } from '../support/console-client.js'
import { freshPostgresSchema } from '../support/databases.js'
import { basic, postForm } from '../support/fixtures.js'
import { startServer, temporaryDir, type TestServer } from '../support/server.js'

const run = promisify(execFile)
const BIN = path.resolve(import.meta.dirname, '../../bin/tokenmint.js')
const ADMIN = 'urn:tokenmint:admin'

interface Credentials {
  clientId: string
  clientSecret: string
}

interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Builds the compliance vendor's tenant through the admin API, as a person would by hand. */
async function buildAcme(server: TestServer): Promise<void> {
  const call = async (pathname: string, body: unknown) => {
    const response = await server.admin_('POST', `/admin/v1/tenants/acme${pathname}`, body)
    expect(response.status, await response.clone().text()).toBe(201)
  }
  await call('/apis', {
    audience: 'https://api.complyco.example',
    name: 'ComplyCo API',
    scopes: ['export:evidence'],
    catalog: {
      categories: [
        {
          name: 'Compliance',
          resources: [
            { name: 'Controls', actions: ['read', 'update'] },
            { name: 'Evidence', actions: ['read', 'create'], description: 'Uploaded proof' },
          ],
        },
      ],
      presets: [{ name: 'auditor', scopes: ['read:controls', 'read:evidence'] }],
    },
  })
  await call('/apis', {
    audience: 'https://hooks.complyco.example',
    name: 'Hooks',
    scopes: ['send'],
  })
  await call('/applications', {
    name: 'ci-evidence-upload',
    environment: 'prod',
    description: 'Uploads build evidence from CI',
    grants: [
      { audience: 'https://api.complyco.example', scopes: ['create:evidence', 'read:evidence'] },
      { audience: 'https://hooks.complyco.example', scopes: ['send'] },
    ],
    token_lifetime_seconds: 900,
    token_rate_limit_per_minute: 120,
  })
  await call('/applications', {
    name: 'quarterly-auditor',
    environment: 'staging',
    grants: [{ audience: 'https://api.complyco.example', preset: 'auditor' }],
    expires_at: '2099-03-31T23:59:59.999Z',
  })
  await call('/applications', { name: 'gateway', environment: 'prod', can_introspect: true })
}

describe.each([
  ['SQLite', false],
  ['PostgreSQL', true],
] as const)('configuration as code on %s', (_name, postgres) => {
  let server: TestServer
  let dir: string
  let beta: Credentials
  let dropSchema: (() => Promise<void>) | undefined

  const cli = async (tenant: string, creds: Credentials, ...args: string[]): Promise<CliResult> => {
    const env = {
      ...process.env,
      TOKENMINT_PROFILE: path.join(dir, 'no-profile.json'),
      TOKENMINT_URL: server.url,
      TOKENMINT_TENANT: tenant,
      TOKENMINT_CLIENT_ID: creds.clientId,
      TOKENMINT_CLIENT_SECRET: creds.clientSecret,
    }
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env, cwd: dir })
      return { code: 0, stdout, stderr }
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string }
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
    }
  }
  const acme = (...args: string[]) => cli('acme', server.admin, ...args)
  const onBeta = (...args: string[]) => cli('beta', beta, ...args)
  const file = (name: string, text?: string) => {
    const at = path.join(dir, name)
    if (text !== undefined) fs.writeFileSync(at, text)
    return at
  }
  const exported = async (tenant: 'acme' | 'beta') => {
    const result = tenant === 'acme' ? await acme('export') : await onBeta('export')
    expect(result.code, result.stderr).toBe(0)
    return result.stdout
  }

  beforeAll(async () => {
    dir = temporaryDir()
    let databaseUrl: string | undefined
    if (postgres) {
      const schema = await freshPostgresSchema()
      databaseUrl = schema.url
      dropSchema = schema.drop
    }
    server = await startServer(databaseUrl === undefined ? {} : { databaseUrl })
    await buildAcme(server)
    const created = await server.admin_('POST', '/admin/v1/tenants', { id: 'beta' })
    const body = (await created.json()) as { admin: { client_id: string; client_secret: string } }
    beta = { clientId: body.admin.client_id, clientSecret: body.admin.client_secret }
  })
  afterAll(async () => {
    await server.stop()
    await dropSchema?.()
  })

  it('exports, applies into an empty tenant, and exports the same bytes again', async () => {
    const original = await exported('acme')
    expect(original).toBe(await exported('acme'))
    expect(original).not.toContain('tms_')
    expect(original).not.toContain(ADMIN)
    expect(original).not.toContain('Tokenmint admin')
    file('acme.yaml', original)

    const dry = await onBeta('apply', '-f', 'acme.yaml', '--dry-run', '--exit-code')
    expect(dry.code, dry.stderr).toBe(2)
    expect(dry.stdout).toContain('+ api https://api.complyco.example')
    expect(dry.stdout).toContain('+ application prod/ci-evidence-upload')
    expect(dry.stdout).toContain('Plan: 5 to create, 1 to update, 0 to delete.')
    expect(await exported('beta')).toContain('apis: []')

    const applied = await onBeta('apply', '-f', 'acme.yaml', '--secrets-out', 'secrets.json')
    expect(applied.code, applied.stderr).toBe(0)
    expect(applied.stdout).not.toContain('tms_')
    expect(fs.statSync(file('secrets.json')).mode & 0o777).toBe(0o600)
    const secrets = JSON.parse(fs.readFileSync(file('secrets.json'), 'utf8')) as {
      applications: {
        environment: string
        name: string
        client_id: string
        client_secret: string
      }[]
    }
    expect(secrets.applications.map((a) => `${a.environment}/${a.name}`).sort()).toEqual([
      'prod/ci-evidence-upload',
      'prod/gateway',
      'staging/quarterly-auditor',
    ])
    expect(await exported('beta')).toBe(original)

    // The secret handed over works: the new application gets a token with its grants.
    const ci = secrets.applications.find((a) => a.name === 'ci-evidence-upload')
    if (ci === undefined) throw new Error('no ci-evidence-upload')
    const token = await postForm(
      `${server.url}/t/beta/oauth/token`,
      { grant_type: 'client_credentials', audience: 'https://api.complyco.example' },
      { authorization: basic(ci.client_id, ci.client_secret) },
    )
    expect(token.status).toBe(200)
    expect(token.body['scope']).toBe('create:evidence read:evidence')
    expect(token.body['expires_in']).toBe(900)

    const again = await onBeta('apply', '-f', 'acme.yaml', '--secrets-out', 'secrets-2.json')
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('No changes: tenant "beta" matches acme.yaml.')
    expect(fs.existsSync(file('secrets-2.json'))).toBe(false)
    const rerun = await onBeta('apply', '-f', 'acme.yaml', '--dry-run', '--exit-code')
    expect(rerun.code).toBe(0)
  })

  it('plans a changed scope, a new application and a removed one; prunes only when asked', async () => {
    const config = parse(await exported('beta')) as {
      applications: { name: string; environment: string; grants: { scopes: string[] }[] }[]
    }
    const ci = config.applications.find((a) => a.name === 'ci-evidence-upload')
    if (ci?.grants[0] === undefined) throw new Error('no ci grant')
    ci.grants[0].scopes = ['read:evidence']
    config.applications = config.applications.filter((a) => a.name !== 'gateway')
    config.applications.push({ name: 'scanner', environment: 'prod', grants: [] })
    file('changed.json', JSON.stringify(config))

    const before = await exported('beta')
    const dry = await onBeta('apply', '-f', 'changed.json', '--dry-run', '--exit-code')
    expect(dry.code).toBe(2)
    expect(dry.stdout).toContain('~ application prod/ci-evidence-upload')
    expect(dry.stdout).toMatch(/grants: .*create:evidence read:evidence.* → .*\(read:evidence\)/)
    expect(dry.stdout).toContain('+ application prod/scanner')
    expect(dry.stdout).toContain('--prune would delete them): application prod/gateway')
    expect(await exported('beta')).toBe(before)

    const kept = await onBeta('apply', '-f', 'changed.json')
    expect(kept.code, kept.stderr).toBe(0)
    expect(kept.stdout).toMatch(/prod\/scanner\n\s+client_id:\s+tmc_\S+\n\s+client_secret: tms_\S+/)
    expect(await exported('beta')).toContain('name: gateway')

    // Without a terminal a plan that deletes needs --yes; with it, the gateway goes.
    const refused = await onBeta('apply', '-f', 'changed.json', '--prune')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('pass --yes')
    expect(await exported('beta')).toContain('name: gateway')
    const pruned = await onBeta('apply', '-f', 'changed.json', '--prune', '--yes')
    expect(pruned.code, pruned.stderr).toBe(0)
    expect(pruned.stdout).toContain('- application prod/gateway')
    const after = await exported('beta')
    expect(after).not.toContain('name: gateway')
    expect(after).toContain('name: scanner')
  })

  it('applies nothing from a broken file and names every path', async () => {
    const before = await exported('beta')
    const config = parse(before) as Record<string, unknown> & {
      applications: Record<string, unknown>[]
    }
    const broken = structuredClone(config)
    ;(broken.applications[0] as { grants: { scopes: string[] }[] }).grants[0]!.scopes.push(
      'delete:everything',
    )
    broken.applications.push({ name: 'new-one', environment: 'prod' })
    broken.applications.push({ name: 'second', colour: 'blue' })
    file('broken.yaml', JSON.stringify(broken))
    const structural = await onBeta('apply', '-f', 'broken.yaml', '--yes')
    expect(structural.code).toBe(1)
    expect(structural.stderr).toContain('broken.yaml: applications[4].colour: is not a field')
    expect(structural.stderr).toContain('nothing was applied')

    broken.applications.pop()
    file('broken.yaml', JSON.stringify(broken))
    const semantic = await onBeta('apply', '-f', 'broken.yaml', '--yes')
    expect(semantic.code).toBe(1)
    expect(semantic.stderr).toContain(
      'broken.yaml: applications[0].grants[0].scopes[1]: API "https://api.complyco.example" does not define "delete:everything"',
    )
    expect(await exported('beta')).toBe(before)
  })

  it('refuses a reserved or oversized custom claim in a file, naming its path, and applies nothing', async () => {
    const before = await exported('beta')
    const config = parse(before) as Record<string, unknown> & {
      applications?: Record<string, unknown>[]
    }
    const at = `applications[${config.applications?.length ?? 0}].claims`
    for (const [claims, problem] of [
      [{ iss: 'https://attacker.example' }, `${at}.iss: claim name "iss" is reserved`],
      [{ scope: 'admin:all' }, `${at}.scope: claim name "scope" is reserved`],
      [{ team: 'x'.repeat(5000) }, `${at}.team:`],
    ] as const) {
      const changed = structuredClone(config)
      changed.applications = [
        ...(changed.applications ?? []),
        { name: 'with-claims', environment: 'prod', claims },
        { name: 'added-alongside', environment: 'prod' },
      ]
      file('claims.yaml', JSON.stringify(changed))
      const refused = await onBeta('apply', '-f', 'claims.yaml', '--yes')
      expect(refused.code, refused.stderr).toBe(1)
      expect(refused.stderr).toContain(`claims.yaml: ${problem}`)
      expect(refused.stderr).toContain('nothing was applied')
      expect(await exported('beta')).toBe(before)
    }
  })

  it('authorises the plan like any other admin call: a token grants only what it holds', async () => {
    const makeClient = async (scopes: string[]): Promise<Credentials> => {
      const response = await server.admin_('POST', '/admin/v1/tenants/acme/applications', {
        name: `config-bot-${scopes.length}-${Math.random().toString(36).slice(2, 8)}`,
        environment: 'automation',
        grants: [{ audience: ADMIN, scopes }],
      })
      const body = (await response.json()) as { client_id: string; client_secret: string }
      return { clientId: body.client_id, clientSecret: body.client_secret }
    }
    const reader = await makeClient(['read:apis', 'read:applications'])
    const file = JSON.stringify({
      version: 1,
      apis: [{ audience: 'https://new.complyco.example', name: 'New', scopes: ['x'] }],
    })
    fs.writeFileSync(path.join(dir, 'new-api.json'), file)
    const planned = await cli('acme', reader, 'apply', '-f', 'new-api.json', '--dry-run')
    expect(planned.code, planned.stderr).toBe(0)
    expect(planned.stdout).toContain('+ api https://new.complyco.example')
    const refused = await cli('acme', reader, 'apply', '-f', 'new-api.json', '--yes')
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain('create:apis')

    const noRead = await makeClient(['create:apis'])
    const blind = await cli('acme', noRead, 'apply', '-f', 'new-api.json', '--dry-run')
    expect(blind.code).toBe(3)
    expect(blind.stderr).toContain('read:apis read:applications')

    // Console roles: a viewer may plan but not apply; an admin may not change tenant settings.
    if (server.owner === undefined) throw new Error('no owner')
    const owner = new ConsoleClient(server)
    expect((await owner.signIn('acme', 'owner', server.owner.password)).status).toBe(200)
    const sessionAs = async (role: 'admin' | 'viewer') => {
      const created = await owner.call('POST', '/admin/v1/tenants/acme/administrators', {
        username: `config-${role}-${postgres ? 'pg' : 'lite'}`,
        role,
      })
      const { username, password } = (await created.json()) as {
        username: string
        password: string
      }
      const session = new ConsoleClient(server)
      expect((await session.signIn('acme', username, password)).status).toBe(200)
      return session
    }
    const config = JSON.parse(file) as unknown
    const viewer = await sessionAs('viewer')
    const plan = '/admin/v1/tenants/acme/config:plan'
    const apply = '/admin/v1/tenants/acme/config:apply'
    expect((await viewer.call('POST', plan, { config })).status).toBe(200)
    expect((await viewer.call('POST', apply, { config })).status).toBe(403)
    const admin = await sessionAs('admin')
    const settings = { version: 1, tenant: { default_token_lifetime_seconds: 600 } }
    const tenantChange = await admin.call('POST', apply, { config: settings })
    expect(tenantChange.status).toBe(403)
    expect(((await tenantChange.json()) as { detail: string }).detail).toContain('update:keys')
    expect((await admin.call('POST', apply, { config })).status).toBe(200)
    expect((await owner.call('POST', apply, { config: settings })).status).toBe(200)
    const tenant = (await (await server.admin_('GET', '/admin/v1/tenants/acme')).json()) as {
      default_token_lifetime_seconds: number
    }
    expect(tenant.default_token_lifetime_seconds).toBe(600)
  })

  it('runs two concurrent applies one after the other; a stale reviewed plan is refused', async () => {
    const betaToken = (
      (
        await postForm(
          `${server.url}/t/beta/oauth/token`,
          { grant_type: 'client_credentials', audience: ADMIN },
          { authorization: basic(beta.clientId, beta.clientSecret) },
        )
      ).body as { access_token: string }
    ).access_token
    const onBetaApi = (pathname: string, body: unknown) =>
      fetch(`${server.url}/admin/v1/tenants/beta${pathname}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${betaToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const fileWith = (suffix: string, count: number) => ({
      version: 1,
      apis: [{ audience: 'https://race.example', name: `Race ${suffix}`, scopes: ['a', 'b'] }],
      applications: Array.from({ length: count }, (_, i) => ({
        name: `racer-${i}`,
        environment: 'race',
        description: suffix,
        grants: [{ audience: 'https://race.example', scopes: [suffix === 'A' ? 'a' : 'b'] }],
      })),
    })
    const [first, second] = await Promise.all([
      onBetaApi('/config:apply', { config: fileWith('A', 6), prune: true }),
      onBetaApi('/config:apply', { config: fileWith('B', 6), prune: true }),
    ])
    expect([first.status, second.status]).toEqual([200, 200])
    const live = parse(await exported('beta')) as {
      apis: { audience: string; name: string }[]
      applications: { name: string; environment: string; description: string }[]
    }
    const racers = live.applications.filter((a) => a.environment === 'race')
    const race = live.apis.find((a) => a.audience === 'https://race.example')
    // One file won whole: its API name and every racer's description agree, and none is doubled.
    const winner = race?.name.endsWith('A') === true ? 'A' : 'B'
    expect(new Set(racers.map((r) => r.description))).toEqual(new Set([winner]))
    expect(new Set(racers.map((r) => r.name)).size).toBe(racers.length)
    expect(racers.length).toBe(6)

    // Two callers review plans of the same state; the second apply no longer matches it.
    const plans = await Promise.all(
      ['A', 'B'].map(async (suffix) => {
        const config = fileWith(suffix === 'A' ? 'C' : 'D', 6)
        const response = await onBetaApi('/config:plan', { config })
        return { config, digest: ((await response.json()) as { digest: string }).digest }
      }),
    )
    const applies = []
    for (const { config, digest } of plans)
      applies.push((await onBetaApi('/config:apply', { config, plan_digest: digest })).status)
    expect(applies).toEqual([200, 409])
  })

  it('applies the example tenant, which then shows no drift', async () => {
    const created = await server.admin_('POST', '/admin/v1/tenants', {
      id: `example-${postgres ? 'pg' : 'lite'}`,
    })
    const body = (await created.json()) as {
      tenant: { id: string }
      admin: { client_id: string; client_secret: string }
    }
    const creds = { clientId: body.admin.client_id, clientSecret: body.admin.client_secret }
    const example = path.resolve(import.meta.dirname, '../../../../examples/config/complyco.yaml')
    const applied = await cli(
      body.tenant.id,
      creds,
      'apply',
      '-f',
      example,
      '--yes',
      '--skip-secrets',
    )
    expect(applied.code, applied.stderr).toBe(0)
    expect(applied.stdout).toContain('will not be shown: rotate one to get a secret')
    expect(applied.stdout).toMatch(/prod\/api-gateway {2}client_id tmc_/)
    expect(applied.stdout).not.toContain('tms_')
    expect(applied.stdout).toContain('Plan: 6 to create, 1 to update, 0 to delete.')
    const driftCheck = () =>
      cli(body.tenant.id, creds, 'apply', '-f', example, '--dry-run', '--exit-code')
    const drift = await driftCheck()
    expect(drift.code, drift.stdout).toBe(0)
    // A change made by hand in the console is drift.
    const token = (
      (
        await postForm(
          `${server.url}/t/${body.tenant.id}/oauth/token`,
          { grant_type: 'client_credentials', audience: ADMIN },
          { authorization: basic(creds.clientId, creds.clientSecret) },
        )
      ).body as { access_token: string }
    ).access_token
    const apps = (await (
      await fetch(`${server.url}/admin/v1/tenants/${body.tenant.id}/applications?q=api-gateway`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { items: { client_id: string }[] }
    const gateway = apps.items[0]?.client_id ?? ''
    const edited = await fetch(
      `${server.url}/admin/v1/tenants/${body.tenant.id}/applications/${gateway}`,
      {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ can_introspect: false }),
      },
    )
    expect(edited.status).toBe(200)
    const drifted = await driftCheck()
    expect(drifted.code).toBe(2)
    expect(drifted.stdout).toContain('can_introspect: false → true')
  })

  it('publishes a JSON Schema that an editor validator accepts the export against', async () => {
    const response = await fetch(`${server.url}/admin/v1/config.schema.json`)
    expect(response.status).toBe(200)
    const schema = (await response.json()) as Record<string, unknown>
    const ajv = new Ajv2020({ strict: false, validateFormats: false })
    const validate = ajv.compile(schema)
    const config = parse(await exported('acme')) as unknown
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true)
    expect(validate({ version: 1, applications: [{ name: 'x', colour: 'blue' }] })).toBe(false)
    const inRepo = JSON.parse(
      fs.readFileSync(path.resolve(import.meta.dirname, '../../config.schema.json'), 'utf8'),
    ) as unknown
    expect(inRepo).toEqual(schema)
  })
})
