import { useState } from 'preact/hooks'

import { api, messageOf } from '../api/client'
import type { Finding } from '../api/types'
import { ErrorMessage } from './alert'
import { Link } from './link'

const KIND_LABEL: Record<Finding['kind'], string> = {
  unused_scopes: 'Unused scopes',
  stale_application: 'Stale application',
  unused_credential: 'Unused credential',
  expiring_application: 'Expires soon',
  secret_in_use_at_overlap_end: 'Old secret still in use',
  token_churn: 'Token churn',
  quota_exceeded: 'Quota exceeded',
}

const CACHE_SNIPPET = `import { createTokenSource } from '@tokenmint/client'

// One source per process: it caches the token and refreshes it shortly before it expires.
const tokens = createTokenSource({ issuer, clientId, clientSecret, audience })
const response = await tokens.authFetch('https://api.example.com/v1/things')`

/**
 * Findings with what to do about each; unused scopes carry the one-click removal (for those who
 * may edit the application; the server checks the same rules).
 */
export function InsightFindings({
  tenant,
  findings,
  days,
  canWrite,
  showApplication,
  onChanged,
}: {
  tenant: string
  findings: Finding[]
  days: number
  canWrite: boolean
  showApplication: boolean
  /** After a removal, with what was done: the caller shows it, since this list may then go. */
  onChanged: (done: string) => void
}) {
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState<string | undefined>(undefined)
  return (
    <>
      <ErrorMessage>{error}</ErrorMessage>
      <ul class="findings">
        {findings.map((f, index) => {
          const key = `${f.kind}:${f.client_id}:${f.audience ?? ''}:${f.credential_id ?? ''}:${String(index)}`
          return (
            <li key={key} class="finding" data-kind={f.kind}>
              <p>
                <span class="tag">{KIND_LABEL[f.kind]}</span>{' '}
                {showApplication && (
                  <Link href={`/applications/${encodeURIComponent(f.client_id)}`} class="strong">
                    {f.name}
                  </Link>
                )}
              </p>
              <p>{f.message}</p>
              {f.kind === 'token_churn' && (
                <details>
                  <summary>How to cache the token</summary>
                  <pre class="code">
                    <code>{CACHE_SNIPPET}</code>
                  </pre>
                </details>
              )}
              {f.kind === 'unused_scopes' && canWrite && f.scopes !== undefined && (
                <button
                  type="button"
                  class="button"
                  disabled={busy !== undefined}
                  aria-busy={busy === key}
                  onClick={() => {
                    setBusy(key)
                    setError(undefined)
                    api
                      .post('/admin/v1/tenants/{tenant}/insights/remove-unused-scopes', {
                        path: { tenant },
                        body: {
                          client_id: f.client_id,
                          audience: f.audience ?? '',
                          scopes: f.scopes ?? [],
                          days,
                        },
                      })
                      .then(() => {
                        onChanged(`Removed ${(f.scopes ?? []).join(' ')} from ${f.name}.`)
                      })
                      .catch((e: unknown) => {
                        setError(messageOf(e))
                      })
                      .finally(() => {
                        setBusy(undefined)
                      })
                  }}
                >
                  Remove these scopes
                </button>
              )}
            </li>
          )
        })}
      </ul>
    </>
  )
}
