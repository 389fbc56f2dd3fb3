import { useState } from 'preact/hooks'

import type { ApplicationDetail as Application } from '../../api/types'
import { AssertionRequest } from '../../components/assertion-request'
import { CopyValue } from '../../components/code-block'
import { Field } from '../../components/field'
import { SnippetTabs } from '../../components/snippet-tabs'
import { isApiCredentials } from '../../lib/data'

export function TokenRequestSection({ app }: { app: Application }) {
  const [audience, setAudience] = useState(app.grants[0]?.audience ?? '')
  const grant = app.grants.find((g) => g.audience === audience) ?? app.grants[0]
  // The server writes the snippets (the same code as at creation), the secret a placeholder.
  const snippets =
    app.token_requests.find((s) => s.audience === (grant?.audience ?? null)) ??
    app.token_requests[0]
  if (isApiCredentials(app)) {
    const issuer = app.token_endpoint.replace(/\/oauth\/token$/, '')
    return (
      <section class="card" id="token-request" aria-labelledby="token-request-title">
        <h2 id="token-request-title">How these credentials are used</h2>
        <p>
          A resource server authenticates with this client ID and secret (HTTP Basic or in the body)
          to introspect tokens (RFC 7662) and to follow the revocation feed, for example with{' '}
          <code>@tokenmint/verify</code>. It does not request tokens.
        </p>
        <dl class="details">
          <dt>Introspection URL</dt>
          <dd>
            <code>{issuer}/oauth/introspect</code>
          </dd>
          <dt>Revocation feed</dt>
          <dd>
            <code>{issuer}/oauth/revocations</code>
          </dd>
        </dl>
        <CopyValue id="app-client-id" label="Client ID" value={app.client_id} />
      </section>
    )
  }
  return (
    <section class="card" id="token-request" aria-labelledby="token-request-title">
      <h2 id="token-request-title">Token request</h2>
      <dl class="details">
        <dt>Token URL</dt>
        <dd>
          <code>{app.token_endpoint}</code>
        </dd>
        <dt>Audience</dt>
        <dd>
          {grant === undefined ? (
            <span class="muted">None granted</span>
          ) : (
            <code>{grant.audience}</code>
          )}
        </dd>
      </dl>
      <CopyValue id="app-client-id" label="Client ID" value={app.client_id} />
      {app.grants.length > 1 && (
        <Field id="snippet-audience" label="Show the request for">
          <select
            id="snippet-audience"
            value={audience}
            onChange={(e) => {
              setAudience(e.currentTarget.value)
            }}
          >
            {app.grants.map((g) => (
              <option key={g.audience} value={g.audience}>
                {g.audience}
              </option>
            ))}
          </select>
        </Field>
      )}
      {app.status === 'revoked' ? (
        <p class="muted">
          This application is revoked: every token request is refused, so there is no request to
          show.
        </p>
      ) : app.token_endpoint_auth_method === 'private_key_jwt' ? (
        snippets !== undefined && (
          <AssertionRequest snippets={snippets} policies={app.trust_policies ?? []} />
        )
      ) : (
        snippets !== undefined && <SnippetTabs snippets={snippets} />
      )}
    </section>
  )
}
