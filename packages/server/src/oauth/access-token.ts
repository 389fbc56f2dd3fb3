import { randomUUID } from 'node:crypto'

import type { TenantRuntime } from './tenant-keyring.js'

export interface AccessTokenInput {
  runtime: TenantRuntime
  subject: string
  clientId: string
  audience: string
  scopes: readonly string[]
  lifetimeSeconds: number
  /** The application's own expiration: no token outlives it. */
  notAfter: Date | null
  now: Date
  /** Claims beside the registered ones; a registered claim of the same name always wins. */
  claims?: Readonly<Record<string, string>> | undefined
  /** RFC 9449 §6 / RFC 7800: the key the token is bound to. */
  confirmation?: { jkt: string }
}

export interface IssuedAccessToken {
  token: string
  jti: string
  issuedAt: number
  expiresAt: number
  scope: string
}

/** Issues an RFC 9068 JWT access token (header `typ: at+jwt`, signed with the current key). */
export function issueAccessToken(input: AccessTokenInput): IssuedAccessToken {
  const iat = Math.floor(input.now.getTime() / 1000)
  let exp = iat + input.lifetimeSeconds
  if (input.notAfter !== null) exp = Math.min(exp, Math.floor(input.notAfter.getTime() / 1000))
  const jti = randomUUID()
  const scope = input.scopes.join(' ')
  const token = input.runtime.signer.sign({
    ...input.claims,
    iss: input.runtime.issuer,
    sub: input.subject,
    aud: input.audience,
    exp,
    iat,
    nbf: iat,
    jti,
    client_id: input.clientId,
    scope,
    ...(input.confirmation !== undefined && { cnf: input.confirmation }),
  })
  return { token, jti, issuedAt: iat, expiresAt: exp, scope }
}
