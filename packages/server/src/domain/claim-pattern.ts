import { ValidationError } from './errors.js'

/**
 * The patterns a trust policy matches a workload's claims with (its `sub`, a `repository`, a
 * `ref`). Matching is exact. The one wildcard is `*`, and it must be a whole segment (segments
 * are separated by `/` and `:`): in the middle it stands for exactly one non-empty segment, at
 * the end for a non-empty remainder. Anchored at both ends, no regular expressions, no partial
 * segments: `repo:acme/*:ref:refs/heads/main` admits every repository of acme on main, but
 * `repo:acme/app*` is refused, since it would also admit `acme/app-fork-by-anyone`.
 *
 * Written by hand: glob libraries treat `*` as "anything but /" and anchor loosely, which is
 * the very mistake (a loose match on GitHub's `sub` lets other repositories in) this prevents.
 */

export const MAX_PATTERN_LENGTH = 512

// The segments with their separators: 'a/b:c' → ['a', '/', 'b', ':', 'c'] (even: segments).
const tokens = (text: string): string[] => text.split(/([/:])/)

/** Refuses a pattern that is empty, too long, holds control characters, or a partial `*`. */
export function checkClaimPattern(field: string, pattern: unknown): string {
  if (typeof pattern !== 'string' || pattern === '' || pattern.length > MAX_PATTERN_LENGTH)
    throw new ValidationError(
      field,
      `${field} must be a non-empty string of at most ${MAX_PATTERN_LENGTH} characters`,
    )
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(pattern))
    throw new ValidationError(field, `${field} may not contain control characters`)
  const parts = tokens(pattern)
  for (let i = 0; i < parts.length; i += 2) {
    const segment = parts[i] ?? ''
    if (segment.includes('*') && segment !== '*')
      throw new ValidationError(
        field,
        `${field}: "*" must be a whole segment (between "/" or ":"), as in "repo:acme/*:ref:refs/heads/main"; "${segment.slice(0, 40)}" would match more than it says`,
      )
  }
  if (parts.every((part, i) => i % 2 === 1 || part === '*'))
    throw new ValidationError(
      field,
      `${field} must name something exactly: a pattern of wildcards only admits every workload of the issuer`,
    )
  return pattern
}

/** Whether `value` matches `pattern` (already checked by checkClaimPattern). */
export function matchesClaimPattern(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value
  const expected = tokens(pattern)
  const actual = tokens(value)
  for (let i = 0; i < expected.length; i++) {
    const part = expected[i]
    if (i % 2 === 0 && part === '*') {
      // The rest, starting with a non-empty segment: `ci:*` does not admit `ci::x` or `ci:`.
      if (i === expected.length - 1) return (actual[i] ?? '') !== ''
      if (actual[i] === undefined || actual[i] === '') return false
      continue
    }
    if (actual[i] !== part) return false
  }
  return actual.length === expected.length
}
