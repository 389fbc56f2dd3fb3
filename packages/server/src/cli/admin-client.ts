import { ADMIN_AUDIENCE } from '../domain/admin-api.js'
import { CliError, EXIT } from './cli-error.js'
import { readProfile } from './profile.js'

export interface GlobalOptions {
  url?: string
  tenant?: string
  clientId?: string
  clientSecret?: string
  json?: boolean
}

export interface AdminTarget {
  url: string
  tenant: string
  clientId: string
  clientSecret: string
}

/** Flags, then TOKENMINT_* variables, then the saved profile. */
export function resolveAdminTarget(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): AdminTarget {
  const profile = readProfile(env)
  const url = (options.url ?? env['TOKENMINT_URL'] ?? profile?.url)?.replace(/\/+$/, '')
  if (url === undefined) {
    throw new CliError(
      'no server: pass --url or set TOKENMINT_URL (or run `tokenmint init` on this machine)',
    )
  }
  const tenant = options.tenant ?? env['TOKENMINT_TENANT'] ?? profile?.tenant
  if (tenant === undefined) throw new CliError('no tenant: pass --tenant or set TOKENMINT_TENANT')
  const saved = profile?.url === url ? profile.tenants[tenant] : undefined
  const clientId = options.clientId ?? env['TOKENMINT_CLIENT_ID'] ?? saved?.client_id
  const clientSecret =
    options.clientSecret ?? env['TOKENMINT_CLIENT_SECRET'] ?? saved?.client_secret
  if (clientId === undefined || clientSecret === undefined) {
    throw new CliError(
      `no admin credentials for tenant "${tenant}": pass --client-id and --client-secret, or set TOKENMINT_CLIENT_ID and TOKENMINT_CLIENT_SECRET`,
    )
  }
  return { url, tenant, clientId, clientSecret }
}

interface ErrorBody {
  error?: string
  error_description?: string
  detail?: string
  errors?: { field: string; message: string }[]
}

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) })
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'is unreachable'
    throw new CliError(`the server at ${new URL(url).origin} ${reason}`, EXIT.unavailable)
  }
}

async function failure(response: Response, what: string): Promise<CliError> {
  let body: ErrorBody = {}
  try {
    body = (await response.json()) as ErrorBody
  } catch {
    // not JSON: the status says enough
  }
  const detail = body.detail ?? body.error_description ?? body.error ?? response.statusText
  return new CliError(
    `${what}: ${detail} (HTTP ${response.status})`,
    response.status >= 500 ? EXIT.unavailable : EXIT.refused,
    Array.isArray(body.errors) ? body.errors : [],
  )
}

/** Calls the running server's admin API with a token minted from the admin credentials. */
export class AdminClient {
  #token: string | undefined

  constructor(readonly target: AdminTarget) {}

  tenantPath(suffix = ''): string {
    return `/admin/v1/tenants/${encodeURIComponent(this.target.tenant)}${suffix}`
  }

  async #accessToken(): Promise<string> {
    if (this.#token !== undefined) return this.#token
    const basic = Buffer.from(
      `${encodeURIComponent(this.target.clientId)}:${encodeURIComponent(this.target.clientSecret)}`,
    ).toString('base64')
    const response = await send(`${this.target.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        audience: ADMIN_AUDIENCE,
      }).toString(),
    })
    if (!response.ok) throw await failure(response, 'the admin credentials were refused')
    const body = (await response.json()) as { access_token: string }
    this.#token = body.access_token
    return this.#token
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    return (await this.requestWithEtag<T>(method, path, body, headers)).body
  }

  /**
   * Reads the object for its ETag, then PATCHes it with If-Match: a change made by someone else
   * in between fails with 412 instead of being overwritten.
   */
  async patchCurrent<T>(path: string, body: unknown): Promise<T> {
    const { etag } = await this.requestWithEtag<unknown>('GET', path)
    return this.request<T>('PATCH', path, body, etag === undefined ? {} : { 'if-match': etag })
  }

  /** Also returns the ETag, for a read followed by a conditional update. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async requestWithEtag<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ body: T; etag: string | undefined }> {
    const token = await this.#accessToken()
    const response = await send(`${this.target.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    if (!response.ok)
      throw await failure(response, `${method} ${path.split('?')[0] ?? path} failed`)
    const etag = response.headers.get('etag') ?? undefined
    return { body: (response.status === 204 ? null : await response.json()) as T, etag }
  }
}
