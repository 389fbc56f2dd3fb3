import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { storageDrivers as drivers } from '../support/databases.js'
import {
  basic,
  createApi,
  createApplication,
  postForm,
  postJson,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { startServer, type TestServer } from '../support/server.js'

const PASSWORD = 'a long scanner passphrase'

describe.each(drivers)('password grant and rotating refresh tokens on %s', (_name, open) => {
  let server: TestServer
  let api: ApiFixture
  let scanner: ApplicationFixture
  let cleanup: () => Promise<void>
  let counter = 0

  const createUser = async (scopes = ['read:assigned-policies', 'create:assigned-policies']) => {
    const username = `Scanner.${++counter}@example.com`
    const response = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/users`, {
      username,
      password: PASSWORD,
      grants: [{ audience: api.audience, scopes }],
    })
    expect(response.status).toBe(201)
    return { ...((await response.json()) as { id: string }), username }
  }
  const login = (
    username: string,
    password = PASSWORD,
    extra: Record<string, string> = {},
    app = scanner,
  ) =>
    postForm(
      server.tokenEndpoint,
      { grant_type: 'password', username, password, ...extra },
      { authorization: basic(app.clientId, app.clientSecret) },
    )
  const refresh = (token: string, extra: Record<string, string> = {}) =>
    postForm(
      server.tokenEndpoint,
      { grant_type: 'refresh_token', refresh_token: token, ...extra },
      { authorization: basic(scanner.clientId, scanner.clientSecret) },
    )

  beforeAll(async () => {
    const db = await open()
    cleanup = db.cleanup
    server = await startServer(db.databaseUrl === undefined ? {} : { databaseUrl: db.databaseUrl })
    api = await createApi(server)
    scanner = await createApplication(server, {
      grant_types: ['client_credentials', 'password'],
      grants: [
        { audience: api.audience, scopes: ['read:assigned-policies', 'delete:assigned-policies'] },
      ],
    })
  })
  afterAll(async () => {
    await server.stop()
    await cleanup()
  })

  it('warns once when the password grant is enabled', async () => {
    const response = await server.admin_(
      'POST',
      `/admin/v1/tenants/${server.tenant}/applications`,
      { name: 'legacy', grant_types: ['password'] },
    )
    expect(((await response.json()) as { warnings: string[] }).warnings[0]).toMatch(/RFC 9700/)
  })

  it('issues a token for the user in a form body with Basic, and in JSON with client_secret_post', async () => {
    const user = await createUser()
    const form = await login(user.username.toUpperCase())
    expect(form.status).toBe(200)
    expect(form.body['refresh_token']).toMatch(/^tmr_/)
    const claims = decodeJwt(form.body['access_token'] as string)
    expect(claims).toMatchObject({
      sub: user.id,
      client_id: scanner.clientId,
      username: user.username,
    })
    // The intersection of the application's and the user's scopes.
    expect(claims['scope']).toBe('read:assigned-policies')

    const json = await postJson(server.tokenEndpoint, {
      grant_type: 'password',
      username: user.username,
      password: PASSWORD,
      client_id: scanner.clientId,
      client_secret: scanner.clientSecret,
    })
    expect(json.status).toBe(200)
    const audit = (await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/audit?client_id=${scanner.clientId}&type=token.issued`,
      )
    ).json()) as {
      items: { data: { user_id?: string; username?: string } }[]
    }
    expect(audit.items[0]!.data).toMatchObject({ user_id: user.id, username: user.username })
    expect(JSON.stringify(audit)).not.toContain(PASSWORD)
  })

  it('refuses the grant to an application that was not given it', async () => {
    const plain = await createApplication(server, {
      grants: [{ audience: api.audience, scopes: ['read:assigned-policies'] }],
    })
    const user = await createUser()
    const { status, body } = await login(user.username, PASSWORD, {}, plain)
    expect(status).toBe(400)
    expect(body['error']).toBe('unauthorized_client')
  })

  it('answers an unknown user and a wrong password alike', async () => {
    const user = await createUser()
    const unknown = await login('nobody-here')
    const wrong = await login(user.username, 'wrong password entirely')
    expect(unknown.status).toBe(400)
    expect(wrong.status).toBe(400)
    expect(unknown.body).toEqual(wrong.body)
    expect(unknown.body['error']).toBe('invalid_grant')
  })

  it('refuses a scope the user may not hold, naming it', async () => {
    const user = await createUser(['read:assigned-policies'])
    const { status, body } = await login(user.username, PASSWORD, {
      scope: 'read:assigned-policies delete:assigned-policies',
    })
    expect(status).toBe(400)
    expect(body['error']).toBe('invalid_scope')
    expect(body['error_description']).toContain('delete:assigned-policies')
  })

  it('rotates refresh tokens, narrows scope on request, and revokes the family on reuse', async () => {
    const user = await createUser()
    const first = (await login(user.username)).body['refresh_token'] as string
    const second = await refresh(first)
    expect(second.status).toBe(200)
    const secondToken = second.body['refresh_token'] as string
    expect(secondToken).not.toBe(first)
    expect(decodeJwt(second.body['access_token'] as string).sub).toBe(user.id)

    const wider = await refresh(secondToken, { scope: 'delete:assigned-policies' })
    expect(wider.body['error']).toBe('invalid_scope')

    // Reusing the first token revokes the whole family, including the newest token.
    const reuse = await refresh(first)
    expect(reuse.status).toBe(400)
    expect(reuse.body['error_description']).toMatch(/used already/)
    expect((await refresh(secondToken)).status).toBe(400)
    const audit = (await (
      await server.admin_(
        'GET',
        `/admin/v1/tenants/${server.tenant}/audit?type=refresh_token.reuse_detected`,
      )
    ).json()) as { items: unknown[] }
    expect(audit.items.length).toBeGreaterThan(0)
  })

  it('ends the family when the password changes, the user is disabled, or the token is revoked', async () => {
    const user = await createUser()
    const viaPassword = (await login(user.username)).body['refresh_token'] as string
    expect(
      (
        await server.admin_(
          'POST',
          `/admin/v1/tenants/${server.tenant}/users/${user.id}/password`,
          { password: 'another long passphrase' },
        )
      ).status,
    ).toBe(200)
    expect((await refresh(viaPassword)).status).toBe(400)

    const viaDisable = (await login(user.username, 'another long passphrase')).body[
      'refresh_token'
    ] as string
    expect(
      (await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/users/${user.id}/disable`))
        .status,
    ).toBe(200)
    expect((await refresh(viaDisable)).status).toBe(400)
    expect((await login(user.username, 'another long passphrase')).body['error']).toBe(
      'invalid_grant',
    )
    expect(
      (await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/users/${user.id}/enable`))
        .status,
    ).toBe(200)

    const viaRevoke = (await login(user.username, 'another long passphrase')).body[
      'refresh_token'
    ] as string
    const revoked = await postForm(
      `${server.issuer}/oauth/revoke`,
      { token: viaRevoke, token_type_hint: 'refresh_token' },
      { authorization: basic(scanner.clientId, scanner.clientSecret) },
    )
    expect(revoked.status).toBe(200)
    expect((await refresh(viaRevoke)).status).toBe(400)
  })

  it('locks a user after repeated failures with 429 and Retry-After, until an admin unlocks', async () => {
    const user = await createUser()
    for (let i = 0; i < 5; i++)
      expect((await login(user.username, `wrong guess ${i}`)).status).toBe(400)
    const locked = await login(user.username)
    expect(locked.status).toBe(429)
    expect(Number(locked.response.headers.get('retry-after'))).toBeGreaterThan(0)
    const shown = (await (
      await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/users/${user.id}`)
    ).json()) as { status: string }
    expect(shown.status).toBe('locked')
    expect(
      (await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/users/${user.id}/unlock`))
        .status,
    ).toBe(200)
    expect((await login(user.username)).status).toBe(200)

    // An unknown username locks the same way, so a lock reveals nothing.
    for (let i = 0; i < 5; i++) await login('ghost-user', `wrong guess ${i}`)
    expect((await login('ghost-user')).status).toBe(429)
  })

  it('refuses weak passwords with a field error, and never returns a password hash', async () => {
    const response = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/users`, {
      username: 'weak',
      password: 'password1234',
    })
    expect(response.status).toBe(400)
    expect(JSON.stringify(await response.json())).toContain('password')
    const list = await (
      await server.admin_('GET', `/admin/v1/tenants/${server.tenant}/users`)
    ).text()
    expect(list).not.toContain('argon2')
  })
})
