import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'

import { messageOf } from '../api/client'
import { ErrorMessage } from './alert'
import { Dialog } from './dialog'
import { Field } from './field'
import { FormActions } from './form-actions'

// The dialogs of an account: a tenant user or a console administrator. Each shows the API's
// error in place and leaves closing, notices and reloading to the page.

/** A new password's field: required unless `optional`, never filled from a saved password. */
export function PasswordField({
  id,
  label = 'Password',
  hint,
  optional = false,
  value,
  onInput,
}: {
  id: string
  label?: string
  hint: string
  optional?: boolean
  value: string
  onInput: (value: string) => void
}) {
  return (
    <Field id={id} label={label} optional={optional} hint={hint}>
      <input
        id={id}
        type="password"
        required={!optional}
        autoComplete="new-password"
        aria-describedby={`${id}-hint`}
        value={value}
        onInput={(e) => {
          onInput(e.currentTarget.value)
        }}
      />
    </Field>
  )
}

/**
 * Creates an account: the username, then the caller's own fields (`children`). `title` is also
 * the submit button's label; the username is emptied once `create` succeeds, the caller's
 * fields by `onCreated`.
 */
export function CreateAccountDialog<T>({
  title,
  idPrefix,
  busyLabel,
  wide,
  open,
  onClose,
  create,
  onCreated,
  children,
}: {
  title: string
  /** The username field's id is `${idPrefix}-username`. */
  idPrefix: string
  busyLabel: string
  wide?: boolean
  open: boolean
  onClose: () => void
  create: (username: string) => Promise<T>
  onCreated: (created: T) => void
  children: ComponentChildren
}) {
  const [username, setUsername] = useState('')
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  return (
    <Dialog title={title} open={open} onClose={onClose} wide={wide}>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          setBusy(true)
          setError(undefined)
          create(username.trim()).then(
            (created) => {
              setBusy(false)
              setUsername('')
              onCreated(created)
            },
            (reason: unknown) => {
              setBusy(false)
              setError(messageOf(reason))
            },
          )
        }}
      >
        <Field id={`${idPrefix}-username`} label="Username">
          <input
            id={`${idPrefix}-username`}
            type="text"
            required
            autoComplete="off"
            value={username}
            onInput={(e) => {
              setUsername(e.currentTarget.value)
            }}
          />
        </Field>
        {children}
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions submit={title} busyLabel={busyLabel} busy={busy} cancel={onClose} />
      </form>
    </Dialog>
  )
}

/** Sets the password of an account; open while `account` is defined. */
export function SetPasswordDialog<T extends { username: string }>({
  account,
  id,
  save,
  onClose,
  onDone,
}: {
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
        <PasswordField
          id={id}
          label="New password"
          hint="At least 12 characters."
          value={password}
          onInput={setPassword}
        />
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions submit="Set password" busyLabel="Setting…" busy={busy} cancel={onClose} />
      </form>
    </Dialog>
  )
}
