import { useEffect, useState } from 'preact/hooks'

import type { Snippets } from '../api/types'
import { CopyValue } from './code-block'
import { nextId } from './field'
import { SnippetTabs } from './snippet-tabs'

interface SecretRevealProps {
  clientId: string
  secret: string
  snippets?: Snippets | undefined
  closeLabel: string
  onClose: () => void
}

/**
 * The one time a client secret is shown: the values with copy buttons, how to use them, and a
 * confirmation that it has been stored before it can be closed. Leaving the page asks first.
 */
export function SecretReveal({
  clientId,
  secret,
  snippets,
  closeLabel,
  onClose,
}: SecretRevealProps) {
  const [stored, setStored] = useState(false)
  const [checkboxId] = useState(() => nextId('stored'))

  useEffect(() => {
    if (stored) return undefined
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault()
    }
    window.addEventListener('beforeunload', warn)
    return () => {
      window.removeEventListener('beforeunload', warn)
    }
  }, [stored])

  return (
    <div class="secret-reveal">
      <div class="alert alert-warning" role="note">
        <strong>Copy the client secret now.</strong> It is shown only this once: Tokenmint keeps
        nothing but a hash of it. If it is lost, rotate the secret to get a new one.
      </div>
      <CopyValue id="created-client-id" label="Client ID" value={clientId} />
      <CopyValue id="created-client-secret" label="Client secret" value={secret} secret />
      {snippets !== undefined && (
        <section class="section-tight" aria-labelledby="try-it">
          <h3 id="try-it">Get a token</h3>
          <p>
            A ready-to-run request to <code>{snippets.token_endpoint}</code>
            {snippets.audience !== null && (
              <>
                {' '}
                for <code>{snippets.audience}</code>
              </>
            )}
            , with the secret read from <code>$CLIENT_SECRET</code>.
          </p>
          <SnippetTabs snippets={snippets} />
        </section>
      )}
      <div class="confirm-stored">
        <input
          type="checkbox"
          id={checkboxId}
          checked={stored}
          required
          onChange={(event) => {
            setStored(event.currentTarget.checked)
          }}
        />
        <label for={checkboxId}>I have stored this client secret in a secure location</label>
      </div>
      <div class="actions">
        <button
          type="button"
          class="button button-primary"
          disabled={!stored}
          aria-describedby={stored ? undefined : `${checkboxId}-why`}
          onClick={onClose}
        >
          {closeLabel}
        </button>
        {!stored && (
          <span class="hint" id={`${checkboxId}-why`}>
            Confirm that you stored the secret to continue.
          </span>
        )}
      </div>
    </div>
  )
}
