import { afterEach, describe, expect, it } from 'vitest'

import {
  createTokenSource,
  InvalidTokenResponseError,
  OAuthResponseError,
  TokenEndpointUnreachableError,
  TokenRequestTimeoutError,
} from '../src/index.js'
import { json, serverPool, type Script } from './support/scripted-server.js'

const SECRET = 'tms_retries-test-secret'
const fast = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 40, maxElapsedMs: 3000 }
const pool = serverPool()
afterEach(() => pool.closeAll())

const ok = { access_token: 'token', token_type: 'Bearer', expires_in: 60 }

/** Requests a token from a scripted server; resolves to the token or the error, and the time. */
async function tokenFrom(script: Script, options: Record<string, unknown> = {}) {
  const server = await pool.serve(script)
  const started = performance.now()
  const result = await createTokenSource({
    tokenUrl: server.url,
    clientId: 'app',
    clientSecret: SECRET,
    retry: fast,
    ...options,
  })
    .getToken()
    .catch((error: unknown) => error)
  return { result, server, elapsedMs: performance.now() - started }
}

describe('a token source rides out outages', () => {
  it('retries 500s with backoff and gets the token', async () => {
    const { result, server } = await tokenFrom((_request, response, count) => {
      if (count < 3) json(response, 500, { error: 'server_error' })
      else json(response, 200, ok)
    })
    expect(result).toMatchObject({ accessToken: 'token' })
    expect(server.count).toBe(3)
  })

  it('retries a 502 from a proxy that is not JSON', async () => {
    const { result, server } = await tokenFrom((_request, response, count) => {
      if (count === 1) response.writeHead(502, { 'content-type': 'text/html' }).end('<h1>502</h1>')
      else json(response, 200, ok)
    })
    expect(result).toMatchObject({ accessToken: 'token' })
    expect(server.count).toBe(2)
  })

  it('waits as long as a 429 Retry-After (in seconds) asks before retrying', async () => {
    const { result, server, elapsedMs } = await tokenFrom(
      (_request, response, count) => {
        if (count === 1) json(response, 429, { error: 'slow_down' }, { 'retry-after': '1' })
        else json(response, 200, ok)
      },
      { retry: { ...fast, maxElapsedMs: 5000 } },
    )
    expect(result).toMatchObject({ accessToken: 'token' })
    expect(server.count).toBe(2)
    expect(elapsedMs).toBeGreaterThanOrEqual(950)
    expect(elapsedMs).toBeLessThan(2500)
  })

  it('gives up at once when Retry-After reaches past the total-time bound', async () => {
    const { result, server, elapsedMs } = await tokenFrom((_request, response) => {
      json(response, 429, { error: 'slow_down' }, { 'retry-after': '120' })
    })
    expect(result).toBeInstanceOf(OAuthResponseError)
    expect(result).toMatchObject({ status: 429, error: 'slow_down' })
    expect(server.count).toBe(1)
    expect(elapsedMs).toBeLessThan(500)
  })

  it('retries a connection reset, then gets the token', async () => {
    const { result, server } = await tokenFrom((_request, response, count) => {
      if (count === 1) response.socket?.destroy()
      else json(response, 200, ok)
    })
    expect(result).toMatchObject({ accessToken: 'token' })
    expect(server.count).toBe(2)
  })
})

