import { Command, CommanderError } from 'commander'

import { ConfigError } from '../config/load-config.js'
import { registerApis } from './apis.js'
import { registerApps } from './apps.js'
import { registerAudit } from './audit.js'
import { registerConfig } from './config.js'
import { CliError } from './cli-error.js'
import { registerInit } from './init.js'
import { registerKeys } from './keys.js'
import { registerServe } from './serve.js'
import { registerTenants } from './tenants.js'
import { registerToken } from './token.js'
import { registerUsers } from './users.js'
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
  .showHelpAfterError()
  .exitOverride()

registerInit(program)
registerServe(program)
registerTenants(program)
registerApis(program)
registerApps(program)
registerKeys(program)
registerAudit(program)
registerUsers(program)
registerAdmins(program)
registerToken(program)
registerConfig(program)

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
  process.stderr.write(`error: ${message}\n`)
  process.exit(error instanceof CliError ? error.exitCode : 1)
}
