import { inspect } from 'node:util'

import { expect } from 'vitest'

/** Every way an error may end up in a log: none may contain any of `secrets`. */
export function expectSecretFree(error: unknown, secrets: string[]): void {
  expect(error).toBeInstanceOf(Error)
  const texts = [
    String(error),
    (error as Error).message,
    (error as Error).stack ?? '',
    inspect(error, { depth: 10, showHidden: true }),
    JSON.stringify(error),
  ]
  let cause: unknown = (error as Error).cause
  for (let depth = 0; cause !== undefined && depth < 10; depth++) {
    texts.push(inspect(cause, { depth: 10, showHidden: true }))
    cause = (cause as { cause?: unknown }).cause
  }
  for (const secret of secrets) {
    for (const text of texts) expect(text).not.toContain(secret)
  }
}
