import { DiscoveryError } from './errors.js'
import { exchange } from './exchange.js'
import {
  retryAfterMs,
  withRetries,
  type AttemptOutcome,
  type RetryPolicy,
  type RetryRuntime,
} from './retry.js'

/**
 * Where an issuer's metadata may be, in order. RFC 8414 §3.1 puts the well-known segment between
 * the host and the issuer's path (`https://host/.well-known/oauth-authorization-server/t/acme`);
 * many servers serve it appended to the issuer instead, and OpenID Connect Discovery 1.0 §4
 * appends `/.well-known/openid-configuration`.
 */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/$/, '')
  const base = `${url.origin}${path}`
  return [
    ...new Set([
      `${url.origin}/.well-known/oauth-authorization-server${path}`,
      `${base}/.well-known/oauth-authorization-server`,
      `${base}/.well-known/openid-configuration`,
    ]),
  ]
}

export interface DiscoverySettings {
  fetch: typeof fetch
  timeoutMs: number
  retry: RetryPolicy
  runtime: RetryRuntime
}

/**
 * The issuer's `token_endpoint`. Each round tries the locations in order; a 404 moves on to the
 * next, a network error or timeout ends the round (every location is on the same server), and
 * either, or a 5xx or 429, makes the round worth retrying within the token request's bounds.
 * A document naming another issuer is never used (RFC 8414 §3.3).
 */
export function discoverTokenEndpoint(
  issuer: string,
  settings: DiscoverySettings,
): Promise<string> {
  const expectedIssuer = issuer.replace(/\/$/, '')
  return withRetries(
    settings.retry,
    settings.timeoutMs,
    settings.runtime,
    async (timeoutMs): Promise<AttemptOutcome<string>> => {
      const problems: string[] = []
      let isRetryable = false
      let retryAfter: number | undefined
      for (const url of metadataUrls(issuer)) {
        const result = await exchange(
          settings.fetch,
          url,
          { headers: { accept: 'application/json' } },
          timeoutMs,
        )
        if (result.kind === 'timeout') {
          isRetryable = true
          problems.push(`${url}: no answer within ${timeoutMs} ms`)
          break // the other locations are on the same server
        }
        if (result.kind === 'network') {
          isRetryable = true
          problems.push(
            `${url}: unreachable${result.networkCode === undefined ? '' : ` (${result.networkCode})`}`,
          )
          break
        }
        if (result.status < 200 || result.status >= 300) {
          if (result.status >= 500 || result.status === 429) {
            isRetryable = true
            retryAfter = retryAfterMs(result.headers.get('retry-after'), Date.now()) ?? retryAfter
          }
          problems.push(`${url}: ${result.status}`)
          continue
        }
        let metadata: { issuer?: unknown; token_endpoint?: unknown }
        try {
          metadata = JSON.parse(result.text) as typeof metadata
        } catch {
          problems.push(`${url}: not JSON`)
          continue
        }
        if (typeof metadata !== 'object' || (metadata as unknown) === null) {
          problems.push(`${url}: not a JSON object`)
          continue
        }
        if (
          typeof metadata.issuer !== 'string' ||
          metadata.issuer.replace(/\/$/, '') !== expectedIssuer
        ) {
          problems.push(`${url}: names another issuer, so it is not used (RFC 8414 §3.3)`)
          continue
        }
        if (typeof metadata.token_endpoint !== 'string') {
          problems.push(`${url}: has no token_endpoint`)
          continue
        }
        try {
          new URL(metadata.token_endpoint)
        } catch {
          problems.push(`${url}: token_endpoint is not a URL`)
          continue
        }
        return { ok: true, value: metadata.token_endpoint }
      }
      return {
        ok: false,
        isRetryable,
        error: new DiscoveryError(
          `cannot discover the token endpoint of ${issuer}: ${problems.join('; ')}`,
        ),
        ...(retryAfter !== undefined && { retryAfterMs: retryAfter }),
      }
    },
  )
}
