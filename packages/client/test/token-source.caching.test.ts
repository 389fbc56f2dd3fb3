import { afterEach, describe, expect, it } from 'vitest'

import { createTokenSource } from '../src/index.js'
import { json, serverPool, sleep } from './support/scripted-server.js'

const SECRET = 'tms_caching-test-secret'
const pool = serverPool()
afterEach(() => pool.closeAll())

/** A token endpoint that issues `token-<n>` for `lifetimeSeconds`, answering after `delayMs`. */
function issuing(lifetimeSeconds: number, delayMs = 0) {
  return pool.serve((_request, response, count) => {
    setTimeout(() => {
      json(response, 200, {
        access_token: `token-${count}`,
        token_type: 'Bearer',
        expires_in: lifetimeSeconds,
      })
    }, delayMs)
  })
}

describe('a token source reuses its token', () => {
  it('asks the server once and serves later calls from memory', async () => {
    const server = await issuing(3600)
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: SECRET,
    })
    const first = await source.getToken()
    expect(first.expiresAt.getTime() - Date.now()).toBeGreaterThan(3_590_000)
    for (let i = 0; i < 10; i++) expect((await source.getToken()).accessToken).toBe('token-1')
    expect(server.count).toBe(1)
  })

  it('sends the client credentials grant with Basic auth, form-encoding id and secret', async () => {
    const server = await issuing(3600)
    await createTokenSource({
      tokenUrl: server.url,
      clientId: 'my app',
      clientSecret: 'p@ss:word+1',
      scope: 'read:a write:b',
      audience: 'https://api.example.com',
      resource: 'https://api.example.com/',
      extraParams: { tenant: 'acme', grant_type: 'ignored' },
    }).getToken()
    const [sent] = server.requests
    expect(sent!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(sent!.headers.authorization).toBe(`Basic ${btoa('my+app:p%40ss%3Aword%2B1')}`)
    expect(Object.fromEntries(new URLSearchParams(sent!.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'read:a write:b',
      audience: 'https://api.example.com',
      resource: 'https://api.example.com/',
      tenant: 'acme',
    })
  })

  it('sends the credentials in a JSON body with client_secret_post and bodyEncoding json', async () => {
    const server = await issuing(3600)
    await createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: SECRET,
      authMethod: 'client_secret_post',
      bodyEncoding: 'json',
    }).getToken()
    const [sent] = server.requests
    expect(sent!.headers['content-type']).toBe('application/json')
    expect(sent!.headers.authorization).toBeUndefined()
    expect(JSON.parse(sent!.body)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'app',
      client_secret: SECRET,
    })
  })

  it('forgets the token on invalidate() and fetches a new one', async () => {
    const server = await issuing(3600)
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: SECRET,
    })
    await source.getToken()
    source.invalidate()
    expect((await source.getToken()).accessToken).toBe('token-2')
  })

  it('hands out copies: a caller changing its token does not change what others get', async () => {
    const server = await issuing(3600)
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: SECRET,
    })
    const mine = await source.getToken()
    mine.accessToken = 'tampered'
    mine.expiresAt.setTime(0)
    const theirs = await source.getToken()
    expect(theirs.accessToken).toBe('token-1')
    expect(theirs.expiresAt.getTime()).toBeGreaterThan(Date.now())
  })
})

describe('a token source makes one request however many callers wait', () => {
  it('makes exactly one request for 1,000 concurrent first calls', async () => {
    const server = await issuing(3600, 50)
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: SECRET,
    })
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => source.getToken()))
    expect(new Set(tokens.map((t) => t.accessToken))).toEqual(new Set(['token-1']))
    expect(server.count).toBe(1)
  })

  it('makes exactly one request for 1,000 concurrent calls once the token has expired', async () => {
    let clock = 1_000_000
    const server = await issuing(5, 50)
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: SECRET,
      refreshSkewSeconds: 1,
      now: () => clock,
    })
    await source.getToken()
    clock += 6000
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => source.getToken()))
    expect(new Set(tokens.map((t) => t.accessToken))).toEqual(new Set(['token-2']))
    expect(server.count).toBe(2)
  })

  it('makes exactly one background request for 1,000 concurrent calls inside the refresh window', async () => {
    let clock = 1_000_000
    const server = await issuing(5, 100)
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: SECRET,
      refreshSkewSeconds: 2,
      now: () => clock,
    })
    await source.getToken()
    clock += 3500
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => source.getToken()))
    expect(new Set(tokens.map((t) => t.accessToken))).toEqual(new Set(['token-1']))
    await sleep(200)
    expect((await source.getToken()).accessToken).toBe('token-2')
    expect(server.count).toBe(2)
  })
})

