/** Hostile requests to the console's session API: sign-in bodies, session reads, sign-outs. */
import fc from 'fast-check'

import type { FuzzContext, FuzzRequest } from './support.js'
import { hostileString, headerSafeString, mostly, wrongTypeJson } from './values.js'
import { BODY_LIMIT, sessionAuth, type SessionVariant } from './admin-requests.js'

type SignInField = 'tenant' | 'username' | 'password'

function signInRequests(context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const fieldMutation = fc.oneof(
    fc.record({ kind: fc.constant('remove' as const), at: fc.nat({ max: 2 }) }),
    fc.record({
      kind: fc.constant('replace' as const),
      at: fc.nat({ max: 2 }),
      value: hostileString,
    }),
    fc.record({ kind: fc.constant('case' as const), at: fc.nat({ max: 2 }) }),
    fc.record({
      kind: fc.constant('retype' as const),
      at: fc.nat({ max: 2 }),
      json: wrongTypeJson,
    }),
    fc.record({ kind: fc.constant('wrap' as const), at: fc.nat({ max: 2 }) }),
    fc.record({
      kind: fc.constant('duplicate' as const),
      at: fc.nat({ max: 2 }),
      last: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('add' as const), name: hostileString }),
  )
  return fc
    .record({
      mutations: fc.array(fieldMutation, { maxLength: 2 }),
      contentType: mostly<string | null>('application/json', 60, [
        'application/json; charset=utf-8',
        null,
        'text/plain',
        'application/x-www-form-urlencoded',
      ]),
      huge: mostly<'under' | 'over' | undefined>(undefined, 90, ['under', 'over']),
    })
    .map(({ mutations: changes, contentType, huge }) => {
      const original: Record<SignInField, string> = {
        tenant: context.tenant,
        username: context.owner.username,
        password: context.owner.password,
      }
      const fields: SignInField[] = ['tenant', 'username', 'password']
      const members: [string, string][] = fields.map((f) => [f, JSON.stringify(original[f])])
      const mutations: string[] = ['POST /console/api/session']
      for (const change of changes) {
        const i = 'at' in change ? change.at % Math.max(1, members.length) : 0
        const member = members[i]
        switch (change.kind) {
          case 'remove':
            if (member === undefined) break
            mutations.push(`remove ${member[0]}`)
            members.splice(i, 1)
            break
          case 'replace':
            if (member === undefined) break
            mutations.push(`replace ${member[0]}`)
            members[i] = [member[0], JSON.stringify(change.value)]
            break
          case 'case': {
            if (member === undefined) break
            const value = JSON.parse(member[1]) as unknown
            if (typeof value !== 'string') break
            mutations.push(`upper-case ${member[0]}`)
            members[i] = [member[0], JSON.stringify(value.toUpperCase())]
            break
          }
          case 'retype':
            if (member === undefined) break
            mutations.push(`${member[0]} as ${change.json.slice(0, 20)}`)
            members[i] = [member[0], change.json]
            break
          case 'wrap':
            if (member === undefined) break
            mutations.push(`${member[0]} in an array`)
            members[i] = [member[0], `[${member[1]}]`]
            break
          case 'duplicate':
            if (member === undefined) break
            mutations.push(`repeat ${member[0]}`)
            if (change.last) members.push([member[0], member[1]])
            else members.unshift([member[0], JSON.stringify('not-the-password-x')])
            break
          case 'add':
            mutations.push(`add ${JSON.stringify(change.name.slice(0, 20))}`)
            members.push([change.name, JSON.stringify('x')])
            break
        }
      }
      let body = `{${members.map(([n, v]) => `${JSON.stringify(n)}:${v}`).join(',')}}`
      if (huge !== undefined) {
        const target = huge === 'under' ? BODY_LIMIT - 4096 : BODY_LIMIT + 1
        body = `${body.slice(0, -1)},"pad":"${'A'.repeat(Math.max(0, target - body.length - 10))}"}`
        mutations.push(`body ${huge} 1 MiB`)
      }
      if (contentType !== 'application/json')
        mutations.push(`Content-Type ${JSON.stringify(contentType)}`)
      const names = [...members.map(([name]) => name), ...(huge === undefined ? [] : ['pad'])]
      const failure = signInFailure(members, names, original, contentType)
      return {
        target: 'console-session' as const,
        mutations: failure === undefined ? mutations : [...mutations, `(must fail: ${failure})`],
        method: 'POST',
        path: '/console/api/session',
        headers: contentType === null ? [] : [['content-type', contentType] as [string, string]],
        body,
        format: 'problem' as const,
        mustFail: failure !== undefined,
        carried: members
          .filter(([name]) => name === 'password')
          .map(([, v]) => v.replace(/^"|"$/g, '')),
      }
    })
}

/** Why a sign-in must fail, judged on what the server will parse (Ajv coerces [x] to x). */
function signInFailure(
  members: [string, string][],
  names: string[],
  original: Record<SignInField, string>,
  contentType: string | null,
): string | undefined {
  if (contentType === null || !contentType.startsWith('application/json')) return 'not JSON'
  if (names.some((n, i) => names.indexOf(n) !== i)) return 'a member repeated'
  if (names.some((n) => !(n in original))) return 'an unknown member'
  for (const field of Object.keys(original) as SignInField[]) {
    const member = members.find(([n]) => n === field)
    if (member === undefined) return `${field} missing`
    let value: unknown
    try {
      value = JSON.parse(member[1])
    } catch {
      return 'invalid JSON'
    }
    if (Array.isArray(value) && value.length === 1) value = value[0]
    if (typeof value !== 'string') return `${field} is not a string`
    const same =
      field === 'username'
        ? value.trim().toLowerCase() === original.username.toLowerCase()
        : value === original[field]
    if (!same) return `${field} changed`
  }
  return undefined
}

function sessionReads(context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: fc.constantFrom('GET', 'DELETE'),
      variant: fc.constantFrom<SessionVariant>(
        'valid',
        'no-csrf',
        'wrong-csrf',
        'foreign-origin',
        'garbage-cookie',
        'tampered-cookie',
        'no-cookie',
        'secure-cookie-name',
      ),
      junk: headerSafeString,
      hugeCookie: fc.boolean(),
    })
    .map(({ method, variant, junk, hugeCookie }) => {
      // A DELETE with the session and its CSRF token would sign the suite out: never sent.
      const safeVariant = method === 'DELETE' && variant === 'valid' ? 'no-csrf' : variant
      const auth = sessionAuth(context, safeVariant, junk, method)
      const headers = auth.headers
      if (hugeCookie && safeVariant === 'garbage-cookie')
        headers[0] = ['cookie', `tokenmint_session=${'c'.repeat(8000)}`]
      const session = ['valid', 'no-csrf', 'wrong-csrf', 'foreign-origin'].includes(safeVariant)
      // Without a live session, DELETE just clears the cookie (204): only GET must fail then.
      const fails =
        method === 'GET' ? (session ? undefined : auth.fails) : session ? auth.fails : undefined
      return {
        target: 'console-session' as const,
        mutations: [
          `${method} /console/api/session`,
          `session ${safeVariant}`,
          ...(fails === undefined ? [] : [`(must fail: ${fails})`]),
        ],
        method,
        path: '/console/api/session',
        headers,
        format: 'problem' as const,
        mustFail: fails !== undefined,
        carried: [],
      }
    })
}

/** Sign-in bodies, and reads and sign-outs with mangled sessions. */
export function consoleSessionRequests(context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    { weight: 3, arbitrary: signInRequests(context) },
    { weight: 2, arbitrary: sessionReads(context) },
  )
}