describe('a token source gives up within its bounds', () => {
  it('stops after maxAttempts on persistent 503s, with the last answer', async () => {
    const { result, server, elapsedMs } = await tokenFrom((_request, response) => {
      json(response, 503, { error: 'temporarily_unavailable', error_description: 'down' })
    })
    expect(result).toBeInstanceOf(OAuthResponseError)
    expect(result).toMatchObject({ status: 503, error: 'temporarily_unavailable' })
    expect(server.count).toBe(4)
    // Backoff steps of at most 10 + 20 + 40 ms.
    expect(elapsedMs).toBeLessThan(1000)
  })

  it('stops at maxElapsedMs however many attempts remain', async () => {
    const { result, server, elapsedMs } = await tokenFrom(
      (_request, response) => {
        json(response, 500, { error: 'server_error' })
      },
      { retry: { maxAttempts: 1000, baseDelayMs: 50, maxDelayMs: 100, maxElapsedMs: 600 } },
    )
    expect(result).toMatchObject({ status: 500 })
    expect(elapsedMs).toBeLessThan(1000)
    expect(server.count).toBeGreaterThan(2)
    expect(server.count).toBeLessThan(30)
  })

  it('times out a server that never answers, on every attempt, within the bounds', async () => {
    const { result, server, elapsedMs } = await tokenFrom(() => undefined, {
      timeoutMs: 150,
      retry: { ...fast, maxAttempts: 3 },
    })
    expect(result).toBeInstanceOf(TokenRequestTimeoutError)
    expect(server.count).toBe(3)
    expect(elapsedMs).toBeGreaterThanOrEqual(440)
    expect(elapsedMs).toBeLessThan(1500)
  })

  it('times out a server that sends headers and then stalls the body', async () => {
    const { result, server } = await tokenFrom(
      (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' })
        response.write('{"access_token": "tok')
      },
      { timeoutMs: 150, retry: { ...fast, maxAttempts: 2 } },
    )
    expect(result).toBeInstanceOf(TokenRequestTimeoutError)
    expect(server.count).toBe(2)
  })

  it('reports connection resets as unreachable after the retries', async () => {
    const { result, server } = await tokenFrom((_request, response) => {
      response.socket?.destroy()
    })
    expect(result).toBeInstanceOf(TokenEndpointUnreachableError)
    expect(server.count).toBe(4)
  })

  it('reports a refused connection as unreachable, with its network code', async () => {
    const closed = await pool.serve(() => undefined)
    await closed.close()
    const result = await createTokenSource({
      tokenUrl: closed.url,
      clientId: 'app',
      clientSecret: SECRET,
      retry: fast,
    })
      .getToken()
      .catch((error: unknown) => error)
    expect(result).toBeInstanceOf(TokenEndpointUnreachableError)
    expect(result).toMatchObject({
      code: 'ERR_TOKEN_ENDPOINT_UNREACHABLE',
      networkCode: 'ECONNREFUSED',
    })
  })
})

describe('a token source never retries a refusal', () => {
  const refusals = [
    { status: 401, error: 'invalid_client' },
    { status: 400, error: 'invalid_grant' },
    { status: 400, error: 'invalid_scope' },
    { status: 400, error: 'invalid_request' },
    { status: 400, error: 'unauthorized_client' },
    { status: 403, error: 'access_denied' },
    { status: 404, error: undefined },
  ]
  for (const { status, error } of refusals) {
    it(`sends one request when the server answers ${status} ${error ?? '(no body)'}`, async () => {
      const { result, server } = await tokenFrom((_request, response) => {
        if (error === undefined) response.writeHead(status).end()
        else json(response, status, { error, error_description: `because ${error}` })
      })
      expect(result).toBeInstanceOf(OAuthResponseError)
      expect(result).toMatchObject({
        status,
        error: error ?? `http_${status}`,
        error_description: error === undefined ? undefined : `because ${error}`,
      })
      expect(server.count).toBe(1)
    })
  }

  it('refuses malformed JSON once, without retrying', async () => {
    const { result, server } = await tokenFrom((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token": ')
    })
    expect(result).toBeInstanceOf(InvalidTokenResponseError)
    expect(server.count).toBe(1)
  })

  it('refuses a 200 without access_token', async () => {
    const { result } = await tokenFrom((_request, response) => {
      json(response, 200, { token_type: 'Bearer', expires_in: 60 })
    })
    expect(result).toBeInstanceOf(InvalidTokenResponseError)
    expect((result as Error).message).toMatch(/no access_token/)
  })
})
