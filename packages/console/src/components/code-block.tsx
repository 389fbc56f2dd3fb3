import { CopyButton } from './copy-button'

/** Code to copy: a labelled, focusable, scrollable block with a copy button. */
export function CodeBlock({ code, label, id }: { code: string; label: string; id?: string }) {
  return (
    <div class="code-block">
      <div class="code-block-bar">
        <span class="code-block-label">{label}</span>
        <CopyButton text={code} what={label} />
      </div>
      {/* Focusable so keyboard users can scroll a long line (axe: scrollable-region-focusable). */}
      <pre id={id} tabIndex={0} aria-label={label}>
        <code>{code}</code>
      </pre>
    </div>
  )
}

/** A value (client id, secret) on one line with a copy button. */
export function CopyValue({
  value,
  label,
  id,
  secret = false,
}: {
  value: string
  label: string
  id: string
  secret?: boolean
}) {
  return (
    <div class="copy-value">
      <span class="copy-value-label" id={`${id}-label`}>
        {label}
      </span>
      <div class="copy-value-row">
        <code
          id={id}
          class={secret ? 'value value-secret' : 'value'}
          aria-labelledby={`${id}-label`}
        >
          {value}
        </code>
        <CopyButton text={value} what={label.toLowerCase()} />
      </div>
    </div>
  )
}
