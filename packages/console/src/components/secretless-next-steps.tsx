import type { CreatedApplication } from '../api/types'
import { AssertionRequest } from './assertion-request'
import { CopyValue } from './code-block'

/**
 * What follows the creation of an application without a secret: nothing to store, only its
 * client ID and how the integration gets a token.
 */
export function SecretlessNextSteps({
  created,
  onClose,
}: {
  created: CreatedApplication
  onClose: () => void
}) {
  const policies = created.trust_policies ?? []
  const jwksUri = created.jwks_uri ?? null
  const isFederated = policies.length > 0
  return (
    <div class="secretless-next">
      <div class="alert alert-info" role="note">
        <strong>No secret was created, so there is nothing to store.</strong>{' '}
        {isFederated
          ? 'The workload proves itself with the token its platform gives it.'
          : 'The integration proves itself with its private key; Tokenmint holds only the public key.'}
      </div>
      <CopyValue id="created-client-id" label="Client ID" value={created.client_id} />
      <section class="section-tight" aria-labelledby="next-steps">
        <h3 id="next-steps">What to do next</h3>
        {isFederated ? (
          <ol>
            <li>
              Let the workload get its platform’s OIDC token for the audience{' '}
              <code>{policies[0]?.audience}</code>: in GitHub Actions give the job{' '}
              <code>permissions: id-token: write</code>; in Kubernetes mount a projected
              service-account token with that audience.
            </li>
            <li>
              Send the platform token as <code>client_assertion</code> with <code>client_id</code>{' '}
              to <code>{created.token_endpoint}</code>. It works while it is valid, so fetch a fresh
              one in each run.
            </li>
          </ol>
        ) : (
          <ol>
            <li>Keep the private key with the integration only; never share or upload it.</li>
            <li>
              Sign assertions with your private key: for each token request, a JWT with{' '}
              <code>iss</code> and <code>sub</code> set to the client ID, <code>aud</code> the token
              URL, a unique <code>jti</code> and an <code>exp</code> at most 5 minutes ahead, sent
              as <code>client_assertion</code> with <code>client_id</code>.
            </li>
            <li>
              {jwksUri === null
                ? 'To rotate, add the new public key on the application’s page, switch the integration to it, then remove the old one.'
                : 'To rotate, publish the new key at the jwks_uri next to the old one, switch, then remove the old one there.'}
            </li>
          </ol>
        )}
        <AssertionRequest snippets={created.snippets} policies={policies} />
      </section>
      <div class="actions">
        <button type="button" class="button button-primary" onClick={onClose}>
          Go to the application
        </button>
      </div>
    </div>
  )
}
