import type { AnchorHTMLAttributes, ComponentChildren } from 'preact'

import { BASE, navigate } from '../lib/router'

type Props = Omit<AnchorHTMLAttributes, 'href'> & {
  /** A console route: '/applications'. */
  href: string
  children: ComponentChildren
}

/** An ordinary link (open in a new tab works) that navigates in place on a plain click. */
export function Link({ href, children, ...rest }: Props) {
  return (
    <a
      {...rest}
      href={BASE + href}
      onClick={(event) => {
        if (
          event.defaultPrevented ||
          event.button !== 0 ||
          event.metaKey ||
          event.ctrlKey ||
          event.shiftKey ||
          event.altKey
        )
          return
        event.preventDefault()
        navigate(href)
      }}
    >
      {children}
    </a>
  )
}
