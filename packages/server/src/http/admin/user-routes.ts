import type { Static } from '@fastify/type-provider-typebox'

import type { Services } from '../../compose.js'
import type { User } from '../../domain/model.js'
import {
  createUser,
  deleteUser,
  getUser,
  listUsers,
  setPassword,
  setUserStatus,
  unlockUser,
  updateUser,
} from '../../management/users.js'
import type { AdminApp } from './api-routes.js'
import { bearer, callerOf, config, errors, guardFor, ifMatch, withEtag } from './route-kit.js'
import * as S from './schemas.js'

export function userView(user: User, now: Date): Static<typeof S.User> {
  const locked = user.lockedUntil !== null && user.lockedUntil.getTime() > now.getTime()
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    display_name: user.displayName,
    status: user.status === 'disabled' ? 'disabled' : locked ? 'locked' : 'active',
    locked_until: locked ? (user.lockedUntil?.toISOString() ?? null) : null,
    grants: user.grants,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
    last_login_at: user.lastLoginAt?.toISOString() ?? null,
  }
}

/** Tenant users, for the resource-owner password grant. Passwords are write-only. */
export function registerUserRoutes(app: AdminApp, services: Services): void {
  const guard = guardFor(services)
  const now = () => services.management.now()
  const path = '/admin/v1/tenants/:tenant/users'
  const one = `${path}/:user`
  const tags = ['users']
  const single = { 200: S.User, ...errors }

  app.get(
    path,
    {
      config,
      preValidation: guard('read:users'),
      schema: {
        tags,
        security: bearer,
        params: S.TenantParams,
        querystring: S.PageQuery,
        response: { 200: S.UserPage, ...errors },
      },
    },
    async (request) => {
      const page = await listUsers(services.management, request.params.tenant, {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
      })
      return { items: page.items.map((u) => userView(u, now())), next_cursor: page.nextCursor }
    },
  )

  app.post(
    path,
    {
      config,
      preValidation: guard('create:users'),
      schema: {
        tags,
        security: bearer,
        params: S.TenantParams,
        body: S.CreateUserBody,
        response: { 201: S.User, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body
      const user = await createUser(
        services.management,
        callerOf(request).actor,
        request.params.tenant,
        {
          username: body.username,
          password: body.password,
          email: body.email,
          displayName: body.display_name,
          grants: body.grants,
        },
      )
      return withEtag(reply.code(201), user.version).send(userView(user, now()))
    },
  )

  app.get(
    one,
    {
      config,
      preValidation: guard('read:users'),
      schema: { tags, security: bearer, params: S.UserParams, response: single },
    },
    async (request, reply) => {
      const user = await getUser(services.management, request.params.tenant, request.params.user)
      return withEtag(reply, user.version).send(userView(user, now()))
    },
  )

  app.patch(
    one,
    {
      config,
      preValidation: guard('update:users'),
      schema: {
        tags,
        security: bearer,
        params: S.UserParams,
        headers: S.IfMatch,
        body: S.UpdateUserBody,
        response: single,
      },
    },
    async (request, reply) => {
      const body = request.body
      const user = await updateUser(
        services.management,
        callerOf(request).actor,
        request.params.tenant,
        request.params.user,
        {
          username: body.username,
          email: body.email,
          displayName: body.display_name,
          grants: body.grants,
        },
        ifMatch(request),
      )
      return withEtag(reply, user.version).send(userView(user, now()))
    },
  )

  app.post(
    `${one}/password`,
    {
      config,
      preValidation: guard('update:users'),
      schema: {
        tags,
        security: bearer,
        params: S.UserParams,
        body: S.SetPasswordBody,
        response: single,
      },
    },
    async (request) =>
      userView(
        await setPassword(
          services.management,
          callerOf(request).actor,
          request.params.tenant,
          request.params.user,
          request.body.password,
        ),
        now(),
      ),
  )

  for (const [action, run] of [
    [
      'disable',
      (actor: string, tenant: string, id: string) =>
        setUserStatus(services.management, actor, tenant, id, 'disabled'),
    ],
    [
      'enable',
      (actor: string, tenant: string, id: string) =>
        setUserStatus(services.management, actor, tenant, id, 'active'),
    ],
    [
      'unlock',
      (actor: string, tenant: string, id: string) =>
        unlockUser(services.management, actor, tenant, id),
    ],
  ] as const) {
    app.post(
      `${one}/${action}`,
      {
        config,
        preValidation: guard('update:users'),
        schema: { tags, security: bearer, params: S.UserParams, response: single },
      },
      async (request) =>
        userView(
          await run(callerOf(request).actor, request.params.tenant, request.params.user),
          now(),
        ),
    )
  }

  app.delete(
    one,
    {
      config,
      preValidation: guard('delete:users'),
      schema: {
        tags,
        security: bearer,
        params: S.UserParams,
        response: { 204: S.Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteUser(
        services.management,
        callerOf(request).actor,
        request.params.tenant,
        request.params.user,
      )
      return reply.code(204).send(null)
    },
  )
}
