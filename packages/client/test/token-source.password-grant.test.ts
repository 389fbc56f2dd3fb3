import { afterEach, describe, expect, it } from 'vitest'

import { createTokenSource } from '../src/index.js'
import { json, serverPool, type ReceivedRequest } from './support/scripted-server.js'

const pool = serverPool()
afterEach(() => pool.closeAll())

const form = (request: ReceivedRequest) => Object.fromEntries(new URLSearchParams(request.body))

/**
 * A password-grant server: the password gives `rt-<n>`; a refresh token it issued last gives a
 * new one (rotation), unless `refuseRefresh` says otherwise.
 */
async function passwordServer(
  options: { rotates?: boolean; refuseRefresh?: (count: number) => boolean } = {},
) {
  let current: string | undefined
  return pool.serve((request, response, count) => {
    const body = form(request)
    const issue = () => {
      const refresh = options.rotates === false && current !== undefined ? undefined : `rt-${count}`
      if (refresh !== undefined) current = refresh
      json(response, 200, {
        access_token: `at-${count}`,
        token_type: 'Bearer',
        expires_in: 60,
        ...(refresh !== undefined && { refresh_token: refresh }),
      })
    }
    if (body['grant_type'] === 'password') {
      if (body['username'] === 'robot' && body['password'] === 'pass word') issue()
      else json(response, 400, { error: 'invalid_grant', error_description: 'bad credentials' })
    } else if (body['grant_type'] === 'refresh_token') {
      if (body['refresh_token'] === current && options.refuseRefresh?.(count) !== true) issue()
      else json(response, 400, { error: 'invalid_grant', error_description: 'refresh token used' })
    } else {
      json(response, 400, { error: 'unsupported_grant_type' })
    }
  })
}

function source(tokenUrl: string, clock: { ms: number }) {
  return createTokenSource({
    tokenUrl,
    clientId: 'app',
    clientSecret: 'secret',
    username: 'robot',
    password: 'pass word',
    scope: 'read',
    now: () => clock.ms,
  })
}

describe('the password grant', () => {
  it('signs in with the password, then refreshes with the rotating refresh token', async () => {
    const server = await passwordServer()
    const clock = { ms: 1_000_000 }
    const tokens = source(server.url, clock)
    expect((await tokens.getToken()).accessToken).toBe('at-1')
    clock.ms += 61_000
    expect((await tokens.getToken()).accessToken).toBe('at-2')
    clock.ms += 61_000
    expect((await tokens.getToken()).accessToken).toBe('at-3')
    expect(server.requests.map(form)).toEqual([
      { grant_type: 'password', username: 'robot', password: 'pass word', scope: 'read' },
      { grant_type: 'refresh_token', refresh_token: 'rt-1', scope: 'read' },
      { grant_type: 'refresh_token', refresh_token: 'rt-2', scope: 'read' },
    ])
  })

  it('keeps using the same refresh token when the server does not rotate it', async () => {
    const server = await passwordServer({ rotates: false })
    const clock = { ms: 1_000_000 }
    const tokens = source(server.url, clock)
    await tokens.getToken()
    clock.ms += 61_000
    await tokens.getToken()
    clock.ms += 61_000
    await tokens.getToken()
    expect(server.requests.map((r) => form(r)['refresh_token'])).toEqual([
      undefined,
      'rt-1',
      'rt-1',
    ])
  })

  it('signs in with the password again when the refresh token is refused', async () => {
    const server = await passwordServer({ refuseRefresh: (count) => count === 2 })
    const clock = { ms: 1_000_000 }
    const tokens = source(server.url, clock)
    await tokens.getToken()
    clock.ms += 61_000
    expect((await tokens.getToken()).accessToken).toBe('at-3')
    clock.ms += 61_000
    expect((await tokens.getToken()).accessToken).toBe('at-4')
    expect(server.requests.map((r) => form(r)['grant_type'])).toEqual([
      'password',
      'refresh_token',
      'password',
      'refresh_token',
    ])
    expect(form(server.requests[3]!)['refresh_token']).toBe('rt-3')
  })

  it('reports wrong user credentials as invalid_grant, once', async () => {
    const server = await passwordServer()
    const error = await createTokenSource({
      tokenUrl: server.url,
      clientId: 'app',
      clientSecret: 'secret',
      username: 'robot',
      password: 'wrong',
    })
      .getToken()
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ error: 'invalid_grant', status: 400 })
    expect(server.count).toBe(1)
  })

  it('does not fall back to the password when refreshing fails for another reason', async () => {
    const server = await pool.serve((_request, response, count) => {
      if (count === 1) {
        json(response, 200, { access_token: 'at-1', expires_in: 60, refresh_token: 'rt-1' })
      } else json(response, 401, { error: 'invalid_client' })
    })
    const clock = { ms: 1_000_000 }
    const tokens = source(server.url, clock)
    await tokens.getToken()
    clock.ms += 61_000
    await expect(tokens.getToken()).rejects.toMatchObject({ error: 'invalid_client' })
    expect(server.count).toBe(2)
  })
})
