/** A Tokenmint tenant id: what follows `/t/` in an issuer. */
const TENANT_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/** An issuer ending in `/t/{tenant}` (a trailing slash kept, as the verifier always has). */
const TENANT_ISSUER = /\/t\/([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\/?$/

/**
 * What `issuer` names: one tenant's issuer (`https://auth.example.com/t/acme`), used as given,
 * or a deployment's base URL (`https://auth.example.com`), whose tenants' issuers are
 * `{base}/t/{tenant}`.
 */
export type IssuerScope =
  { kind: 'tenant'; issuer: string; tenant: string } | { kind: 'deployment'; base: string }

/** Throws a TypeError when a deployment's base URL is not an http(s) URL without query. */
export function issuerScope(issuer: string): IssuerScope {
  const tenant = TENANT_ISSUER.exec(issuer)?.[1]
  if (tenant !== undefined) return { kind: 'tenant', issuer, tenant }
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    throw new TypeError(`issuer must be a URL: ${JSON.stringify(issuer)}`)
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new TypeError(
      "issuer must be a tenant's issuer (…/t/<tenant>) or the deployment's http(s) base URL, without query or fragment",
    )
  }
  return { kind: 'deployment', base: issuer.replace(/\/+$/, '') }
}

/**
 * The tenant of an `iss` under the deployment's base URL: exactly `{base}/t/{tenant}` with a
 * valid tenant id, so neither `{base}.evil.com/t/x` nor `{base}/t/x/y` is one. Undefined
 * otherwise.
 */
export function tenantOfIssuer(base: string, iss: unknown): string | undefined {
  if (typeof iss !== 'string' || !iss.startsWith(`${base}/t/`)) return undefined
  const tenant = iss.slice(base.length + 3)
  return TENANT_ID.test(tenant) ? tenant : undefined
}
