import { ADMIN_AUDIENCE } from '../domain/admin-api.js'
import { CliError, EXIT } from './cli-error.js'
import { findProfile, profilePath, readProfiles, tenantsOf } from './profile.js'

export interface GlobalOptions {
  url?: string
  tenant?: string
  clientId?: string
  clientSecret?: string
  profile?: string
  json?: boolean
}

export interface AdminTarget {
  url: string
  tenant: string
  clientId: string
  clientSecret: string
  /** The saved profile the credentials came from, if any. */
  profile?: string
}

/**
 * What the flags, variables and profile name. `problem` is set when the tenant or the credentials
 * are missing: it is reported only once the server is known to be reachable.
 */
export interface ResolvedTarget {
  target: AdminTarget
  problem: string | undefined
}

/** Flags, then TOKENMINT_* variables, then the named (or default) saved profile. */
export function resolveAdminTarget(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedTarget {
  const file = readProfiles(env)
  const wanted = options.profile ?? env['TOKENMINT_PROFILE_NAME']
  const named = wanted === undefined ? undefined : file?.profiles[wanted]
  if (wanted !== undefined && named === undefined) {
    const names = Object.keys(file?.profiles ?? {})
    throw new CliError(
      `no profile "${wanted}" in ${profilePath(env)}${names.length > 0 ? `; saved: ${names.join(', ')}` : ''}`,
    )
  }
  const base = named ?? (file?.default === undefined ? undefined : file.profiles[file.default])
  const url = (options.url ?? env['TOKENMINT_URL'] ?? base?.url)?.replace(/\/+$/, '')
  if (url === undefined) {
    throw new CliError(
      'no server: pass --url or set TOKENMINT_URL (or run `tokenmint init` on this machine)',
    )
  }
  const tenant =
    options.tenant ??
    env['TOKENMINT_TENANT'] ??
    (named === undefined ? undefined : named.tenant) ??
    tenantsOf(file, url)[0] ??
    base?.tenant
  // An explicitly named profile is used as is (even one kept after a replacement).
  const saved =
    tenant === undefined
      ? undefined
      : named !== undefined && named.tenant === tenant && named.url.replace(/\/+$/, '') === url
        ? ([wanted ?? '', named] as const)
        : findProfile(file, url, tenant)
  const clientId = options.clientId ?? env['TOKENMINT_CLIENT_ID'] ?? saved?.[1].client_id
  const clientSecret =
    options.clientSecret ?? env['TOKENMINT_CLIENT_SECRET'] ?? saved?.[1].client_secret
  const problem =
    tenant === undefined
      ? `no tenant for ${url}: pass --tenant or set TOKENMINT_TENANT`
      : clientId === undefined || clientSecret === undefined
        ? `no admin credentials for tenant "${tenant}" of ${url}: pass --client-id and --client-secret, set TOKENMINT_CLIENT_ID and TOKENMINT_CLIENT_SECRET, or pick a saved profile with --profile`
        : undefined
  return {
    target: {
      url,
      tenant: tenant ?? '',
      clientId: clientId ?? '',
      clientSecret: clientSecret ?? '',
      ...(saved !== undefined && { profile: saved[0] }),
    },
    problem,
  }
}

interface ErrorBody {
  error?: string
  error_description?: string
  detail?: string
  errors?: { field: string; message: string }[]
}

async function send(url: string, init: RequestInit, timeout = true): Promise<Response> {
  try {
    return await fetch(url, { ...init, ...(timeout && { signal: AbortSignal.timeout(30_000) }) })
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

  readonly target: AdminTarget
  readonly #problem: string | undefined

  constructor(resolved: ResolvedTarget | AdminTarget) {
    if ('target' in resolved) {
      this.target = resolved.target
      this.#problem = resolved.problem
    } else {
      this.target = resolved
      this.#problem = undefined
    }
  }

  tenantPath(suffix = ''): string {
    return `/admin/v1/tenants/${encodeURIComponent(this.target.tenant)}${suffix}`
  }

  async #accessToken(): Promise<string> {
    if (this.#token !== undefined) return this.#token
    if (this.#problem !== undefined) {
      // An unreachable server is the first thing to fix: say so before asking for credentials.
      const response = await send(`${this.target.url}/healthz`, { method: 'GET' })
      await response.body?.cancel()
      throw new CliError(this.#problem)
    }
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
    if (!response.ok)
      throw await failure(
        response,
        `the admin credentials${this.target.profile === undefined ? '' : ` of profile "${this.target.profile}"`} were refused`,
      )
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

  /**
   * A GET whose body is read as it arrives (exports, event streams): no overall time limit,
   * and the caller reads or cancels the body.
   */
  async stream(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const token = await this.#accessToken()
    const response = await send(
      `${this.target.url}${path}`,
      { method: 'GET', headers: { authorization: `Bearer ${token}`, ...headers } },
      false,
    )
    if (!response.ok) throw await failure(response, `GET ${path.split('?')[0] ?? path} failed`)
    return response
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
