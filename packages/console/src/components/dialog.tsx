import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'

import { messageOf } from '../api/client'
import { ErrorMessage } from './alert'
import { nextId } from './field'
import { FormActions } from './form-actions'

interface DialogProps {
  title: string
  open: boolean
  onClose: () => void
  children: ComponentChildren
  /** Whether Escape and the close button may dismiss it (not while a secret is unconfirmed). */
  dismissible?: boolean
  wide?: boolean
}

/** A modal <dialog>: focus stays inside, Escape closes, focus returns to where it was. */
export function Dialog({ title, open, onClose, children, dismissible = true, wide }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null)
  const [titleId] = useState(() => nextId('dialog-title'))
  const returnFocus = useRef<Element | null>(null)

  useEffect(() => {
    const dialog = ref.current
    if (dialog === null) return
    if (open && !dialog.open) {
      returnFocus.current = document.activeElement
      dialog.showModal()
    } else if (!open && dialog.open) {
      dialog.close()
      if (returnFocus.current instanceof HTMLElement && returnFocus.current.isConnected)
        returnFocus.current.focus()
    }
  }, [open])

  return (
    <dialog
      ref={ref}
      class={wide === true ? 'dialog dialog-wide' : 'dialog'}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault()
        if (dismissible) onClose()
      }}
    >
      {open && (
        <>
          <div class="dialog-header">
            <h2 id={titleId}>{title}</h2>
            {dismissible && (
              <button type="button" class="button-icon" aria-label="Close" onClick={onClose}>
                ×
              </button>
            )}
          </div>
          <div class="dialog-body">{children}</div>
        </>
      )}
    </dialog>
  )
}

interface ConfirmProps {
  title: string
  open: boolean
  onClose: () => void
  /** Runs the action; an error keeps the dialog open and shows it. */
  onConfirm: () => Promise<void>
  confirmLabel: string
  danger?: boolean
  /** The user must type this text to enable the confirm button. */
  requireText?: string
  children: ComponentChildren
}

/** Asks before a destructive or irreversible action. */
export function ConfirmDialog({
  title,
  open,
  onClose,
  onConfirm,
  confirmLabel,
  danger = false,
  requireText,
  children,
}: ConfirmProps) {
  const [typed, setTyped] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const [inputId] = useState(() => nextId('confirm-text'))

  useEffect(() => {
    if (open) {
      setTyped('')
      setError(undefined)
      setBusy(false)
    }
  }, [open])

  const ready = requireText === undefined || typed === requireText
  return (
    <Dialog title={title} open={open} onClose={onClose} dismissible={!busy}>
      <form
        onSubmit={(event) => {
          event.preventDefault()
          if (!ready || busy) return
          setBusy(true)
          setError(undefined)
          onConfirm().then(
            () => {
              setBusy(false)
              onClose()
            },
            (reason: unknown) => {
              setBusy(false)
              setError(messageOf(reason))
            },
          )
        }}
      >
        <div class="dialog-text">{children}</div>
        {requireText !== undefined && (
          <div class="field">
            <label for={inputId}>
              Type <strong class="confirm-phrase">{requireText}</strong> to confirm
            </label>
            <input
              id={inputId}
              type="text"
              autoComplete="off"
              spellcheck={false}
              value={typed}
              onInput={(event) => {
                setTyped(event.currentTarget.value)
              }}
            />
          </div>
        )}
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions
          submit={confirmLabel}
          busyLabel="Working…"
          busy={busy}
          ready={ready}
          danger={danger}
          autoFocus={requireText === undefined && !danger}
          cancel={onClose}
        />
      </form>
    </Dialog>
  )
}
