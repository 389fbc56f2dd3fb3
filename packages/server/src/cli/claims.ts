import { CliError } from './cli-error.js'

/**
 * `--claim NAME=VALUE` (repeatable) as the admin API's `claims` object. The server judges the
 * names (reserved ones are refused there, with the reason); here only the shape is checked.
 */
export function claimsFrom(
  values: readonly string[] | undefined,
): Record<string, string> | undefined {
  if (values === undefined) return undefined
  const claims: Record<string, string> = {}
  for (const value of values) {
    const at = value.indexOf('=')
    if (at <= 0) throw new CliError(`--claim ${JSON.stringify(value)} must be NAME=VALUE`)
    const name = value.slice(0, at)
    if (name in claims) throw new CliError(`--claim ${name} is given twice`)
    claims[name] = value.slice(at + 1)
  }
  return claims
}

/** Update: named claims are set, `--remove-claim` ones dropped, the others kept. */
export function mergeClaims(
  current: Readonly<Record<string, string>>,
  set: Readonly<Record<string, string>> | undefined,
  removed: readonly string[],
): Record<string, string> {
  for (const name of removed) {
    if (set !== undefined && name in set)
      throw new CliError(`claim ${name} is both set and removed: name it once`)
    if (!(name in current)) throw new CliError(`the application has no claim ${name}`)
  }
  return Object.fromEntries(
    Object.entries({ ...current, ...set }).filter(([name]) => !removed.includes(name)),
  )
}
