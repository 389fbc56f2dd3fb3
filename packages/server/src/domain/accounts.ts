// Tenant users (the password grant) and console administrators are both accounts: one username
// rule, one password policy (passwords.ts), one case-insensitive uniqueness.
import { ValidationError } from './errors.js'

const USERNAME = /^[\p{L}\p{N}._@+-]{1,128}$/u

/** A username of a tenant user or a console administrator: letters, digits and . _ @ + - */
export function validateUsername(username: string): string {
  const value = username.trim()
  if (!USERNAME.test(value))
    throw new ValidationError('username', 'username must be 1-128 letters, digits or . _ @ + -')
  return value
}

/** Usernames are unique per tenant regardless of case: stores index and look up this key. */
export function usernameKey(username: string): string {
  return username.toLowerCase()
}
