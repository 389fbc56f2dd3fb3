import type { ConsolePaths } from './console-paths'
import type { paths } from './schema'

/** Every path the console calls: the admin API's OpenAPI document plus the console's own. */
export type AllPaths = paths & ConsolePaths

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'

type Operation<P extends keyof AllPaths, M extends Method> = M extends keyof AllPaths[P]
  ? NonNullable<AllPaths[P][M]>
  : never

/** The paths that have an operation for method M. */
export type PathFor<M extends Method> = {
  [P in keyof AllPaths]: [Operation<P, M>] extends [never] ? never : P
}[keyof AllPaths]

type JsonOf<R> = R extends { content: { 'application/json': infer C } } ? C : undefined

type Parameters<O> = O extends { parameters: infer X } ? X : Record<string, never>
type PathParams<O> = Parameters<O> extends { path: infer X } ? X : Record<string, never>
type QueryParams<O> = Parameters<O> extends { query?: infer Q } ? NonNullable<Q> : never

export type RequestBody<P extends keyof AllPaths, M extends Method> =
  Operation<P, M> extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never

export type ResponseBody<P extends keyof AllPaths, M extends Method> =
  Operation<P, M> extends { responses: infer R }
    ? 200 extends keyof R
      ? JsonOf<R[200]>
      : 201 extends keyof R
        ? JsonOf<R[201]>
        : undefined
    : never

export interface RequestOptions<P extends keyof AllPaths, M extends Method> {
  path?: PathParams<Operation<P, M>>
  query?: QueryParams<Operation<P, M>>
  body?: RequestBody<P, M>
  /** The ETag of the last read; the admin API requires it on updates. */
  ifMatch?: string | undefined
  signal?: AbortSignal
}

export interface ApiResult<T> {
  data: T
  status: number
  etag: string | undefined
}

export interface FieldError {
  field: string
  message: string
}

/**
 * An RFC 9457 problem (or a network failure), with a message a person can act on.
 * `message` is what the console shows; `fields` lets forms put errors next to their inputs.
 */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    message: string,
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly fields: readonly FieldError[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(message)
  }
}

let csrfToken: string | undefined
let onUnauthorized: (() => void) | undefined

/** The CSRF token of the session; sent as X-CSRF-Token on every state-changing request. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token
}

/** Called when the server says the session has ended (401 on an admin call). */
export function setUnauthorizedHandler(handler: (() => void) | undefined): void {
  onUnauthorized = handler
}

function expand(template: string, params: Record<string, string> | undefined): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params?.[name]
    if (value === undefined) throw new Error(`missing path parameter ${name}`)
    return encodeURIComponent(value)
  })
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (query === undefined) return ''
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    search.set(key, typeof value === 'string' ? value : JSON.stringify(value))
  }
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}

/** Turns a problem into words: what happened and, where it helps, what to do. */
export function humanMessage(status: number, detail: string, retryAfterSeconds?: number): string {
  const sentence = (text: string) =>
    text === ''
      ? ''
      : text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.')
  switch (status) {
    case 401:
      return detail.includes('incorrect')
        ? sentence(detail)
        : 'Your session has ended. Sign in again to continue.'
    case 403:
      return detail === ''
        ? 'Your role does not allow this action.'
        : `Not allowed: ${detail.replace(/\.$/, '')}.`
    case 404:
      return 'It no longer exists: someone may have deleted it. Reload the list.'
    case 412:
      return 'Someone else changed this since you opened it. Reload to see their changes, then make yours again.'
    case 429:
      return retryAfterSeconds === undefined
        ? 'Too many attempts. Wait a moment and try again.'
        : `Too many attempts. Try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}.`
    default:
      if (status >= 500)
        return 'Tokenmint could not complete this request. Try again in a moment; if it keeps failing, check the server logs.'
      return sentence(detail) || 'The request was refused.'
  }
}

async function problemOf(response: Response): Promise<ApiError> {
  let title = response.statusText
  let detail = ''
  let fields: FieldError[] = []
  try {
    const body = (await response.json()) as {
      title?: unknown
      detail?: unknown
      error_description?: unknown
      errors?: unknown
    }
    if (typeof body.title === 'string') title = body.title
    if (typeof body.detail === 'string') detail = body.detail
    else if (typeof body.error_description === 'string') detail = body.error_description
    if (Array.isArray(body.errors)) fields = body.errors as FieldError[]
  } catch {
    // Not JSON (a proxy's error page): the status alone has to do.
  }
  const retryHeader = response.headers.get('retry-after')
  const retryAfter =
    retryHeader !== null && /^\d+$/.test(retryHeader) ? Number(retryHeader) : undefined
  return new ApiError(
    humanMessage(response.status, detail, retryAfter),
    response.status,
    title,
    detail,
    fields,
    retryAfter,
  )
}

/**
 * Calls the admin API (or the console's session API) on the same origin with the session
 * cookie. State-changing methods carry the CSRF token; updates carry If-Match.
 */
export async function request<P extends keyof AllPaths, M extends Method>(
  method: M,
  path: P,
  options: RequestOptions<P, M> = {},
): Promise<ApiResult<ResponseBody<P, M>>> {
  const url =
    expand(path, options.path as Record<string, string> | undefined) + queryString(options.query)
  const headers: Record<string, string> = { accept: 'application/json' }
  if (method !== 'get' && csrfToken !== undefined) headers['x-csrf-token'] = csrfToken
  if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch
  const payload: unknown = options.body
  let body: string | undefined
  if (payload !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(payload)
  }
  let response: Response
  try {
    response = await fetch(url, {
      method: method.toUpperCase(),
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-store',
      signal: options.signal ?? null,
    })
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error
    throw new ApiError(
      'Tokenmint could not be reached. Check your connection and try again.',
      0,
      'Network error',
      '',
    )
  }
  if (!response.ok) {
    const problem = await problemOf(response)
    if (response.status === 401 && !path.startsWith('/console/api/session')) onUnauthorized?.()
    throw problem
  }
  const text = response.status === 204 ? '' : await response.text()
  return {
    data: (text === '' ? undefined : JSON.parse(text)) as ResponseBody<P, M>,
    status: response.status,
    etag: response.headers.get('etag') ?? undefined,
  }
}

export const api = {
  get: <P extends PathFor<'get'>>(path: P, options?: RequestOptions<P, 'get'>) =>
    request('get', path, options),
  post: <P extends PathFor<'post'>>(path: P, options?: RequestOptions<P, 'post'>) =>
    request('post', path, options),
  patch: <P extends PathFor<'patch'>>(path: P, options?: RequestOptions<P, 'patch'>) =>
    request('patch', path, options),
  delete: <P extends PathFor<'delete'>>(path: P, options?: RequestOptions<P, 'delete'>) =>
    request('delete', path, options),
}

/** A message for anything thrown by an API call. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message
  if (error instanceof Error) return error.message
  return 'Something went wrong.'
}
