import type { TestServer } from './server.js'

/** A browser's view of the console API: one cookie jar, the CSRF token from sign-in. */
export class ConsoleClient {
  cookie: string | undefined
  csrf: string | undefined
  lastSetCookie: string | undefined

  constructor(private readonly server: TestServer) {}

  async signIn(tenant: string, username: string, password: string): Promise<Response> {
    const response = await fetch(`${this.server.url}/console/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant, username, password }),
    })
    this.lastSetCookie = response.headers.get('set-cookie') ?? undefined
    if (response.ok) {
      this.cookie = this.lastSetCookie?.split(';')[0]
      this.csrf = ((await response.clone().json()) as { csrf_token: string }).csrf_token
    }
    return response
  }

  call(
    method: string,
    path: string,
    body?: unknown,
    options: { csrf?: boolean; origin?: string } = {},
  ): Promise<Response> {
    return fetch(`${this.server.url}${path}`, {
      method,
      headers: {
        ...(this.cookie !== undefined && { cookie: this.cookie }),
        ...(options.csrf !== false && this.csrf !== undefined && { 'x-csrf-token': this.csrf }),
        ...(options.origin !== undefined && { origin: options.origin }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
  }
}
