import type { ComponentChildren } from 'preact'
import { useRef, useState } from 'preact/hooks'

import { nextId } from './field'

export interface Tab {
  id: string
  label: string
  content: ComponentChildren
}

/** WAI-ARIA tabs: arrow keys, Home and End move between tabs; Tab goes to the panel. */
export function Tabs({ tabs, label }: { tabs: Tab[]; label: string }) {
  const [selected, setSelected] = useState(tabs[0]?.id ?? '')
  const [prefix] = useState(() => nextId('tabs'))
  const buttons = useRef<(HTMLButtonElement | null)[]>([])
  const index = Math.max(
    0,
    tabs.findIndex((t) => t.id === selected),
  )
  const focusTab = (i: number) => {
    const tab = tabs[(i + tabs.length) % tabs.length]
    if (tab === undefined) return
    setSelected(tab.id)
    buttons.current[(i + tabs.length) % tabs.length]?.focus()
  }
  const current = tabs[index]
  return (
    <div class="tabs">
      <div role="tablist" aria-label={label} class="tablist">
        {tabs.map((tab, i) => (
          <button
            key={tab.id}
            ref={(el) => {
              buttons.current[i] = el
            }}
            type="button"
            role="tab"
            id={`${prefix}-${tab.id}-tab`}
            aria-controls={`${prefix}-${tab.id}-panel`}
            aria-selected={i === index}
            tabIndex={i === index ? 0 : -1}
            class="tab"
            onClick={() => {
              setSelected(tab.id)
            }}
            onKeyDown={(event) => {
              const moves: Record<string, number> = {
                ArrowRight: i + 1,
                ArrowLeft: i - 1,
                Home: 0,
                End: tabs.length - 1,
              }
              const to = moves[event.key]
              if (to !== undefined) {
                event.preventDefault()
                focusTab(to)
              }
            }}
          >
            {tab.label}
          </button>
        ))}
      </div>
      {current !== undefined && (
        <div
          role="tabpanel"
          id={`${prefix}-${current.id}-panel`}
          aria-labelledby={`${prefix}-${current.id}-tab`}
          class="tabpanel"
        >
          {current.content}
        </div>
      )}
    </div>
  )
}
