import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import fastifyStatic from '@fastify/static'
import { Type } from 'typebox'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'

import type { Services } from '../../compose.js'
import type { Config } from '../../config/load-config.js'
import { ValidationError } from '../../domain/errors.js'
import type { ActiveSession } from '../../management/console-sessions.js'
import { NO_STORE } from '../errors.js'
import { refuseRepeatedJsonMembers } from '../repeated-input.js'
import {
  clearSessionCookie,
  requireSameSiteChange,
  sessionCookieValue,
  setSessionCookie,
} from './session-cookie.js'

/**
 * No inline script or style, nothing from another origin (but the branding logo's), and never
 * framed except by the origins TOKENMINT_CONSOLE_FRAME_ANCESTORS lists.
 */
export function consoleHeaders(config: Config): Record<string, string> {
  const ancestors = config.consoleFrameAncestors
  const logo = config.consoleBranding.logoUrl
  const images = ["'self'", 'data:', ...(logo === undefined ? [] : [new URL(logo).origin])]
  return {
    'Content-Security-Policy': [
      "default-src 'self'",
      `img-src ${images.join(' ')}`,
      `frame-ancestors ${ancestors.length === 0 ? "'none'" : ["'self'", ...ancestors].join(' ')}`,
      "base-uri 'none'",
      "form-action 'self'",
      "object-src 'none'",
    ].join('; '),
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    // CSP's frame-ancestors is the rule; X-Frame-Options, which cannot name origins, only when
    // nothing may frame the console (for browsers that know no CSP).
    ...(ancestors.length === 0 && { 'X-Frame-Options': 'DENY' }),
    // Applies to top-level windows only: it does not hinder a frame.
    'Cross-Origin-Opener-Policy': 'same-origin',
  }
}

/** The built console (`@tokenmint/console`'s dist, or the copy packed with the server), or undefined when it was not built. */
export function consoleAssetsDir(): string | undefined {
  const candidates: string[] = []
  try {
    const manifest = createRequire(import.meta.url).resolve('@tokenmint/console/package.json')
    candidates.push(path.join(path.dirname(manifest), 'dist'))
  } catch {
    // Not installed as a package: fall back to the monorepo layout.
  }
  const here = path.dirname(fileURLToPath(import.meta.url))
  candidates.push(
    path.resolve(here, '../../../../console/dist'),
    // An installed @tokenmint/server carries a copy (scripts/bundle-console.mjs, at pack time).
    path.resolve(here, '../../console'),
  )
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html')))
}

function sessionView(active: ActiveSession) {
  return {
    csrf_token: active.csrfToken,
    administrator: {
      id: active.administrator.id,
      username: active.administrator.username,
      role: active.administrator.role,
      tenant: active.administrator.tenantId,
    },
    expires_at: active.session.expiresAt.toISOString(),
  }
}

const SignInBody = Type.Object(
  {
    tenant: Type.String({ minLength: 1, maxLength: 63 }),
    username: Type.String({ minLength: 1, maxLength: 256 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
)

function unauthenticated(reply: FastifyReply, detail: string) {
  return reply.code(401).headers(NO_STORE).type('application/problem+json').send({
    type: 'about:blank',
    title: 'Unauthorized',
    status: 401,
    detail,
    error: 'unauthorized',
  })
}

/**
 * The web console (in the context where @fastify/cookie is registered, see routes.ts): its sign-in API (`/console/api/session`) and its static files under
 * `/console/`. Everything else the console does goes through `/admin/v1` with the session.
 */
export async function registerConsoleRoutes(
  root: FastifyInstance,
  services: Services,
): Promise<void> {
  await root.register(async (scope) => {
    const headers = consoleHeaders(services.config)
    scope.addHook('onSend', async (_request, reply) => {
      void reply.headers(headers)
    })
    // A sign-in naming its password twice must not mean one thing here and another elsewhere.
    refuseRepeatedJsonMembers(
      scope,
      (name) => new ValidationError(name, `${name} is repeated; send it once`),
    )
    const app = scope.withTypeProvider<TypeBoxTypeProvider>()
    const config = { errorFormat: 'problem' as const }

    app.post(
      '/console/api/session',
      { config, schema: { body: SignInBody } },
      async (request, reply) => {
        const signedIn = await services.consoleSessions.signIn({ ...request.body, ip: request.ip })
        setSessionCookie(services.config, reply, signedIn.sessionId, signedIn.session.expiresAt)
        return reply.headers(NO_STORE).send(sessionView(signedIn))
      },
    )

    // A portal link's secret, read by the console page from the URL fragment, for a session.
    app.post(
      '/console/api/portal-session',
      {
        config,
        schema: {
          body: Type.Object(
            { link: Type.String({ minLength: 1, maxLength: 128 }) },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const signedIn = await services.consoleSessions.signInWithPortalLink({
          secret: request.body.link,
          ip: request.ip,
        })
        setSessionCookie(services.config, reply, signedIn.sessionId, signedIn.session.expiresAt)
        return reply
          .headers(NO_STORE)
          .send({ ...sessionView(signedIn), return_url: signedIn.returnUrl })
      },
    )

    // Public: the sign-in page is branded before anyone signs in.
    app.get('/console/api/branding', { config }, async (_request, reply) => {
      const { productName, logoUrl, accentColor } = services.config.consoleBranding
      return reply.header('Cache-Control', 'no-cache').send({
        product_name: productName,
        logo_url: logoUrl ?? null,
        accent_color: accentColor ?? null,
      })
    })

    app.get('/console/api/session', { config }, async (request, reply) => {
      const sessionId = sessionCookieValue(services.config, request)
      const active =
        sessionId === undefined ? undefined : await services.consoleSessions.resolve(sessionId)
      if (active === undefined) return unauthenticated(reply, 'not signed in')
      return reply.headers(NO_STORE).send(sessionView(active))
    })

    app.delete('/console/api/session', { config }, async (request, reply) => {
      const sessionId = sessionCookieValue(services.config, request)
      const active =
        sessionId === undefined ? undefined : await services.consoleSessions.resolve(sessionId)
      if (sessionId !== undefined && active !== undefined) {
        requireSameSiteChange(services.config, services.consoleSessions, request, sessionId)
        await services.consoleSessions.signOut(active)
      }
      clearSessionCookie(services.config, reply)
      return reply.code(204).headers(NO_STORE).send()
    })

    const assets = consoleAssetsDir()
    if (assets === undefined) {
      app.get('/console', (_request, reply) =>
        reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('The web console was not built: run `npm run build` and restart.\n'),
      )
      return
    }
    await app.register(fastifyStatic, {
      root: assets,
      prefix: '/console/',
      wildcard: false,
      index: false,
      cacheControl: false,
      setHeaders: (reply, filePath) => {
        // Hashed file names may be cached for ever; index.html must be fetched every time.
        void reply.header(
          'Cache-Control',
          filePath.includes(`${path.sep}assets${path.sep}`)
            ? 'public, max-age=31536000, immutable'
            : 'no-cache',
        )
      },
    })
    const index = (_request: unknown, reply: FastifyReply) =>
      reply.header('Cache-Control', 'no-cache').sendFile('index.html')
    app.get('/console', (_request, reply) => reply.redirect('/console/', 302))
    app.get('/console/', index)
    app.get('/console/*', index)
  })
}
