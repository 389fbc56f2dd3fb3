import { ValidationError } from './errors.js'

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

export function isValidScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value)
}

/** Splits a space-delimited scope string, dropping repeats while keeping the caller's order. */
export function parseScopeString(value: string): string[] {
  return [...new Set(value.split(' ').filter((s) => s !== ''))]
}

/** Validates a list of scope strings for storage, naming the first bad one. */
export function normaliseScopeList(field: string, scopes: readonly string[]): string[] {
  for (const scope of scopes) {
    if (!isValidScopeToken(scope)) {
      throw new ValidationError(
        field,
        `"${scope}" is not a valid scope: use printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3)`,
      )
    }
  }
  return [...new Set(scopes)]
}
