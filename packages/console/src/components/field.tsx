import type { ComponentChildren } from 'preact'

let counter = 0
/** A stable id for label/description wiring. */
export function nextId(prefix: string): string {
  counter += 1
  return `${prefix}-${counter}`
}

interface FieldProps {
  id: string
  label: ComponentChildren
  hint?: ComponentChildren
  error?: string | undefined
  optional?: boolean
  children: ComponentChildren
}

/**
 * A label, the control (whose id is `id`), a hint and an error. The control should set
 * `aria-describedby={describedBy(id, hint, error)}` and `aria-invalid` when in error.
 */
export function Field({ id, label, hint, error, optional, children }: FieldProps) {
  return (
    <div class={`field${error === undefined ? '' : ' field-invalid'}`}>
      <label for={id}>
        {label}
        {optional === true && <span class="optional"> (optional)</span>}
      </label>
      {hint !== undefined && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {children}
      {error !== undefined && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  )
}

export function describedBy(id: string, hint: unknown, error: unknown): string | undefined {
  const ids = [hint === undefined ? '' : `${id}-hint`, error === undefined ? '' : `${id}-error`]
    .filter((x) => x !== '')
    .join(' ')
  return ids === '' ? undefined : ids
}
