/** RFC 6749 §2.3.1 and Appendix B: form-encode id and secret before base64. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}

/**
 * The `Authorization` value for the API's own application (`client_secret_basic`), as the
 * revocation feed and the scope-use report send it. Form-encoding leaves only ASCII, which
 * `btoa` accepts as is.
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`
}
