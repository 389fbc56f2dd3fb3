import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'

import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { requireToken as expressRequire } from '../src/adapters/express.js'
import { requireToken as fastifyRequire } from '../src/adapters/fastify.js'
import { requireToken as honoRequire, type TokenmintVariables } from '../src/adapters/hono.js'
import { authenticate } from '../src/adapters/node.js'
import { createVerifier, type Verifier } from '../src/index.js'
import { setUpTenant, startServer, type TestServer } from './support.js'

type Start = (verifier: Verifier) => Promise<{ url: string; close: () => Promise<void> }>

const read = { all: ['read:assigned-policies'] }
const create = { all: ['create:assigned-policies'] }

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}
const closing = (server: http.Server) => () =>
  new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

const adapters: [string, Start][] = [
  [
    'node:http',
    async (verifier) => {
      const server = http.createServer((request, response) => {
        void (async () => {
          const claims = await authenticate(
            verifier,
            request,
            response,
            request.method === 'POST' ? create : read,
          )
          if (claims === undefined) return
          response
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ client_id: claims.client_id, scopes: claims.scopes }))
        })()
      })
      return { url: await listen(server), close: closing(server) }
    },
  ],
  [
    'Express',
    async (verifier) => {
      const app = express()
      app.get('/v1/assigned-policies', expressRequire(verifier, read), (request, response) => {
        response.json({ client_id: request.auth?.client_id, scopes: request.auth?.scopes })
      })
      app.post('/v1/assigned-policies', expressRequire(verifier, create), (request, response) => {
        response.json({ client_id: request.auth?.client_id })
      })
      const server = http.createServer(app)
      return { url: await listen(server), close: closing(server) }
    },
  ],
  [
    'Fastify',
    async (verifier) => {
      const app = Fastify()
      app.get(
        '/v1/assigned-policies',
        { preHandler: fastifyRequire(verifier, read) },
        (request) => ({ client_id: request.auth?.client_id, scopes: request.auth?.scopes }),
      )
      app.post(
        '/v1/assigned-policies',
        { preHandler: fastifyRequire(verifier, create) },
        (request) => ({ client_id: request.auth?.client_id }),
      )
      const url = await app.listen({ host: '127.0.0.1', port: 0 })
      return { url, close: () => app.close() }
    },
  ],
  [
    'Hono',
    async (verifier) => {
      const app = new Hono<{ Variables: TokenmintVariables }>()
      app.get('/v1/assigned-policies', honoRequire(verifier, read), (c) =>
        c.json({ client_id: c.get('auth').client_id, scopes: c.get('auth').scopes }),
      )
      app.post('/v1/assigned-policies', honoRequire(verifier, create), (c) =>
        c.json({ client_id: c.get('auth').client_id }),
      )
      const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }) as http.Server
      await new Promise((resolve) => setTimeout(resolve, 50))
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: closing(server),
      }
    },
  ],
]