describe('a token that expires in 5 seconds', () => {
  it('is refreshed ahead of expiry in the background while callers keep the valid one', async () => {
    let clock = 1_000_000
    const server = await issuing(5, 300)
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: SECRET,
      refreshSkewSeconds: 2,
      now: () => clock,
    })
    expect((await source.getToken()).accessToken).toBe('token-1')
    clock += 2900 // 2.1 s left: outside the skew
    expect((await source.getToken()).accessToken).toBe('token-1')
    expect(server.count).toBe(1)
    clock += 200 // 1.9 s left: inside the skew, still valid
    const started = performance.now()
    for (let i = 0; i < 20; i++) expect((await source.getToken()).accessToken).toBe('token-1')
    // The server takes 300 ms to answer; none of those 20 calls waited for it.
    expect(performance.now() - started).toBeLessThan(150)
    await sleep(400)
    expect((await source.getToken()).accessToken).toBe('token-2')
    expect(server.count).toBe(2)
  })

  it('makes callers wait for a new one once it has expired', async () => {
    let clock = 1_000_000
    const server = await issuing(5, 100)
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: SECRET,
      refreshSkewSeconds: 2,
      now: () => clock,
    })
    await source.getToken()
    clock += 5000
    expect((await source.getToken()).accessToken).toBe('token-2')
  })

  it('with the default 60-second skew, is refreshed at half its life, not on every call', async () => {
    let clock = 1_000_000
    const server = await issuing(5)
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: SECRET,
      now: () => clock,
    })
    await source.getToken()
    for (let i = 0; i < 20; i++) {
      clock += 100 // up to 2 s of its 5 s
      await source.getToken()
      await sleep(1)
    }
    expect(server.count).toBe(1)
    clock += 600 // 2.6 s: past half its life
    await source.getToken()
    await sleep(50)
    expect(server.count).toBe(2)
  })

  it('keeps serving the old token when the background refresh fails, and holds off retrying for a while', async () => {
    let clock = 1_000_000
    const server = await pool.serve((_request, response, count) => {
      if (count === 1) json(response, 200, { access_token: 'token-1', expires_in: 30 })
      else json(response, 400, { error: 'invalid_grant' })
    })
    const source = createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: SECRET,
      refreshSkewSeconds: 20,
      now: () => clock,
    })
    await source.getToken()
    clock += 15_000 // inside the skew
    for (let i = 0; i < 20; i++) {
      expect((await source.getToken()).accessToken).toBe('token-1')
      await sleep(5)
    }
    expect(server.count).toBe(2)
    clock += 6000 // past the cool-down: one more try
    await source.getToken()
    await sleep(50)
    expect(server.count).toBe(3)
    clock += 10_000 // expired: the caller now sees the refusal
    await expect(source.getToken()).rejects.toMatchObject({ error: 'invalid_grant' })
  })
})

describe('servers answer differently, and the token source copes', () => {
  const cases = [
    {
      description: 'expires_in as a string',
      body: () => ({ access_token: 'a', token_type: 'Bearer', expires_in: '120' }),
      expected: { tokenType: 'Bearer', lifetimeSeconds: 120, scope: undefined },
    },
    {
      description: 'token_type in lower case, scope omitted, extra members',
      body: () => ({ access_token: 'a', token_type: 'bearer', expires_in: 60, vendor: { x: [1] } }),
      expected: { tokenType: 'Bearer', lifetimeSeconds: 60, scope: undefined },
    },
    {
      description: 'expires_in missing on a JWT: its exp',
      body: () => ({
        access_token: `e30.${Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 900 })).toString('base64url')}.s`,
        token_type: 'BEARER',
        scope: 'read',
      }),
      expected: { tokenType: 'Bearer', lifetimeSeconds: 900, scope: 'read' },
    },
    {
      description: 'expires_in missing on an opaque token: 300 seconds',
      body: () => ({ access_token: 'opaque', token_type: 'Bearer' }),
      expected: { tokenType: 'Bearer', lifetimeSeconds: 300, scope: undefined },
    },
  ]
  for (const { description, body, expected } of cases) {
    it(`accepts ${description}`, async () => {
      const server = await pool.serve((_request, response) => {
        json(response, 200, body())
      })
      const token = await createTokenSource({
        tokenUrl: server.url,
        clientId: 'app',
        clientSecret: SECRET,
      }).getToken()
      expect(token.tokenType).toBe(expected.tokenType)
      expect(token.scope).toBe(expected.scope)
      const lifetimeSeconds = (token.expiresAt.getTime() - Date.now()) / 1000
      expect(Math.abs(lifetimeSeconds - expected.lifetimeSeconds)).toBeLessThan(2)
    })
  }
})
