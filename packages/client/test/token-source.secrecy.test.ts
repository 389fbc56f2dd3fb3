import { inspect } from 'node:util'

import { afterEach, describe, expect, it } from 'vitest'

import { createTokenSource, TokenSourceError, type TokenSourceOptions } from '../src/index.js'
import { json, serverPool, type Script } from './support/scripted-server.js'
import { expectSecretFree } from './support/secrecy.js'

const CLIENT_SECRET = 'tms_live_Zx8-never-in-a-log-0001'
const PASSWORD = 'correct horse battery staple'
const ACCESS_TOKEN = 'at_secret-access-token-0002'
const REFRESH_TOKEN = 'rt_secret-refresh-token-0003'
const BASIC = btoa(`app:${CLIENT_SECRET}`)
const SECRETS = [
  CLIENT_SECRET,
  encodeURIComponent(CLIENT_SECRET),
  PASSWORD,
  encodeURIComponent(PASSWORD),
  PASSWORD.replace(/ /g, '+'),
  ACCESS_TOKEN,
  REFRESH_TOKEN,
  BASIC,
]
const fast = { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, maxElapsedMs: 2000 }
const pool = serverPool()
afterEach(() => pool.closeAll())

const failures: { description: string; script: Script; options?: Partial<TokenSourceOptions> }[] = [
  {
    description: 'invalid_client',
    script: (_request, response) => {
      json(response, 401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic' })
    },
  },
  {
    description: 'a server echoing the secret, password and Authorization in its description',
    script: (request, response) => {
      json(response, 400, {
        error: 'invalid_request',
        error_description: `bad ${request.headers.authorization ?? ''} body ${request.body} ${CLIENT_SECRET} ${PASSWORD}`,
      })
    },
    options: { username: 'robot', password: PASSWORD },
  },
  {
    description: 'a server echoing the request body, with client_secret_post',
    script: (request, response) => {
      json(response, 400, { error: request.body, error_description: request.body })
    },
    options: { authMethod: 'client_secret_post' },
  },
  {
    description: 'persistent 500s',
    script: (_request, response) => {
      json(response, 500, { error: 'server_error' })
    },
  },
  {
    description: 'a timeout',
    script: () => undefined,
    options: { timeoutMs: 100 },
  },
  {
    description: 'a connection reset',
    script: (_request, response) => {
      response.socket?.destroy()
    },
  },
  {
    description: 'malformed JSON carrying the token',
    script: (_request, response) => {
      response.writeHead(200).end(`{"access_token": "${ACCESS_TOKEN}", `)
    },
  },
  {
    description: 'a token with a line break',
    script: (_request, response) => {
      json(response, 200, { access_token: `${ACCESS_TOKEN}\r\nx: y`, expires_in: 60 })
    },
  },
  {
    description: 'a refused password grant',
    script: (request, response) => {
      json(response, 400, { error: 'invalid_grant', error_description: request.body })
    },
    options: { username: 'robot', password: PASSWORD },
  },
]

describe('errors never contain a secret, a token or the Authorization header', () => {
  for (const { description, script, options } of failures) {
    it(`after ${description}`, async () => {
      const server = await pool.serve(script)
      const error = await createTokenSource({
        tokenUrl: server.url,
        clientId: 'app',
        clientSecret: CLIENT_SECRET,
        retry: fast,
        ...options,
      })
        .getToken()
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TokenSourceError)
      expectSecretFree(error, SECRETS)
    })
  }

  it('after a refresh token and then the password are refused', async () => {
    let clock = 1_000_000
    const server = await pool.serve((request, response, count) => {
      if (count === 1) {
        json(response, 200, {
          access_token: ACCESS_TOKEN,
          expires_in: 60,
          refresh_token: REFRESH_TOKEN,
        })
      } else {
        json(response, 400, { error: 'invalid_grant', error_description: `no: ${request.body}` })
      }
    })
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: CLIENT_SECRET,
      username: 'robot',
      password: PASSWORD,
      now: () => clock,
    })
    await source.getToken()
    clock += 120_000
    const error = await source.getToken().catch((e: unknown) => e)
    expect(server.requests.map((r) => new URLSearchParams(r.body).get('grant_type'))).toEqual([
      'password',
      'refresh_token',
      'password',
    ])
    expectSecretFree(error, SECRETS)
  })

  it('while the token source itself is inspected or serialised', async () => {
    const server = await pool.serve((_request, response) => {
      json(response, 200, {
        access_token: ACCESS_TOKEN,
        expires_in: 60,
        refresh_token: REFRESH_TOKEN,
      })
    })
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: CLIENT_SECRET,
      username: 'robot',
      password: PASSWORD,
    })
    await source.getToken()
    for (const text of [inspect(source, { depth: 10, showHidden: true }), JSON.stringify(source)]) {
      for (const secret of SECRETS) expect(text).not.toContain(secret)
    }
  })
})
