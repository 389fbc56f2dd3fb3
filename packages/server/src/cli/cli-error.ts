/** Exit codes: scripts can tell a refusal from an outage. */
export const EXIT = {
  error: 1,
  /** The server refused the credentials or the request (4xx). */
  refused: 3,
  /** The server could not be reached or is unavailable (network error, 5xx). */
  unavailable: 4,
} as const

/** An error the CLI prints as one `error: …` line before exiting with `exitCode`. */
export class CliError extends Error {
  override name = 'CliError'
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
    /** The fields a 400 answer named, each with what is wrong with it. */
    readonly fields: readonly { field: string; message: string }[] = [],
  ) {
    super(message)
  }
}