/** One suite for every adapter: the same RFC 6750 answers from each. */
describe.each(adapters)('the %s adapter', (_name, start) => {
  let server: TestServer
  let tenant: Awaited<ReturnType<typeof setUpTenant>>
  let verifier: Verifier
  let api: { url: string; close: () => Promise<void> }

  beforeAll(async () => {
    server = await startServer()
    tenant = await setUpTenant(server)
    verifier = createVerifier({ issuer: server.issuer, audience: tenant.api.audience })
    api = await start(verifier)
  })
  afterAll(async () => {
    await api.close()
    verifier.close()
    await server.stop()
  })

  const call = (method: string, authorization?: string) =>
    fetch(`${api.url}/v1/assigned-policies`, {
      method,
      headers: authorization === undefined ? {} : { authorization },
    })

  it('passes typed claims to the handler for a valid token with the scope', async () => {
    const response = await call('GET', `Bearer ${await tenant.mint()}`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      client_id: tenant.app.clientId,
      scopes: ['read:assigned-policies'],
    })
  })

  it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
    const response = await call('GET')
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"')
  })

  it('answers 400 invalid_request for a malformed Authorization header', async () => {
    const response = await call('GET', 'Basic abc')
    expect(response.status).toBe(400)
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"')
  })

  it('answers 401 invalid_token for a bad token, without echoing it', async () => {
    const response = await call('GET', 'Bearer aaa.bbb.ccc')
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"')
    expect(await response.text()).not.toContain('aaa.bbb')
  })

  describe('with a DPoP-bound token (RFC 9449)', () => {
    interface Holder {
      privateKey: CryptoKey
      jwk: JWK
    }
    const holder = async (): Promise<Holder> => {
      const { privateKey, publicKey } = await generateKeyPair('ES256')
      return { privateKey, jwk: await exportJWK(publicKey) }
    }
    const sha256 = async (text: string) =>
      Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString(
        'base64url',
      )
    const proof = async (key: Holder, htm: string, htu: string, token?: string) =>
      new SignJWT({
        jti: crypto.randomUUID(),
        iat: Math.floor(Date.now() / 1000),
        htm,
        htu,
        ...(token !== undefined && { ath: await sha256(token) }),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
        .sign(key.privateKey)
    /** A token bound to `key`, from the real token endpoint. */
    async function boundToken(key: Holder): Promise<string> {
      const response = await fetch(server.tokenEndpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${tenant.app.clientId}:${tenant.app.clientSecret}`).toString('base64')}`,
          dpop: await proof(key, 'POST', server.tokenEndpoint),
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          audience: tenant.api.audience,
        }),
      })
      const body = (await response.json()) as { access_token: string; token_type: string }
      expect(body.token_type).toBe('DPoP')
      return body.access_token
    }
    const resource = () => `${api.url}/v1/assigned-policies`
    const send = (headers: Record<string, string>) => fetch(resource(), { headers })

    it('accepts the token with a fresh proof of the key, and refuses the same proof again', async () => {
      const key = await holder()
      const token = await boundToken(key)
      const dpop = await proof(key, 'GET', resource(), token)
      const ok = await send({ authorization: `DPoP ${token}`, dpop })
      expect(ok.status, await ok.clone().text()).toBe(200)
      const replayed = await send({ authorization: `DPoP ${token}`, dpop })
      expect(replayed.status).toBe(401)
      const challenge = replayed.headers.get('www-authenticate') ?? ''
      expect(challenge).toMatch(/^DPoP realm="api", error="invalid_dpop_proof"/)
      expect(challenge).toContain('algs="ES256')
      expect(challenge).toContain('used before')
    })

    it('refuses the bound token as Bearer, without a proof, or with a proof of another key, URL, method or token', async () => {
      const key = await holder()
      const token = await boundToken(key)
      const other = await holder()
      const cases: [string, Record<string, string>, string][] = [
        ['as Bearer', { authorization: `Bearer ${token}` }, 'invalid_token'],
        ['without a proof', { authorization: `DPoP ${token}` }, 'invalid_dpop_proof'],
        [
          'another key',
          { authorization: `DPoP ${token}`, dpop: await proof(other, 'GET', resource(), token) },
          'invalid_dpop_proof',
        ],
        [
          'another URL',
          {
            authorization: `DPoP ${token}`,
            dpop: await proof(key, 'GET', `${api.url}/other`, token),
          },
          'invalid_dpop_proof',
        ],
        [
          'another method',
          { authorization: `DPoP ${token}`, dpop: await proof(key, 'POST', resource(), token) },
          'invalid_dpop_proof',
        ],
        [
          'no ath',
          { authorization: `DPoP ${token}`, dpop: await proof(key, 'GET', resource()) },
          'invalid_dpop_proof',
        ],
      ]
      for (const [name, headers, error] of cases) {
        const response = await send(headers)
        expect(response.status, name).toBe(401)
        expect(response.headers.get('www-authenticate'), name).toMatch(
          new RegExp(`^DPoP realm="api", error="${error}"`),
        )
      }
      // A plain token sent with the DPoP scheme is refused too: it is not bound to anything.
      const plain = await send({
        authorization: `DPoP ${await tenant.mint()}`,
        dpop: await proof(key, 'GET', resource(), token),
      })
      expect(plain.status).toBe(401)
      expect(await calculateJwkThumbprint(key.jwk)).not.toBe(
        await calculateJwkThumbprint(other.jwk),
      )
    })

    it('answers a request whose Host cannot make a URL with a refusal, never a 500', async () => {
      const key = await holder()
      const token = await boundToken(key)
      const dpop = await proof(key, 'GET', resource(), token)
      const port = new URL(api.url).port
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `GET /v1/assigned-policies HTTP/1.1\r\nHost: [\r\nAuthorization: DPoP ${token}\r\nDPoP: ${dpop}\r\nConnection: close\r\n\r\n`,
          )
        })
        let text = ''
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()))
        socket.on('end', () => resolve(text))
        socket.on('error', reject)
      })
      const status = Number(raw.split(' ')[1])
      expect(status, raw.split('\r\n')[0]).toBeGreaterThanOrEqual(400)
      expect(status, raw.split('\r\n')[0]).toBeLessThan(500)
    })
  })

  it('answers 403 insufficient_scope naming the scope', async () => {
    const response = await call('POST', `Bearer ${await tenant.mint()}`)
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
    expect(response.headers.get('www-authenticate')).toContain('scope="create:assigned-policies"')
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' })
  })
})
