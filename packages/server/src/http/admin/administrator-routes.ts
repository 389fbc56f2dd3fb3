import type { Static } from 'typebox'

import type { Services } from '../../compose.js'
import type { Administrator } from '../../domain/model.js'
import {
  createAdministrator,
  deleteAdministrator,
  getAdministrator,
  listAdministrators,
  updateAdministrator,
} from '../../management/administrators.js'
import type { AdminApp } from './api-routes.js'
import { bearer, callerOf, config, errors, guardFor, ifMatch, withEtag } from './route-kit.js'
import * as S from './schemas.js'

function administratorView(a: Administrator): Static<typeof S.Administrator> {
  return {
    id: a.id,
    username: a.username,
    role: a.role,
    status: a.status,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
    last_sign_in_at: a.lastSignInAt?.toISOString() ?? null,
    signs_in_with: a.signsInWith,
  }
}

/**
 * Console administrators (owner only through the console). Passwords are write-only; any
 * change ends the administrator's console sessions.
 */
export function registerAdministratorRoutes(app: AdminApp, services: Services): void {
  const guard = guardFor(services)
  const path = '/admin/v1/tenants/:tenant/administrators'
  const one = `${path}/:administrator`
  const tags = ['administrators']
  const single = { 200: S.Administrator, ...errors }

  app.get(
    path,
    {
      config,
      preValidation: guard('read:administrators'),
      schema: {
        tags,
        security: bearer,
        params: S.TenantParams,
        response: { 200: S.AdministratorList, ...errors },
      },
    },
    async (request) => ({
      items: (await listAdministrators(services.management, request.params.tenant)).map(
        administratorView,
      ),
    }),
  )

  app.post(
    path,
    {
      config,
      preValidation: guard('create:administrators'),
      schema: {
        tags,
        security: bearer,
        params: S.TenantParams,
        body: S.CreateAdministratorBody,
        response: { 201: S.CreatedAdministrator, ...errors },
      },
    },
    async (request, reply) => {
      const created = await createAdministrator(
        services.management,
        callerOf(request),
        request.params.tenant,
        request.body,
      )
      return withEtag(reply.code(201).headers({ 'Cache-Control': 'no-store' }), 1).send({
        ...administratorView(created.administrator),
        ...(created.generatedPassword !== undefined && { password: created.generatedPassword }),
      })
    },
  )

  app.get(
    one,
    {
      config,
      preValidation: guard('read:administrators'),
      schema: {
        tags,
        security: bearer,
        params: S.AdministratorParams,
        response: single,
      },
    },
    async (request, reply) => {
      const administrator = await getAdministrator(
        services.management,
        request.params.tenant,
        request.params.administrator,
      )
      return withEtag(reply, administrator.version).send(administratorView(administrator))
    },
  )

  app.patch(
    one,
    {
      config,
      preValidation: guard('update:administrators'),
      schema: {
        tags,
        security: bearer,
        params: S.AdministratorParams,
        headers: S.IfMatch,
        body: S.UpdateAdministratorBody,
        response: single,
      },
    },
    async (request, reply) => {
      const administrator = await updateAdministrator(
        services.management,
        callerOf(request),
        request.params.tenant,
        request.params.administrator,
        request.body,
        ifMatch(request),
      )
      return withEtag(reply, administrator.version).send(administratorView(administrator))
    },
  )

  app.delete(
    one,
    {
      config,
      preValidation: guard('delete:administrators'),
      schema: {
        tags,
        security: bearer,
        params: S.AdministratorParams,
        response: { 204: S.Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteAdministrator(
        services.management,
        callerOf(request),
        request.params.tenant,
        request.params.administrator,
      )
      return reply.code(204).send(null)
    },
  )
}
