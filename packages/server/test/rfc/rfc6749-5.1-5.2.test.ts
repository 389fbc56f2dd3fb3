// RFC 6749 §5.1 (Successful Response) and §5.2 (Error Response). One case per clause; the
// wider error catalogue is test/integration/token.errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  basic,
  createApi,
  createApplication,
  postForm,
  postJson,
  type ApiFixture,
  type ApplicationFixture,
} from '../support/fixtures.js'
import { issuedTokenCount } from '../support/issued-tokens.js'
import { postRawForm, sendRaw, type RawResponse } from '../support/raw-request.js'
import { startServer, type TestServer } from '../support/server.js'

const PASSWORD = 'a long scanner passphrase'
/**
 * RFC 6749 §5.2: error and error_description "MUST NOT include characters outside the set
 * %x20-21 / %x23-5B / %x5D-7E": printable ASCII without `"` and `\`.
 */
const ERROR_CHARSET = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/

describe('RFC 6749 §5.1 and §5.2: token endpoint responses', () => {
  let server: TestServer
  let api: ApiFixture
  let app: ApplicationFixture
  let passwordApp: ApplicationFixture
  let username: string

  beforeAll(async () => {
    server = await startServer()
    api = await createApi(server)
    const grants = [{ audience: api.audience, scopes: ['read:assigned-policies'] }]
    app = await createApplication(server, { grants })
    passwordApp = await createApplication(server, {
      grants,
      grant_types: ['client_credentials', 'password'],
    })
    username = 'scanner@example.com'
    const user = await server.admin_('POST', `/admin/v1/tenants/${server.tenant}/users`, {
      username,
      password: PASSWORD,
      grants,
    })
    expect(user.status).toBe(201)
  })
  afterAll(() => server.stop())

  const viaBasic = (who = app) => ({ authorization: basic(who.clientId, who.clientSecret) })

  describe('§5.1 successful response', () => {
    it('§5.1: access_token and token_type are REQUIRED, expires_in (RECOMMENDED) is a JSON number of seconds', async () => {
      const { status, body } = await postForm(
        server.tokenEndpoint,
        { grant_type: 'client_credentials' },
        viaBasic(),
      )
      expect(status).toBe(200)
      expect(body['access_token']).toEqual(expect.any(String))
      expect(body['access_token']).not.toBe('')
      expect(String(body['token_type']).toLowerCase()).toBe('bearer')
      expect(Number.isInteger(body['expires_in'])).toBe(true)
      expect(body['expires_in']).toBeGreaterThan(0)
      expect(body['scope']).toBe('read:assigned-policies')
    })

    it('§5.1: the parameters are sent as application/json, whichever encoding the request used', async () => {
      const form = await postForm(
        server.tokenEndpoint,
        { grant_type: 'client_credentials' },
        viaBasic(),
      )
      const json = await postJson(
        server.tokenEndpoint,
        { grant_type: 'client_credentials' },
        viaBasic(),
      )
      for (const { status, response } of [form, json]) {
        expect(status).toBe(200)
        expect(response.headers.get('content-type')).toMatch(/^application\/json\b/)
      }
    })

    it('§5.1: a response with tokens MUST carry Cache-Control: no-store and Pragma: no-cache, refresh tokens included', async () => {
      const clientCredentials = await postForm(
        server.tokenEndpoint,
        { grant_type: 'client_credentials' },
        viaBasic(),
      )
      const password = await postForm(
        server.tokenEndpoint,
        { grant_type: 'password', username, password: PASSWORD },
        viaBasic(passwordApp),
      )
      expect(password.body['refresh_token']).toEqual(expect.any(String))
      const refreshed = await postForm(
        server.tokenEndpoint,
        { grant_type: 'refresh_token', refresh_token: password.body['refresh_token'] as string },
        viaBasic(passwordApp),
      )
      for (const [grant, { status, response }] of Object.entries({
        clientCredentials,
        password,
        refreshed,
      })) {
        expect(status, grant).toBe(200)
        expect(response.headers.get('cache-control'), grant).toBe('no-store')
        expect(response.headers.get('pragma'), grant).toBe('no-cache')
      }
    })
  })

  describe('§5.2 error response', () => {
    const credentials = () => ({ client_id: app.clientId, client_secret: app.clientSecret })
    const form = (parameters: Record<string, string>, headers?: Record<string, string>) =>
      postRawForm(server.tokenEndpoint, new URLSearchParams(parameters).toString(), headers)
    const issued = async () =>
      (await issuedTokenCount(server, app.clientId)) +
      (await issuedTokenCount(server, passwordApp.clientId))
    const json = (body: string) =>
      sendRaw(server.tokenEndpoint, { headers: { 'content-type': 'application/json' }, body })

    const cases: {
      clause: string
      send: () => Promise<RawResponse>
      status: number
      error: string
      /**
       * §5.2 invalid_client: via the Authorization header, the server "MUST respond with an
       * HTTP 401 … and include the WWW-Authenticate response header field matching the
       * authentication scheme used by the client".
       */
      basicChallenge?: true
    }[] = [
      {
        clause: '§5.2 invalid_request: "missing a required parameter" (grant_type)',
        send: () => form({ ...credentials() }),
        status: 400,
        error: 'invalid_request',
      },
      {
        clause:
          '§5.2 invalid_request: "includes an unsupported parameter value" (a JSON array for scope)',
        send: () =>
          json(
            JSON.stringify({ grant_type: 'client_credentials', ...credentials(), scope: ['a'] }),
          ),
        status: 400,
        error: 'invalid_request',
      },
      {
        clause: '§5.2 invalid_request: "repeats a parameter" (form)',
        send: () =>
          postRawForm(
            server.tokenEndpoint,
            `grant_type=client_credentials&grant_type=client_credentials&${new URLSearchParams(credentials()).toString()}`,
          ),
        status: 400,
        error: 'invalid_request',
      },
      {
        clause: '§5.2 invalid_request: "repeats a parameter" (a repeated JSON member)',
        send: () =>
          json(
            `{"grant_type":"client_credentials","client_id":"${app.clientId}","client_secret":"${app.clientSecret}","client_id":"${passwordApp.clientId}"}`,
          ),
        status: 400,
        error: 'invalid_request',
      },
      {
        clause:
          '§5.2 invalid_request: "utilizes more than one mechanism for authenticating the client"',
        send: () => form({ grant_type: 'client_credentials', ...credentials() }, viaBasic()),
        status: 400,
        error: 'invalid_request',
      },
      {
        clause: '§5.2 invalid_request: "or is otherwise malformed" (truncated JSON)',
        send: () => json('{"grant_type":'),
        status: 400,
        error: 'invalid_request',
      },
      {
        clause:
          '§5.2 invalid_client: failed authentication via Basic is 401 with WWW-Authenticate: Basic',
        send: () =>
          form(
            { grant_type: 'client_credentials' },
            { authorization: basic(app.clientId, passwordApp.clientSecret) },
          ),
        status: 401,
        error: 'invalid_client',
        basicChallenge: true,
      },
      {
        clause: '§5.2 invalid_client: failed authentication in the body is 401 too',
        send: () =>
          form({
            grant_type: 'client_credentials',
            client_id: app.clientId,
            client_secret: passwordApp.clientSecret,
          }),
        status: 401,
        error: 'invalid_client',
      },
      {
        clause: '§5.2 invalid_client: "no client authentication included" is 401',
        send: () => form({ grant_type: 'client_credentials' }),
        status: 401,
        error: 'invalid_client',
      },
      {
        clause: '§5.2 invalid_grant: the refresh token "is invalid"',
        send: () =>
          form(
            { grant_type: 'refresh_token', refresh_token: 'tmr_not-a-refresh-token' },
            viaBasic(passwordApp),
          ),
        status: 400,
        error: 'invalid_grant',
      },
      {
        clause: '§5.2 invalid_grant: the resource owner credentials are invalid',
        send: () =>
          form({ grant_type: 'password', username, password: 'wrong' }, viaBasic(passwordApp)),
        status: 400,
        error: 'invalid_grant',
      },
      {
        clause: '§5.2 unauthorized_client: "not authorized to use this authorization grant type"',
        send: () => form({ grant_type: 'password', username, password: PASSWORD }, viaBasic()),
        status: 400,
        error: 'unauthorized_client',
      },
      {
        clause: '§5.2 unsupported_grant_type: "not supported by the authorization server"',
        send: () => form({ grant_type: 'urn:example:magic' }, viaBasic()),
        status: 400,
        error: 'unsupported_grant_type',
      },
      {
        clause: '§5.2 invalid_scope: "exceeds the scope granted by the resource owner"',
        send: () =>
          form({ grant_type: 'client_credentials', scope: 'delete:assigned-policies' }, viaBasic()),
        status: 400,
        error: 'invalid_scope',
      },
      {
        clause: '§5.2 invalid_scope: "malformed"',
        send: () =>
          form({ grant_type: 'client_credentials', scope: 'read:\\policies' }, viaBasic()),
        status: 400,
        error: 'invalid_scope',
      },
    ]

    for (const c of cases) {
      it(`${c.clause}: HTTP ${c.status}, JSON { error, error_description }, nothing issued, no secret echoed`, async () => {
        const before = await issued()
        const { status, body, text, response } = await c.send()
        expect(status).toBe(c.status)
        expect(response.headers.get('content-type')).toMatch(/^application\/json\b/)
        expect(body['error']).toBe(c.error)
        expect(body['error_description']).toEqual(expect.any(String))
        expect(body).not.toHaveProperty('access_token')
        expect(text).not.toContain(app.clientSecret)
        expect(text).not.toContain(passwordApp.clientSecret)
        expect(text).not.toContain(PASSWORD)
        if (c.basicChallenge) expect(response.headers.get('www-authenticate')).toMatch(/^Basic /)
        expect(await issued()).toBe(before)
      })
    }

    it('§5.2: error and error_description "MUST NOT include characters outside the set %x20-21 / %x23-5B / %x5D-7E"', async () => {
      for (const c of cases) {
        const { body } = await c.send()
        expect(body['error'], c.clause).toMatch(ERROR_CHARSET)
        expect(body['error_description'], c.clause).toMatch(ERROR_CHARSET)
      }
    })

    it('§5.2: the character set holds for descriptions that echo the request (a repeated parameter named é, a grant_type with é)', async () => {
      for (const body of ['%C3%A9=1&%C3%A9=2', 'grant_type=%C3%A9%22%5C']) {
        const response = await fetch(server.tokenEndpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic(app.clientId, app.clientSecret),
          },
          body,
        })
        expect(response.status).toBe(400)
        const answer = (await response.json()) as Record<string, string>
        expect(answer['error_description'], body).toMatch(ERROR_CHARSET)
      }
    })
  })
})
