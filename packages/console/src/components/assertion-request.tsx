import type { Snippets } from '../api/types'
import { platformTokenCommand } from '../lib/platform-token'
import { CodeBlock } from './code-block'
import { SnippetTabs } from './snippet-tabs'

interface AssertionRequestProps {
  /** The server's token requests, which send $CLIENT_ASSERTION. */
  snippets: Snippets
  /** The application's trust policies: the first one's workload is the example. */
  policies: readonly { issuer: string; audience: string }[]
}

/**
 * The token request of a secretless application: where its client assertion comes from (the
 * platform's token for a trusted workload, else one signed with its private key), then the
 * request itself.
 */
export function AssertionRequest({ snippets, policies }: AssertionRequestProps) {
  const workload = policies[0]
  return (
    <>
      {workload !== undefined ? (
        <CodeBlock
          code={platformTokenCommand(workload)}
          label="Get the platform token"
          id="snippet-platform-token"
        />
      ) : (
        <p class="hint">
          <code>$CLIENT_ASSERTION</code> is a JWT signed with the application’s private key:{' '}
          <code>iss</code> and <code>sub</code> the client ID, <code>aud</code> the token URL, a
          unique <code>jti</code> and an <code>exp</code> at most 5 minutes ahead. Sign a new one
          for every request (<code>privateKeyJwt()</code> of <code>@tokenmint/client</code> does).
        </p>
      )}
      <SnippetTabs snippets={snippets} assertion />
    </>
  )
}
