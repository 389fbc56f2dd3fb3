import type { ComponentChildren } from 'preact'

/** An error where it happened; announced to screen readers at once. */
export function ErrorMessage({ children }: { children: ComponentChildren }) {
  if (children === undefined || children === null || children === '') return null
  return (
    <div class="alert alert-error" role="alert">
      {children}
    </div>
  )
}

/** A polite notice (saved, copied, …). */
export function Notice({
  children,
  tone = 'info',
}: {
  children: ComponentChildren
  tone?: 'info' | 'success' | 'warning'
}) {
  if (children === undefined || children === null || children === '') return null
  return (
    <div class={`alert alert-${tone}`} role="status">
      {children}
    </div>
  )
}

/** A warning that stays on the page (not announced as it appears). */
export function Warning({ children }: { children: ComponentChildren }) {
  return <div class="alert alert-warning">{children}</div>
}
