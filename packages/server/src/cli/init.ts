import type { Command } from 'commander'

import type { Services } from '../compose.js'
import type { CreatedTenant } from '../management/tenants.js'
import { CliError } from './cli-error.js'
import { localConfig, type LocalOptions } from './local-config.js'
import { print } from './output.js'
import { describeSave, saveTenantCredentials, type SavedCredentials } from './profile.js'
import type { SigningAlgorithm } from '../domain/model.js'

interface InitOptions extends LocalOptions {
  algorithm?: SigningAlgorithm
  json?: boolean
}

export interface InitResult {
  tenant: string
  issuer: string
  token_endpoint: string
  admin: { client_id: string; client_secret: string }
  console: { url: string; username: string; password: string }
  /** The profile file. */
  profile: string
  /** The saved profile's name, for `--profile`. */
  profile_name: string
  /** Where earlier credentials for the same server and tenant were kept, if there were any. */
  previous_profile: string | null
  /** The note on the profile printed with the human output. */
  profile_note: string
}

/** Saves the profile and describes what first start created (the secret is in it, once). */
export function describeInitialisation(services: Services, created: CreatedTenant): InitResult {
  const issuer = services.issuerFor(created.tenant.id)
  const saved: SavedCredentials = saveTenantCredentials({
    url: services.config.publicUrl,
    tenant: created.tenant.id,
    clientId: created.admin.application.clientId,
    clientSecret: created.admin.clientSecret,
    makeDefault: true,
  })
  return {
    tenant: created.tenant.id,
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    admin: {
      client_id: created.admin.application.clientId,
      client_secret: created.admin.clientSecret,
    },
    console: {
      url: `${services.config.publicUrl}/console/`,
      username: created.owner.administrator.username,
      password: created.owner.password,
    },
    profile: saved.file,
    profile_name: saved.name,
    previous_profile: saved.previous ?? null,
    profile_note: describeSave(saved, services.config.publicUrl, created.tenant.id),
  }
}

export function humanInitialisation(result: InitResult, dataDir: string): string {
  return [
    `Tokenmint is initialised in ${dataDir}.`,
    '',
    `  tenant:          ${result.tenant}`,
    `  issuer:          ${result.issuer}`,
    `  token endpoint:  ${result.token_endpoint}`,
    `  admin client id: ${result.admin.client_id}`,
    `  admin secret:    ${result.admin.client_secret}`,
    '',
    `  web console:     ${result.console.url}`,
    `  owner username:  ${result.console.username}`,
    `  owner password:  ${result.console.password}`,
    '',
    'The admin secret and the owner password are shown only now; store the password in your password manager.',
    `The admin secret is saved for the CLI: ${result.profile_note}`,
    '',
    'Next:',
    '  npx tokenmint apis create --audience https://api.example.com --name "Example API" --scopes "read:things write:things"',
    '  npx tokenmint apps create --name "CI deploy" --api-scopes https://api.example.com=read:things',
    `  curl -s ${result.token_endpoint} -d grant_type=client_credentials -d client_id=… -d client_secret=…`,
  ].join('\n')
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create the data dir, master key, root tenant and an admin application')
    .option('--data-dir <dir>', 'data directory (default ./data, or TOKENMINT_DATA_DIR)')
    .option('--public-url <url>', 'base URL clients use (default http://127.0.0.1:8080)')
    .option('--algorithm <alg>', 'signing algorithm: ES256, RS256, PS256 or EdDSA', 'ES256')
    .option('--json', 'print JSON')
    .action(async (options: InitOptions, command: Command) => {
      // --tenant is also a global option (the tenant other commands act on): read both.
      const globals = command.optsWithGlobals<{ tenant?: string; json?: boolean }>()
      const tenant = globals.tenant ?? 'default'
      const config = localConfig(options)
      // Loaded on use: commands that only call the admin API start faster without the server.
      const { compose, initialiseIfEmpty } = await import('../compose.js')
      const services = await compose(config, { logger: undefined })
      try {
        const created = await initialiseIfEmpty(services, {
          tenantId: tenant,
          signingAlgorithm: options.algorithm,
        })
        if (created === undefined) {
          throw new CliError(
            `${config.databaseUrl.replace(/\/\/[^@/]*@/, '//')} is already initialised; run \`tokenmint serve\``,
          )
        }
        const result = describeInitialisation(services, created)
        print(globals.json, result, () => humanInitialisation(result, config.dataDir))
      } finally {
        await services.close()
      }
    })
}
