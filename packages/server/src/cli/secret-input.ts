import { createInterface } from 'node:readline'

import { CliError } from './cli-error.js'

/**
 * Reads a secret (a password) from stdin when piped, or from a prompt that does not echo.
 * Never from a flag: flags end up in shell history and `ps` output.
 */
export async function readSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    const value = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '')
    if (value === '') throw new CliError('nothing was read from stdin')
    return value
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true })
  // Mute the echo of what is typed after the prompt.
  const output = rl as unknown as { _writeToOutput: (text: string) => void }
  let prompted = false
  output._writeToOutput = (text: string) => {
    if (!prompted) {
      process.stderr.write(text)
      prompted = true
    }
  }
  const value = await new Promise<string>((resolve) => rl.question(prompt, resolve))
  rl.close()
  process.stderr.write('\n')
  return value
}
