import { ErrorMessage } from '../components/alert'
import { Link } from '../components/link'
import { useApis } from '../lib/data'
import { presetLabel } from '../lib/scopes'
import { useSession } from '../lib/session'

/** APIs (audiences) of the tenant with their scope catalogs and presets. */
export function ApisPage() {
  const { canWrite } = useSession()
  const apis = useApis()
  return (
    <div class="page">
      <p class="breadcrumb">Settings</p>
      <div class="page-header">
        <h1>APIs</h1>
        {canWrite && (
          <Link href="/apis/new" class="button button-primary">
            Register an API
          </Link>
        )}
      </div>
      <p class="hint">
        Each API is an audience with its scopes, organised as a catalog: categories, resources and
        Read / Create / Update / Delete, plus custom scopes and presets.
      </p>
      <ErrorMessage>{apis.error}</ErrorMessage>
      {apis.data === undefined && apis.error === undefined && <p aria-busy="true">Loading…</p>}
      {apis.data !== undefined && (
        <div class="table-wrap" role="region" aria-label="APIs" tabIndex={0}>
          <table class="table table-cards">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Audience</th>
                <th scope="col">Scopes</th>
                <th scope="col">Presets</th>
              </tr>
            </thead>
            <tbody>
              {apis.data.map((item) => (
                <tr key={item.id}>
                  <td data-label="Name">
                    <Link href={`/apis/${encodeURIComponent(item.id)}`} class="strong">
                      {item.name}
                    </Link>
                    {item.built_in && <span class="tag">Built-in</span>}
                    {item.shared && <span class="tag">Shared</span>}
                  </td>
                  <td data-label="Audience">
                    <code>{item.audience}</code>
                  </td>
                  <td data-label="Scopes">{item.scopes.length}</td>
                  <td data-label="Presets">{item.presets.map((p) => presetLabel(p)).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}
