import { ValidationError } from '../domain/errors.js'

/** A trimmed, non-empty string of at most `max` characters without control characters. */
export function requireText(field: string, value: string, max: number): string {
  const trimmed = value.trim()
  if (trimmed === '') throw new ValidationError(field, `${field} must not be empty`)
  if (trimmed.length > max)
    throw new ValidationError(field, `${field} must be at most ${max} characters`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed))
    throw new ValidationError(field, `${field} must not contain control characters`)
  return trimmed
}

export function optionalText(field: string, value: string | undefined, max: number): string {
  if (value === undefined || value.trim() === '') return ''
  return requireText(field, value, max)
}
