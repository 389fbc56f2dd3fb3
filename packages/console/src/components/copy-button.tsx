import { useEffect, useState } from 'preact/hooks'

async function copyText(text: string): Promise<void> {
  if (typeof navigator.clipboard !== 'undefined' && window.isSecureContext) {
    await navigator.clipboard.writeText(text)
    return
  }
  // Plain HTTP on another host has no async clipboard: copy through a selected textarea.
  const area = document.createElement('textarea')
  area.value = text
  area.setAttribute('readonly', '')
  area.className = 'offscreen'
  document.body.append(area)
  area.select()
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the one copy API outside a secure context
  const copied = document.execCommand('copy')
  area.remove()
  if (!copied) throw new Error('copy refused')
}

/**
 * Copies `text`; says so (to screen readers too) for two seconds. The accessible name is
 * "Copy <what>", starting with the visible word.
 */
export function CopyButton({ text, what }: { text: string; what: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle')
  useEffect(() => {
    if (state === 'idle') return undefined
    const timer = setTimeout(() => {
      setState('idle')
    }, 2000)
    return () => {
      clearTimeout(timer)
    }
  }, [state])
  return (
    <span class="copy">
      <button
        type="button"
        class="button button-small"
        onClick={() => {
          copyText(text).then(
            () => {
              setState('copied')
            },
            () => {
              setState('failed')
            },
          )
        }}
      >
        {state === 'copied' ? 'Copied' : 'Copy'}
        <span class="visually-hidden"> {what}</span>
      </button>
      <span class="visually-hidden" role="status">
        {state === 'copied'
          ? 'Copied to the clipboard'
          : state === 'failed'
            ? 'Copy failed: select the text and copy it by hand'
            : ''}
      </span>
    </span>
  )
}
