import { hash, verify } from '@node-rs/argon2'

/**
 * Argon2id with OWASP's recommended parameters (19 MiB, 2 iterations, 1 lane). Hashing runs on
 * libuv's thread pool, never on the event loop. The PHC string stores the parameters, so they
 * can be raised later: `needsRehash` tells a login to upgrade the stored hash.
 */
// `algorithm: 2` is Argon2id (the package's const enum cannot be imported under isolatedModules).
export const PASSWORD_PARAMETERS = {
  algorithm: 2,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const

export class PasswordHasher {
  /** A real hash to verify against when a username is unknown, so both take the same time. */
  #dummy: Promise<string>

  constructor() {
    this.#dummy = hash('tokenmint dummy password for unknown users', PASSWORD_PARAMETERS)
  }

  hash(password: string): Promise<string> {
    return hash(password, PASSWORD_PARAMETERS)
  }

  async verify(storedHash: string | undefined, password: string): Promise<boolean> {
    try {
      return await verify(storedHash ?? (await this.#dummy), password)
    } catch {
      return false
    }
  }

  needsRehash(storedHash: string): boolean {
    const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(storedHash)
    if (match === null) return true
    return (
      Number(match[1]) < PASSWORD_PARAMETERS.memoryCost ||
      Number(match[2]) < PASSWORD_PARAMETERS.timeCost ||
      Number(match[3]) < PASSWORD_PARAMETERS.parallelism
    )
  }
}
