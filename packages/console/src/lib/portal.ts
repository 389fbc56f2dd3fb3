/**
 * Where a console opened from a portal link leads back to (the vendor's settings page). Held in
 * memory for this page, and in this tab's storage where the browser allows it (a third-party
 * frame is usually denied storage; the page there lives as long as the frame). Only http(s)
 * URLs are kept, so the link can never run script.
 */
const KEY = 'tokenmint.console.return-url'
let current: string | undefined

const isWebUrl = (url: string | null | undefined): url is string =>
  typeof url === 'string' && /^https?:\/\//.test(url)

export function rememberReturnUrl(url: string | null): void {
  current = isWebUrl(url) ? url : undefined
  try {
    if (current !== undefined) window.sessionStorage.setItem(KEY, current)
    else window.sessionStorage.removeItem(KEY)
  } catch {
    // Storage denied (a third-party frame): memory is enough for this page.
  }
}

export function returnUrl(): string | undefined {
  if (current !== undefined) return current
  try {
    const stored = window.sessionStorage.getItem(KEY)
    return isWebUrl(stored) ? stored : undefined
  } catch {
    return undefined
  }
}
