import { afterEach, describe, expect, it } from 'vitest'

import { createTokenSource } from '../src/index.js'
import { json, serverPool } from './support/scripted-server.js'

const pool = serverPool()
afterEach(() => pool.closeAll())

/** A token endpoint issuing `token-<n>`, and an API that refuses the tokens in `refused`. */
async function setUp(refused: string[] = ['token-1'], tokenDelayMs = 0) {
  const tokens = await pool.serve((_request, response, count) => {
    setTimeout(() => {
      json(response, 200, {
        access_token: `token-${count}`,
        token_type: 'bearer',
        expires_in: 3600,
      })
    }, tokenDelayMs)
  })
  const api = await pool.serve((request, response) => {
    const token = request.headers.authorization?.replace(/^Bearer /, '') ?? ''
    if (refused.includes(token)) {
      json(
        response,
        401,
        { error: 'invalid_token' },
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      )
    } else {
      json(response, 200, {
        token,
        body: request.body,
        custom: request.headers['x-custom'] ?? null,
      })
    }
  })
  const source = createTokenSource({ tokenUrl: tokens.url, clientId: 'app', clientSecret: 's' })
  return { tokens, api, source }
}

describe('authFetch', () => {
  it('sends the request with Authorization: Bearer and the caller’s own headers', async () => {
    const { api, source } = await setUp([])
    const response = await source.authFetch(`${api.origin}/things`, {
      headers: { 'x-custom': 'yes', authorization: 'Basic overridden' },
    })
    expect(await response.json()).toEqual({ token: 'token-1', body: '', custom: 'yes' })
    expect(api.requests[0]!.headers.authorization).toBe('Bearer token-1')
  })

  it('after a 401, fetches a fresh token and sends the request once more, body included', async () => {
    const { tokens, api, source } = await setUp()
    const response = await source.authFetch(`${api.origin}/things`, {
      method: 'POST',
      body: JSON.stringify({ a: 1 }),
      headers: { 'content-type': 'application/json' },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ token: 'token-2', body: '{"a":1}' })
    expect(api.requests.map((r) => r.body)).toEqual(['{"a":1}', '{"a":1}'])
    expect(tokens.count).toBe(2)
  })

  it('replays a Request object with its body and headers', async () => {
    const { api, source } = await setUp()
    const request = new Request(`${api.origin}/things`, {
      method: 'PUT',
      body: 'payload',
      headers: { 'x-custom': 'from-request' },
    })
    const response = await source.authFetch(request)
    expect(await response.json()).toEqual({
      token: 'token-2',
      body: 'payload',
      custom: 'from-request',
    })
  })

  it('retries only once: a second 401 is returned to the caller', async () => {
    const { tokens, api, source } = await setUp(['token-1', 'token-2'])
    const response = await source.authFetch(`${api.origin}/things`)
    expect(response.status).toBe(401)
    expect(api.count).toBe(2)
    expect(tokens.count).toBe(2)
  })

  it('does not resend a streamed body, returns the 401, and uses a fresh token next time', async () => {
    const { api, source } = await setUp()
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'))
        controller.close()
      },
    })
    const response = await source.authFetch(`${api.origin}/upload`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    })
    expect(response.status).toBe(401)
    expect(api.count).toBe(1)
    const next = await source.authFetch(`${api.origin}/things`)
    expect(await next.json()).toMatchObject({ token: 'token-2' })
  })

  it('fetches one fresh token when many concurrent requests get a 401', async () => {
    const { tokens, api, source } = await setUp(['token-1'], 30)
    await source.getToken()
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => source.authFetch(`${api.origin}/things`)),
    )
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200))
    expect(tokens.count).toBe(2)
  })

  it('passes other statuses through untouched', async () => {
    const api = await pool.serve((_request, response) => {
      json(response, 403, { error: 'insufficient_scope' })
    })
    const tokens = await pool.serve((_request, response) => {
      json(response, 200, { access_token: 'token', expires_in: 60 })
    })
    const source = createTokenSource({ tokenUrl: tokens.url, clientId: 'app', clientSecret: 's' })
    const response = await source.authFetch(api.origin)
    expect(response.status).toBe(403)
    expect(api.count).toBe(1)
    expect(tokens.count).toBe(1)
  })
})
