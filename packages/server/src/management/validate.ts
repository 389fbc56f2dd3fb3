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

const USERNAME = /^[\p{L}\p{N}._@+-]{1,128}$/u

/** A username of a tenant user or a console administrator: letters, digits and . _ @ + - */
export function validateUsername(username: string): string {
  const value = username.trim()
  if (!USERNAME.test(value))
    throw new ValidationError('username', 'username must be 1-128 letters, digits or . _ @ + -')
  return value
}
