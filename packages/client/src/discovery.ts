import { DiscoveryError } from './errors.js'

/**
 * RFC 8414 §3.1: for an issuer with a path, the well-known segment goes between host and
 * path; many servers also serve it appended to the issuer (and OpenID's location), so those
 * are tried next.
 */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/$/, '')
  const base = issuer.replace(/\/$/, '')
  return [
    ...new Set([
      `${url.origin}/.well-known/oauth-authorization-server${path}`,
      `${base}/.well-known/oauth-authorization-server`,
      `${base}/.well-known/openid-configuration`,
    ]),
  ]
}

export async function discoverTokenEndpoint(
  issuer: string,
  fetchFn: typeof fetch,
  timeoutMs: number,
): Promise<string> {
  let lastProblem = 'no metadata document was found'
  for (const url of metadataUrls(issuer)) {
    let response: Response
    try {
      response = await fetchFn(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch {
      lastProblem = `${new URL(url).origin} is unreachable`
      continue
    }
    if (!response.ok) {
      lastProblem = `${url} answered ${response.status}`
      continue
    }
    let metadata: { issuer?: unknown; token_endpoint?: unknown }
    try {
      metadata = (await response.json()) as typeof metadata
    } catch {
      lastProblem = `${url} is not JSON`
      continue
    }
    if (metadata.issuer !== issuer && metadata.issuer !== issuer.replace(/\/$/, '')) {
      throw new DiscoveryError(
        `the metadata at ${url} names another issuer; refusing it (RFC 8414 §3.3)`,
      )
    }
    if (typeof metadata.token_endpoint !== 'string')
      throw new DiscoveryError(`the metadata at ${url} has no token_endpoint`)
    return metadata.token_endpoint
  }
  throw new DiscoveryError(`cannot discover the token endpoint of ${issuer}: ${lastProblem}`)
}
