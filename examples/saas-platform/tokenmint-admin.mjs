// The vendor backend's way into Tokenmint's admin API: client credentials of an application of
// the ROOT tenant (the one `tokenmint init` made), whose built-in admin application holds
// `manage:tenants`. Only the vendor's backend ever holds these; no customer sees them.
import { createTokenSource } from '@tokenmint/client'

/** The audience of Tokenmint's own admin API. */
export const ADMIN_AUDIENCE = 'urn:tokenmint:admin'

export class AdminApiError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path}: ${status} ${body?.error_description ?? body?.detail ?? ''}`.trim())
    this.status = status
    this.body = body
  }
}

/**
 * `request(method, path, body)` resolves to `{ status, body }` for a 2xx answer and throws
 * `AdminApiError` for any other. Tokens are cached and refreshed by @tokenmint/client.
 */
export function rootAdmin({ url, tenant, clientId, clientSecret }) {
  const tokens = createTokenSource({
    tokenUrl: `${url}/t/${tenant}/oauth/token`,
    clientId,
    clientSecret,
    audience: ADMIN_AUDIENCE,
  })
  return {
    tenant,
    async request(method, path, body) {
      const response = await tokens.authFetch(`${url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await response.text()
      let parsed
      try {
        parsed = text === '' ? undefined : JSON.parse(text)
      } catch {
        parsed = { detail: text.slice(0, 200) }
      }
      if (!response.ok) throw new AdminApiError(method, path, response.status, parsed)
      return { status: response.status, body: parsed }
    },
  }
}
