import { useEffect, useState } from 'preact/hooks'

/** What the deployment shows instead of Tokenmint's name, mark and colour (TOKENMINT_CONSOLE_BRANDING). */
export interface Branding {
  productName: string
  logoUrl: string | null
}

const DEFAULT: Branding = { productName: 'Tokenmint', logoUrl: null }

let loaded: Promise<Branding> | undefined

/** Read once per page load; the accent colour is applied to the document as it arrives. */
function loadBranding(): Promise<Branding> {
  loaded ??= fetch('/console/api/branding', { credentials: 'same-origin' })
    .then(async (response) => {
      if (!response.ok) return DEFAULT
      const body = (await response.json()) as {
        product_name?: string
        logo_url?: string | null
        accent_color?: string | null
      }
      if (typeof body.accent_color === 'string' && /^#[0-9a-f]{6}$/i.test(body.accent_color)) {
        // CSSOM, not an inline style attribute: the console's CSP allows no inline style.
        const root = document.documentElement.style
        root.setProperty('--accent', body.accent_color)
        root.setProperty('--accent-hover', `color-mix(in srgb, ${body.accent_color} 85%, black)`)
        root.setProperty('--accent-soft', `color-mix(in srgb, ${body.accent_color} 8%, white)`)
      }
      return {
        productName: body.product_name ?? DEFAULT.productName,
        logoUrl: body.logo_url ?? null,
      }
    })
    .catch(() => DEFAULT)
  return loaded
}

export function useBranding(): Branding {
  const [branding, setBranding] = useState<Branding>(DEFAULT)
  useEffect(() => {
    let live = true
    void loadBranding().then((value) => {
      if (live) setBranding(value)
    })
    return () => {
      live = false
    }
  }, [])
  return branding
}

/** The product's mark: the deployment's logo, or Tokenmint's. */
export function BrandMark({ branding }: { branding: Branding }) {
  return branding.logoUrl === null ? (
    <span class="brand-mark" aria-hidden="true" />
  ) : (
    <img class="brand-logo" src={branding.logoUrl} alt="" height={24} />
  )
}
