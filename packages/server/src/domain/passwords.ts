import { ValidationError } from './errors.js'

/** NIST SP 800-63B: a minimum length and a blocklist; no composition rules. */
export const MIN_PASSWORD_LENGTH = 12
export const MAX_PASSWORD_LENGTH = 256

/**
 * Passwords seen most often in breach corpora (lower-cased). A bundled list keeps this check
 * offline; it is deliberately short, since length already rules out most of the long tail.
 */
const COMMON = new Set(
  `123456789012 1234567890123 12345678901234 password1234 password12345 password123456 passwordpassword
qwertyuiop12 qwertyuiopasdf qwerty123456 1q2w3e4r5t6y 1q2w3e4r5t6y7u 1qaz2wsx3edc 1qaz2wsx3edc4rfv
iloveyou1234 letmein12345 welcome12345 welcome123456 administrator admin1234567 admin12345678
abc123456789 abcdefghijkl abcdefghijklm 111111111111 000000000000 123123123123 121212121212
aaaaaaaaaaaa zaq12wsxcde3 football1234 baseball1234 superman1234 changeme1234 changeme12345
correcthorsebatterystaple trustno1trustno1 monkey123456 dragon123456 sunshine1234 princess1234
qwertyqwerty asdfghjkl123 asdfasdfasdf passw0rd1234 p@ssw0rd1234 p@ssword1234 password!234
summer2024!! winter2024!! spring2024!! autumn2024!! summer2025!! winter2025!! spring2025!!
letmeinletmein mypassword123 secretpassword 123qweasdzxc qweasdzxc123 987654321098`.split(/\s+/),
)

export function validatePassword(password: string, username?: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new ValidationError(
      'password',
      `the password must be at least ${MIN_PASSWORD_LENGTH} characters`,
    )
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new ValidationError(
      'password',
      `the password must be at most ${MAX_PASSWORD_LENGTH} characters`,
    )
  }
  const lower = password.toLowerCase()
  if (
    COMMON.has(lower) ||
    /^(.)\1+$/.test(password) ||
    (username !== undefined && lower.includes(username.toLowerCase()))
  ) {
    throw new ValidationError(
      'password',
      'this password is too common or contains the username; choose another',
    )
  }
}
