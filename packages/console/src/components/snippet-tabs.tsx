import type { Snippets } from '../api/types'
import { CodeBlock } from './code-block'
import { Tabs } from './tabs'

/**
 * The token request as curl (JSON body, form body, Basic auth), TypeScript and Python. With
 * `assertion`, the request of an application without a secret: it sends $CLIENT_ASSERTION, and
 * has no Basic auth form.
 */
export function SnippetTabs({
  snippets,
  assertion = false,
}: {
  snippets: Snippets
  assertion?: boolean
}) {
  return (
    <div class="snippets">
      {assertion ? (
        <p class="hint">
          Each request sends the client assertion from <code>$CLIENT_ASSERTION</code> with the
          client ID; there is no secret.
        </p>
      ) : (
        <p class="hint">
          Set the secret in your shell first, without echoing it:{' '}
          <code>read -rs CLIENT_SECRET &amp;&amp; export CLIENT_SECRET</code> (paste, then Enter).
        </p>
      )}
      <Tabs
        label="Token request"
        tabs={[
          {
            id: 'curl',
            label: 'curl (JSON)',
            content: (
              <CodeBlock code={snippets.curl} label="curl command (JSON body)" id="snippet-curl" />
            ),
          },
          {
            id: 'form',
            label: 'Form body',
            content: (
              <CodeBlock
                code={snippets.curl_form}
                label="curl command (form body)"
                id="snippet-form"
              />
            ),
          },
          ...(assertion
            ? []
            : [
                {
                  id: 'basic',
                  label: 'Basic auth',
                  content: (
                    <CodeBlock
                      code={snippets.curl_basic}
                      label="curl command (Basic auth)"
                      id="snippet-basic"
                    />
                  ),
                },
              ]),
          {
            id: 'client',
            label: '@tokenmint/client',
            content: (
              <CodeBlock
                code={snippets.typescript}
                label="TypeScript with @tokenmint/client"
                id="snippet-client"
              />
            ),
          },
          {
            id: 'python',
            label: 'Python requests',
            content: (
              <CodeBlock code={snippets.python} label="Python with requests" id="snippet-python" />
            ),
          },
        ]}
      />
    </div>
  )
}
