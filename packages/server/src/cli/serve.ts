import type { Command } from 'commander'

import { describeInitialisation, humanInitialisation } from './init.js'
import { localConfig, type LocalOptions } from './local-config.js'

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the server (initialises the data dir on first start)')
    .option('--data-dir <dir>', 'data directory (default ./data, or TOKENMINT_DATA_DIR)')
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 8080)')
    .option('--public-url <url>', 'base URL clients use (default http://<host>:<port>)')
    .action(async (options: LocalOptions, command: Command) => {
      // --tenant (a global option) names the root tenant created on first start.
      const tenant = command.optsWithGlobals<{ tenant?: string }>().tenant ?? 'default'
      const config = localConfig(options)
      const { compose, initialiseIfEmpty } = await import('../compose.js')
      const { buildHttpApp } = await import('../http/app.js')
      const services = await compose(config)
      const created = await initialiseIfEmpty(services, { tenantId: tenant })
      if (created !== undefined) {
        process.stdout.write(
          humanInitialisation(describeInitialisation(services, created), config.dataDir) + '\n\n',
        )
      }
      const app = await buildHttpApp(services)
      await app.listen({ host: config.host, port: config.port })
      const tenants = await services.storage.tenants.list()
      services.logger.info(
        {
          publicUrl: config.publicUrl,
          issuers: tenants.map((t) => services.issuerFor(t.id)),
          database: config.databaseUrl.split(':')[0],
        },
        `Tokenmint listening on ${config.publicUrl}`,
      )
      let stopping = false
      const stop = (signal: string) => {
        if (stopping) return
        stopping = true
        services.logger.info({ signal }, 'shutting down')
        void app
          .close()
          .then(() => services.close())
          .then(() => process.exit(0))
      }
      process.on('SIGINT', () => stop('SIGINT'))
      process.on('SIGTERM', () => stop('SIGTERM'))
    })
}
