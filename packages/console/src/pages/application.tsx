import { api } from '../api/client'
import type { Api } from '../api/types'
import { ErrorMessage, Warning } from '../components/alert'
import { Link } from '../components/link'
import { StatusBadge } from '../components/status-badge'
import { DateTime, Time } from '../components/time'
import { UsageChart } from '../components/usage-chart'
import { ADMIN_AUDIENCE, isApiCredentials, useApis } from '../lib/data'
import { useSession } from '../lib/session'
import { useAsync } from '../lib/use-async'
import { ActivitySection } from './application-sections/activity'
import { DangerSection } from './application-sections/danger'
import { DetailsSection } from './application-sections/details'
import { InsightBanner } from './application-sections/insight-banner'
import { KeysSection } from './application-sections/keys'
import type { Loaded } from './application-sections/loaded'
import { ScopesSection } from './application-sections/scopes'
import { SecretsSection } from './application-sections/secrets'
import { TokenRequestSection } from './application-sections/token-request'
import { TrustPoliciesSection } from './application-sections/trust-policies'

/**
 * One application: details, scopes, token request, its credentials (secrets, or keys and trust
 * policies), usage, activity, revoke, delete.
 */
export function ApplicationPage({ clientId }: { clientId: string }) {
  const { tenant } = useSession()
  const loaded = useAsync(
    async (signal): Promise<Loaded> => {
      const { data, etag } = await api.get('/admin/v1/tenants/{tenant}/applications/{clientId}', {
        path: { tenant, clientId },
        signal,
      })
      return { app: data, etag }
    },
    [tenant, clientId],
  )
  const apis = useApis({ for: 'applications' })

  if (loaded.data === undefined) {
    return (
      <div class="page">
        <p class="breadcrumb">
          <Link href="/applications">OAuth Applications</Link>
        </p>
        {loaded.error !== undefined ? (
          <>
            <h1>Application not available</h1>
            <ErrorMessage>{loaded.error}</ErrorMessage>
          </>
        ) : (
          <p aria-busy="true">Loading the application…</p>
        )}
      </div>
    )
  }
  return (
    <ApplicationView
      key={clientId}
      loaded={loaded.data}
      apis={apis.data ?? []}
      onChanged={(next) => {
        loaded.setData(next)
      }}
      reload={loaded.reload}
    />
  )
}

interface ViewProps {
  loaded: Loaded
  apis: Api[]
  onChanged: (next: Loaded) => void
  reload: () => void
}

function ApplicationView({ loaded, apis, onChanged, reload }: ViewProps) {
  const { canWrite, isOwner } = useSession()
  const { app } = loaded
  // Only an owner may change an application holding admin API scopes (the server enforces it).
  const privileged = app.built_in || app.grants.some((g) => g.audience === ADMIN_AUDIENCE)
  const mayChange = canWrite && (isOwner || !privileged)
  const editable = mayChange && app.status !== 'revoked'
  const isSecretless = app.token_endpoint_auth_method === 'private_key_jwt'
  const sections = [
    ['details', 'Details'],
    ['scopes', 'Scopes'],
    ['token-request', isApiCredentials(app) ? 'How they are used' : 'Token request'],
    ...(isSecretless
      ? [
          ['keys', 'Keys'],
          ['trust-policies', 'Trust policies'],
        ]
      : [['secrets', 'Secrets']]),
    ['usage', 'Usage'],
    ['activity', 'Activity'],
    ...(mayChange ? [['danger', 'Revoke or delete']] : []),
  ]
  return (
    <div class="page">
      <p class="breadcrumb">
        <Link href="/applications">OAuth Applications</Link> <span aria-hidden="true">/</span>{' '}
        {app.name}
      </p>
      <div class="page-header">
        <div>
          <h1 class="app-title">
            {app.name} <StatusBadge status={app.status} />
            {app.built_in && <span class="tag tag-built-in">Built-in · CLI</span>}
            {isApiCredentials(app) && <span class="tag">API credentials</span>}
          </h1>
          <p class="muted">
            <span class="env">{app.environment}</span> · <code>{app.client_id}</code> · last used{' '}
            <Time iso={app.last_used_at} never="never" />
          </p>
        </div>
      </div>
      {app.built_in && (
        <Warning>
          This is the built-in admin application: the tokenmint CLI signs in with its credentials.
          Rotating its secret, revoking or deleting it stops the CLI until its profile has the new
          secret. {isOwner ? '' : 'Only an owner may change it.'}
        </Warning>
      )}
      {!app.built_in && privileged && !isOwner && (
        <Warning>
          This application holds scopes of the admin API: only an owner may change it.
        </Warning>
      )}
      {isApiCredentials(app) && (
        <p class="hint">
          <strong>API credentials:</strong> used by a resource server to introspect tokens and
          follow the revocation feed. They need no scopes and get no tokens of their own.
        </p>
      )}
      {app.status === 'revoked' && (
        <Warning>
          This application is revoked: it can no longer get tokens, and its tokens are rejected.
          Revocation cannot be undone; create a new application if the integration still needs
          access.
        </Warning>
      )}
      {app.status === 'expired' && (
        <Warning>
          This application expired on <DateTime iso={app.expires_at} />. Set a later expiration
          below to let it get tokens again.
        </Warning>
      )}
      {app.warnings
        ?.filter((w) => !/^secret .* still in use/.test(w))
        .map((w) => (
          <Warning key={w}>{w}</Warning>
        ))}
      {app.status === 'active' && (app.secrets ?? []).some((s) => s.still_in_use) && (
        <Warning>
          A client still uses a secret whose overlap is ending.{' '}
          <a href="#secrets">See the secrets</a> before ending the overlap.
        </Warning>
      )}
      <InsightBanner app={app} mayChange={mayChange} reload={reload} />
      <nav class="toc" aria-label="On this page">
        <ul>
          {sections.map(([id, label]) => (
            <li key={id}>
              <a href={`#${id ?? ''}`}>{label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <DetailsSection loaded={loaded} editable={editable} onChanged={onChanged} />
      <ScopesSection loaded={loaded} apis={apis} editable={editable} onChanged={onChanged} />
      <TokenRequestSection app={app} />
      {isSecretless ? (
        <>
          <KeysSection app={app} editable={editable} reload={reload} />
          <TrustPoliciesSection app={app} editable={editable} reload={reload} />
        </>
      ) : (
        <SecretsSection app={app} editable={editable} reload={reload} />
      )}
      <section class="card" id="usage" aria-labelledby="usage-title">
        <h2 id="usage-title">Usage</h2>
        <p class="muted">
          Last used <Time iso={app.usage?.last_used_at ?? app.last_used_at} never="never" />
          {app.usage?.last_client_ip !== null && app.usage?.last_client_ip !== undefined && (
            <>
              {' '}
              from <code>{app.usage.last_client_ip}</code>
            </>
          )}
          .
        </p>
        <UsageChart days={app.usage?.tokens_per_day ?? []} />
      </section>
      <ActivitySection clientId={app.client_id} version={app.version} />
      {mayChange && <DangerSection app={app} onChanged={onChanged} />}
    </div>
  )
}
