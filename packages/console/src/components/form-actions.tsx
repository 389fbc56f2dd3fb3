interface FormActionsProps {
  /** The submit button's label. */
  submit: string
  /** Its label while the request is in flight (else it keeps `submit`). */
  busyLabel?: string
  busy: boolean
  /** False keeps submit disabled (e.g. until a confirmation phrase is typed). */
  ready?: boolean
  danger?: boolean
  autoFocus?: boolean
  cancel: () => void
  /** "Cancel" unless the step before has a name ("Back"). */
  cancelLabel?: string
}

/**
 * The row that ends every form: a way out and the submit button. Both are disabled while the
 * request is in flight, so a form cannot be closed or sent twice under a pending answer.
 */
export function FormActions({
  submit,
  busyLabel,
  busy,
  ready = true,
  danger = false,
  autoFocus = false,
  cancel,
  cancelLabel = 'Cancel',
}: FormActionsProps) {
  return (
    <div class="actions">
      <button type="button" class="button" onClick={cancel} disabled={busy}>
        {cancelLabel}
      </button>
      <button
        type="submit"
        class={danger ? 'button button-danger' : 'button button-primary'}
        disabled={!ready || busy}
        autoFocus={autoFocus}
      >
        {busy && busyLabel !== undefined ? busyLabel : submit}
      </button>
    </div>
  )
}
