import { afterEach, describe, expect, it } from 'vitest'

import { createTokenSource, DiscoveryError } from '../src/index.js'
import { json, serverPool, type ScriptedServer } from './support/scripted-server.js'

const pool = serverPool()
afterEach(() => pool.closeAll())

const retry = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 10, maxElapsedMs: 2000 }

/**
 * A server publishing the metadata of issuer `${origin}${issuerPath}` at the `served` paths only
 * (`{path}` stands for the issuer's path), with its token endpoint at `/oauth/token`.
 */
async function metadataServer(
  issuerPath: string,
  served: string[],
  options: { issuer?: (origin: string) => string; failFirst?: number } = {},
): Promise<ScriptedServer & { issuer: string }> {
  let origin = ''
  let failures = 0
  const server = await pool.serve((request, response) => {
    if (request.method === 'POST' && request.path === `${issuerPath}/oauth/token`) {
      json(response, 200, { access_token: 'token', token_type: 'Bearer', expires_in: 60 })
      return
    }
    if (failures < (options.failFirst ?? 0)) {
      failures++
      json(response, 503, { error: 'temporarily_unavailable' })
      return
    }
    if (!served.map((p) => p.replace('{path}', issuerPath)).includes(request.path)) {
      json(response, 404, { error: 'not_found' })
      return
    }
    const issuer = options.issuer?.(origin) ?? `${origin}${issuerPath}`
    json(response, 200, {
      issuer,
      token_endpoint: `${origin}${issuerPath}/oauth/token`,
      grant_types_supported: ['client_credentials'],
    })
  })
  origin = server.origin
  return Object.assign(server, { issuer: `${server.origin}${issuerPath}` })
}

const getPaths = (server: ScriptedServer) =>
  server.requests.filter((r) => r.method === 'GET').map((r) => r.path)

describe('discovering the token endpoint from the issuer', () => {
  it('finds it at the RFC 8414 location for an issuer with a path, with one look-up', async () => {
    const server = await metadataServer('/t/acme', [
      '/.well-known/oauth-authorization-server{path}',
    ])
    const tokens = createTokenSource({ issuer: server.issuer, clientId: 'app', clientSecret: 's' })
    expect((await tokens.getToken()).accessToken).toBe('token')
    tokens.invalidate()
    await tokens.getToken()
    expect(getPaths(server)).toEqual(['/.well-known/oauth-authorization-server/t/acme'])
    expect(server.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([
      '/t/acme/oauth/token',
      '/t/acme/oauth/token',
    ])
  })

  it('falls back to the well-known segment appended to the issuer', async () => {
    const server = await metadataServer('/t/acme', [
      '{path}/.well-known/oauth-authorization-server',
    ])
    await createTokenSource({
      issuer: server.issuer,
      clientId: 'app',
      clientSecret: 's',
    }).getToken()
    expect(getPaths(server)).toEqual([
      '/.well-known/oauth-authorization-server/t/acme',
      '/t/acme/.well-known/oauth-authorization-server',
    ])
  })

  it('falls back to OpenID Connect discovery', async () => {
    const server = await metadataServer('/realms/acme', ['{path}/.well-known/openid-configuration'])
    const token = await createTokenSource({
      issuer: `${server.issuer}/`,
      clientId: 'app',
      clientSecret: 's',
    }).getToken()
    expect(token.accessToken).toBe('token')
    expect(getPaths(server)).toHaveLength(3)
  })

  it('works for an issuer without a path', async () => {
    const server = await metadataServer('', ['/.well-known/oauth-authorization-server'])
    await createTokenSource({
      issuer: server.issuer,
      clientId: 'app',
      clientSecret: 's',
    }).getToken()
    expect(getPaths(server)).toEqual(['/.well-known/oauth-authorization-server'])
  })

  it('retries while the metadata answers 503', async () => {
    const server = await metadataServer('', ['/.well-known/oauth-authorization-server'], {
      failFirst: 2,
    })
    const token = await createTokenSource({
      issuer: server.issuer,
      clientId: 'app',
      clientSecret: 's',
      retry,
    }).getToken()
    expect(token.accessToken).toBe('token')
  })

  it('refuses metadata that names another issuer (RFC 8414 §3.3)', async () => {
    const server = await metadataServer(
      '/t/acme',
      ['/.well-known/oauth-authorization-server{path}'],
      {
        issuer: () => 'https://evil.example.com/t/acme',
      },
    )
    const error = await createTokenSource({
      issuer: server.issuer,
      clientId: 'app',
      clientSecret: 's',
    })
      .getToken()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DiscoveryError)
    expect((error as Error).message).toMatch(/names another issuer/)
    expect(server.requests.some((r) => r.method === 'POST')).toBe(false)
  })

  it('reports an issuer without metadata, and looks again on the next call', async () => {
    const server = await metadataServer('/t/acme', [])
    const tokens = createTokenSource({ issuer: server.issuer, clientId: 'app', clientSecret: 's' })
    await expect(tokens.getToken()).rejects.toBeInstanceOf(DiscoveryError)
    await expect(tokens.getToken()).rejects.toMatchObject({ code: 'ERR_DISCOVERY' })
    expect(getPaths(server)).toHaveLength(6)
  })

  it('reports an unreachable issuer as a discovery error after the retries', async () => {
    const server = await metadataServer('', [])
    await server.close()
    const error = await createTokenSource({
      issuer: server.issuer,
      clientId: 'app',
      clientSecret: 's',
      retry,
    })
      .getToken()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DiscoveryError)
    expect((error as Error).message).toMatch(/ECONNREFUSED/)
  })
})
