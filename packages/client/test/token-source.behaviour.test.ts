import { inspect } from 'node:util'

import { afterEach, describe, expect, it } from 'vitest'

import {
  createTokenSource,
  InvalidTokenResponseError,
  OAuthResponseError,
  TokenEndpointUnreachableError,
  TokenRequestTimeoutError,
} from '../src/index.js'
import { json, scriptedServer } from './scripted-server.js'

const SECRET = 'tms_super-secret-value-that-must-never-leak'
const TOKEN = 'eyJ.secret-access-token.sig'
const fast = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 2000 }

const servers: { close: () => Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
async function serve(...args: Parameters<typeof scriptedServer>) {
  const server = await scriptedServer(...args)
  servers.push(server)
  return server
}

function assertSecretFree(error: unknown) {
  const texts = [
    String(error),
    (error as Error).stack ?? '',
    inspect(error, { depth: 10 }),
    JSON.stringify(error),
  ]
  let cause: unknown = (error as Error).cause
  while (cause !== undefined) {
    texts.push(inspect(cause, { depth: 10 }))
    cause = (cause as Error).cause
  }
  for (const text of texts) {
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain(TOKEN)
    expect(text).not.toContain(Buffer.from(`client:${SECRET}`).toString('base64'))
  }
}

describe('createTokenSource: caching, refresh-ahead and single flight', () => {
  it('sends client credentials with Basic (form-encoded) and caches the token', async () => {
    const server = await serve((_q, _b, response) =>
      json(response, 200, {
        access_token: TOKEN,
        token_type: 'bearer',
        expires_in: 3600,
        scope: 'a b',
      }),
    )
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'client id',
      clientSecret: SECRET,
      scope: 'a b',
      audience: 'https://api',
    })
    const token = await source.getToken()
    expect(token).toMatchObject({ accessToken: TOKEN, tokenType: 'Bearer', scope: 'a b' })
    expect(token.expiresAt.getTime() - Date.now()).toBeGreaterThan(3590_000)
    await source.getToken()
    expect(server.count).toBe(1)
    const sent = server.requests[0]!
    const [id, secret] = Buffer.from(sent.headers.authorization!.slice(6), 'base64')
      .toString()
      .split(':')
    expect(id).toBe('client+id')
    expect(decodeURIComponent(secret!)).toBe(SECRET)
    expect(new URLSearchParams(sent.body).get('grant_type')).toBe('client_credentials')
    expect(new URLSearchParams(sent.body).get('audience')).toBe('https://api')
  })

  it('sends JSON bodies with client_secret_post when asked', async () => {
    const server = await serve((_q, _b, response) =>
      json(response, 200, { access_token: TOKEN, expires_in: '60' }),
    )
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'c',
      clientSecret: SECRET,
      authMethod: 'client_secret_post',
      bodyEncoding: 'json',
    })
    const token = await source.getToken()
    expect(server.requests[0]!.headers['content-type']).toBe('application/json')
    expect(JSON.parse(server.requests[0]!.body)).toMatchObject({
      client_id: 'c',
      client_secret: SECRET,
      grant_type: 'client_credentials',
    })
    expect(token.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(60_000)
    expect(token.scope).toBeUndefined()
  })

  it('makes exactly one request for 1,000 concurrent callers', async () => {
    const server = await serve((_q, _b, response) =>
      setTimeout(() => json(response, 200, { access_token: TOKEN, expires_in: 3600 }), 50),
    )
    const source = createTokenSource({ tokenUrl: server.url, clientId: 'c', clientSecret: SECRET })
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => source.getToken()))
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1)
    expect(server.count).toBe(1)
  })

  it('refreshes ahead of expiry without making callers wait, then uses the new token', async () => {
    let clock = 1_000_000
    const server = await serve((_q, _b, response, count) =>
      setTimeout(() => json(response, 200, { access_token: `token-${count}`, expires_in: 5 }), 100),
    )
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'c',
      clientSecret: SECRET,
      refreshSkewSeconds: 2,
      now: () => clock,
    })
    expect((await source.getToken()).accessToken).toBe('token-1')
    clock += 3500 // inside the skew, still valid
    const started = performance.now()
    expect((await source.getToken()).accessToken).toBe('token-1')
    expect(performance.now() - started).toBeLessThan(50)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await source.getToken()).accessToken).toBe('token-2')
    expect(server.count).toBe(2)
    clock += 10_000 // expired: callers wait for a new one
    expect((await source.getToken()).accessToken).toBe('token-3')
  })

  it('handles server variations: missing expires_in (JWT exp), token_type in any case, extra members', async () => {
    const exp = Math.floor(Date.now() / 1000) + 120
    const jwt = `x.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.y`
    const server = await serve((_q, _b, response) =>
      json(response, 200, { access_token: jwt, token_type: 'BEARER', extra: { nested: true } }),
    )
    const token = await createTokenSource({
      tokenUrl: server.url,
      clientId: 'c',
      clientSecret: SECRET,
    }).getToken()
    expect(token.tokenType).toBe('Bearer')
    expect(Math.abs(token.expiresAt.getTime() - exp * 1000)).toBeLessThan(2000)
  })
})

