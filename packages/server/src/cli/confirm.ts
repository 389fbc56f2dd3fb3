import { createInterface } from 'node:readline/promises'

import { CliError } from './cli-error.js'

/**
 * Asks before a change that cannot be undone, when a person is at the terminal: they type `name`
 * (or `yes`). Without a terminal (scripts, CI), or with `--yes`, it goes ahead.
 */
export async function confirmAtTerminal(
  question: string,
  name: string,
  { yes, refusal }: { yes: boolean | undefined; refusal: string },
): Promise<void> {
  if (yes === true || !process.stdin.isTTY) return
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = (
      await rl.question(`${question}\nType the name, ${name}, or yes to confirm: `)
    ).trim()
    if (answer !== name && answer !== 'yes') throw new CliError(refusal)
  } finally {
    rl.close()
  }
}
