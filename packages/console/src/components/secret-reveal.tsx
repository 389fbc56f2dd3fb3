import { useEffect, useRef, useState } from 'preact/hooks'

import type { Snippets } from '../api/types'
import { setNavigationGuard } from '../lib/router'
import { CopyValue } from './code-block'
import { Dialog } from './dialog'
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
  // Read by the navigation guard: effects run after paint, so a Close pressed right after the
  // box is ticked could still meet the guard of the unticked state and be held.
  const storedNow = useRef(false)
  const [checkboxId] = useState(() => nextId('stored'))
  const [leaveId] = useState(() => nextId('stored-leave'))
  // A navigation held until the user confirms, as the close button asks, that the secret is stored.
  const [leaving, setLeaving] = useState<(() => void) | undefined>(undefined)
  const [leaveConfirmed, setLeaveConfirmed] = useState(false)

  useEffect(() => {
    if (stored) return undefined
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault()
    }
    window.addEventListener('beforeunload', warn)
    const release = setNavigationGuard((proceed) => {
      if (storedNow.current) {
        proceed()
        return
      }
      setLeaveConfirmed(false)
      setLeaving(() => proceed)
    })
    return () => {
      window.removeEventListener('beforeunload', warn)
      release()
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
            storedNow.current = event.currentTarget.checked
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
      <Dialog
        title="Leave without the client secret?"
        open={leaving !== undefined}
        onClose={() => {
          setLeaving(undefined)
        }}
      >
        <form
          onSubmit={(event) => {
            event.preventDefault()
            if (!leaveConfirmed || leaving === undefined) return
            const proceed = leaving
            setLeaving(undefined)
            storedNow.current = true
            setStored(true)
            proceed()
          }}
        >
          <p class="dialog-text">
            <strong>The client secret is shown only on this page.</strong> Tokenmint keeps nothing
            but a hash of it: once you leave, nobody can show it again, and the only way back is to
            rotate the secret.
          </p>
          <div class="confirm-stored">
            <input
              type="checkbox"
              id={leaveId}
              checked={leaveConfirmed}
              onChange={(event) => {
                setLeaveConfirmed(event.currentTarget.checked)
              }}
            />
            <label for={leaveId}>I have stored this client secret in a secure location</label>
          </div>
          <div class="actions">
            <button
              type="button"
              class="button button-primary"
              onClick={() => {
                setLeaving(undefined)
              }}
            >
              Stay and copy the secret
            </button>
            <button type="submit" class="button button-danger" disabled={!leaveConfirmed}>
              Leave this page
            </button>
          </div>
        </form>
      </Dialog>
    </div>
  )
}
