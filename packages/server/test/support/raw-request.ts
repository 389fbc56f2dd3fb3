export interface RawResponse {
  response: Response
  status: number
  /** The body as sent, for checks on the bytes (repeated members, echoed secrets). */
  text: string
  /** The body parsed as JSON, or `{}` when it is empty or not JSON. */
  body: Record<string, unknown>
}

/**
 * A request with the body, method and headers exactly as given: repeated form parameters,
 * repeated JSON members and other shapes `postForm`/`postJson` cannot build.
 */
export async function sendRaw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const response = await fetch(url, { method: init.method ?? 'POST', ...init })
  const text = await response.text()
  let body: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>
  } catch {
    // Not JSON: `text` has it.
  }
  return { response, status: response.status, text, body }
}

/** An `application/x-www-form-urlencoded` POST of a body written by hand. */
export function postRawForm(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return sendRaw(url, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  })
}
