import { useState } from 'preact/hooks'

import { messageOf } from '../api/client'
import { ErrorMessage } from './alert'
import { Dialog } from './dialog'
import { Field } from './field'
import { FormActions } from './form-actions'

/**
 * Sets the password of an account (a tenant user or a console administrator): one field, the
 * API's error shown in place, closed by the caller once `save` has succeeded.
 */
export function SetPasswordDialog<T extends { username: string }>({
  account,
  id,
  save,
  onClose,
  onDone,
}: {
  /** The account whose password is set; the dialog is open while it is defined. */
  account: T | undefined
  /** The password field's id. */
  id: string
  save: (account: T, password: string) => Promise<unknown>
  onClose: () => void
  onDone: (account: T) => void
}) {
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  return (
    <Dialog
      title={`Set the password of ${account?.username ?? ''}`}
      open={account !== undefined}
      onClose={onClose}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault()
          if (account === undefined) return
          setBusy(true)
          setError(undefined)
          save(account, password).then(
            () => {
              setBusy(false)
              setPassword('')
              onDone(account)
            },
            (reason: unknown) => {
              setBusy(false)
              setError(messageOf(reason))
            },
          )
        }}
      >
        <Field id={id} label="New password" hint="At least 12 characters.">
          <input
            id={id}
            type="password"
            required
            autoComplete="new-password"
            aria-describedby={`${id}-hint`}
            value={password}
            onInput={(e) => {
              setPassword(e.currentTarget.value)
            }}
          />
        </Field>
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions submit="Set password" busyLabel="Setting…" busy={busy} cancel={onClose} />
      </form>
    </Dialog>
  )
}
