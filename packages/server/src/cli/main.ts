import { Command, CommanderError } from 'commander'

import { ConfigError } from '../config/load-config.js'
import { registerApis } from './apis.js'
import { registerApps } from './apps.js'
import { registerAudit } from './audit.js'
import { registerConfig } from './config.js'
import { CliError, EXIT } from './cli-error.js'
import { registerInit } from './init.js'
import { registerInsights } from './insights.js'
import { registerKeys } from './keys.js'
import { registerScan } from './scan.js'
import { registerServe } from './serve.js'
import { registerTenants } from './tenants.js'
import { registerToken } from './token.js'
import { registerUsers } from './users.js'
import { registerWebhooks } from './webhooks.js'
import { registerAdmins } from './admins.js'

const program = new Command('tokenmint')
  .description('Tokenmint: OAuth 2.0 client credentials for machine-to-machine APIs')
  .version('0.1.0')
  .option('--url <url>', 'server base URL (or TOKENMINT_URL; default from the profile)')
  .option(
    '--tenant <id>',
    'tenant to act on (or TOKENMINT_TENANT); with init/serve, the root tenant to create',
  )
  .option('--client-id <id>', 'admin client id (or TOKENMINT_CLIENT_ID)')
  .option('--client-secret <secret>', 'admin client secret (prefer TOKENMINT_CLIENT_SECRET)')
  .option(
    '--profile <name>',
    'saved profile to use (or TOKENMINT_PROFILE_NAME; TOKENMINT_PROFILE moves the file)',
  )
  .option('--json', 'print JSON, and errors as JSON on stderr (before or after the command)')
  .showSuggestionAfterError()
  .configureOutput({
    outputError: (text, write) => {
      if (isJsonWanted()) writeJsonError(text.replace(/^error: /, ''), EXIT.error)
      else write(hint(text))
    },
  })
  .exitOverride()

/** `--json` anywhere before `--`: also for errors that happen before the options are parsed. */
function isJsonWanted(): boolean {
  const args = process.argv.slice(2)
  const end = args.indexOf('--')
  return (end === -1 ? args : args.slice(0, end)).includes('--json')
}

function writeJsonError(message: string, exitCode: number, fields: CliError['fields'] = []): void {
  process.stderr.write(
    JSON.stringify({
      error: {
        message: message.trim().replace(/\s*\n\s*/g, ' '),
        exit_code: exitCode,
        ...(fields.length > 0 && { fields }),
      },
    }) + '\n',
  )
}

/** A usage mistake is one line (with commander's "Did you mean …?") and where to read more. */
function hint(text: string): string {
  let command: Command = program
  const path = ['tokenmint']
  for (const arg of process.argv.slice(2)) {
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg))
    if (sub === undefined) continue
    command = sub
    path.push(sub.name())
  }
  const line = text.trimEnd().replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)')
  // A value that starts with "-" (a key id is a base64url thumbprint: 1 in 64 does) reads as an
  // option; `--` ends the options.
  const value = /unknown option '(-[^-'][^']{2,})'/.exec(line)?.[1]
  const asValue =
    value === undefined
      ? ''
      : `; if ${value} is a value, put -- before it: ${path.join(' ')} … -- ${value}`
  return `${line}${asValue}; see ${path.join(' ')} --help\n`
}

registerInit(program)
registerServe(program)
registerTenants(program)
registerApis(program)
registerApps(program)
registerKeys(program)
registerAudit(program)
registerWebhooks(program)
registerInsights(program)
registerUsers(program)
registerAdmins(program)
registerToken(program)
registerConfig(program)
registerScan(program)

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode)
  }
  const message =
    error instanceof CliError || error instanceof ConfigError
      ? error.message
      : error instanceof Error
        ? error.message
        : String(error)
  const exitCode = error instanceof CliError ? error.exitCode : EXIT.error
  if (isJsonWanted())
    writeJsonError(message, exitCode, error instanceof CliError ? error.fields : [])
  else process.stderr.write(`error: ${message}\n`)
  process.exit(exitCode)
}
