/** One HTTP exchange, classified without keeping the platform's error (it may describe the request). */
export type ExchangeResult =
  | { kind: 'response'; status: number; headers: Headers; text: string }
  | { kind: 'timeout' }
  | { kind: 'network'; networkCode: string | undefined }

/** The first string `code` along an error's cause chain (undici nests it: TypeError → Error). */
function networkCodeOf(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown }
    if (typeof code === 'string') return code
    current = cause
  }
  return undefined
}

/**
 * Sends a request and reads the whole body within `timeoutMs`: a server that sends headers and
 * then stalls is a timeout too, not a hang.
 */
export async function exchange(
  fetchFn: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<ExchangeResult> {
  const controller = new AbortController()
  const timer = setTimeout(() => {
    controller.abort()
  }, timeoutMs)
  try {
    const response = await fetchFn(url, { ...init, signal: controller.signal })
    const text = await response.text()
    return { kind: 'response', status: response.status, headers: response.headers, text }
  } catch (error) {
    if (controller.signal.aborted) return { kind: 'timeout' }
    return { kind: 'network', networkCode: networkCodeOf(error) }
  } finally {
    clearTimeout(timer)
  }
}