describe('createTokenSource: retries, errors and secrecy', () => {
  it('retries 500s with backoff, then succeeds', async () => {
    const server = await serve((_q, _b, response, count) =>
      count < 3
        ? json(response, 500, { error: 'server_error' })
        : json(response, 200, { access_token: TOKEN, expires_in: 60 }),
    )
    const token = await createTokenSource({
      tokenUrl: server.url,
      clientId: 'c',
      clientSecret: SECRET,
      retry: fast,
    }).getToken()
    expect(token.accessToken).toBe(TOKEN)
    expect(server.count).toBe(3)
  })

  it('honours Retry-After on 429', async () => {
    const server = await serve((_q, _b, response, count) =>
      count === 1
        ? json(response, 429, { error: 'rate_limited' }, { 'retry-after': '1' })
        : json(response, 200, { access_token: TOKEN, expires_in: 60 }),
    )
    const started = Date.now()
    await createTokenSource({
      tokenUrl: server.url,
      clientId: 'c',
      clientSecret: SECRET,
      retry: { ...fast, maxElapsedMs: 5000 },
    }).getToken()
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(server.count).toBe(2)
  })

  it('never retries invalid_client, and the error carries the RFC fields without the secret', async () => {
    const server = await serve((_q, _b, response) =>
      json(response, 401, { error: 'invalid_client', error_description: 'wrong secret' }),
    )
    const error = await createTokenSource({
      tokenUrl: server.url,
      clientId: 'client',
      clientSecret: SECRET,
      retry: fast,
    })
      .getToken()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OAuthResponseError)
    expect(error).toMatchObject({
      error: 'invalid_client',
      error_description: 'wrong secret',
      status: 401,
    })
    expect(server.count).toBe(1)
    assertSecretFree(error)
  })

  it('gives up after the attempt bound on persistent 503s', async () => {
    const server = await serve((_q, _b, response) =>
      json(response, 503, { error: 'temporarily_unavailable' }),
    )
    const error = await createTokenSource({
      tokenUrl: server.url,
      clientId: 'c',
      clientSecret: SECRET,
      retry: fast,
    })
      .getToken()
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 503 })
    expect(server.count).toBe(4)
  })

  it('times out a server that never answers, within the bounds', async () => {
    const server = await serve(() => undefined)
    const started = Date.now()
    const error = await createTokenSource({
      tokenUrl: server.url,
      clientId: 'c',
      clientSecret: SECRET,
      timeoutMs: 100,
      retry: { ...fast, maxAttempts: 2 },
    })
      .getToken()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TokenRequestTimeoutError)
    expect(Date.now() - started).toBeLessThan(1500)
    expect(server.count).toBe(2)
    assertSecretFree(error)
  })

  it('reports connection resets and refused connections as unreachable, secret-free', async () => {
    const server = await serve((request) => request.socket.destroy())
    const reset = await createTokenSource({
      tokenUrl: server.url,
      clientId: 'c',
      clientSecret: SECRET,
      retry: fast,
    })
      .getToken()
      .catch((e: unknown) => e)
    expect(reset).toBeInstanceOf(TokenEndpointUnreachableError)
    expect(server.count).toBe(4)
    assertSecretFree(reset)
    const closed = await serve(() => undefined)
    await closed.close()
    const refused = await createTokenSource({
      tokenUrl: closed.url,
      clientId: 'c',
      clientSecret: SECRET,
      retry: fast,
    })
      .getToken()
      .catch((e: unknown) => e)
    expect(refused).toMatchObject({ name: 'TokenEndpointUnreachableError', code: 'ECONNREFUSED' })
    assertSecretFree(refused)
  })

  it('refuses malformed JSON and a response without access_token', async () => {
    const broken = await serve((_q, _b, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end('{"access_token": ')
    })
    await expect(
      createTokenSource({ tokenUrl: broken.url, clientId: 'c', clientSecret: SECRET }).getToken(),
    ).rejects.toBeInstanceOf(InvalidTokenResponseError)
    const empty = await serve((_q, _b, response) => json(response, 200, { token_type: 'Bearer' }))
    await expect(
      createTokenSource({ tokenUrl: empty.url, clientId: 'c', clientSecret: SECRET }).getToken(),
    ).rejects.toBeInstanceOf(InvalidTokenResponseError)
  })

  it('does not show the secret when the source itself is inspected or serialised', () => {
    const source = createTokenSource({
      tokenUrl: 'http://127.0.0.1:9/token',
      clientId: 'c',
      clientSecret: SECRET,
    })
    expect(inspect(source, { depth: 10, showHidden: true })).not.toContain(SECRET)
    expect(JSON.stringify(source)).not.toContain(SECRET)
  })
})

describe('authFetch', () => {
  it('adds the bearer token and retries once with a fresh token after a 401', async () => {
    const tokens = await serve((_q, _b, response, count) =>
      json(response, 200, { access_token: `token-${count}`, expires_in: 3600 }),
    )
    const api = await serve((request, _b, response) => {
      if (request.headers.authorization === 'Bearer token-1')
        json(response, 401, { error: 'invalid_token' })
      else json(response, 200, { ok: true, auth: request.headers.authorization })
    })
    const source = createTokenSource({ tokenUrl: tokens.url, clientId: 'c', clientSecret: SECRET })
    const response = await source.authFetch(api.url, {
      method: 'POST',
      body: JSON.stringify({ a: 1 }),
      headers: { 'content-type': 'application/json' },
    })
    expect(await response.json()).toEqual({ ok: true, auth: 'Bearer token-2' })
    expect(api.requests.map((r) => r.body)).toEqual(['{"a":1}', '{"a":1}'])
    expect(tokens.count).toBe(2)
  })
})
