import cluster from 'node:cluster'

import type { Command } from 'commander'

import type { Services } from '../compose.js'
import type { Config } from '../config/load-config.js'
import { CliError } from './cli-error.js'
import { describeInitialisation, humanInitialisation } from './init.js'
import { localConfig, type LocalOptions } from './local-config.js'
import { tuneGarbageCollector } from './v8-tuning.js'

interface ServeOptions extends LocalOptions {
  workers?: string
}

function workerCount(raw: string | undefined): number {
  const value = Number(raw ?? process.env['TOKENMINT_WORKERS'] ?? '1')
  if (!Number.isInteger(value) || value < 1 || value > 64)
    throw new CliError('--workers must be an integer from 1 to 64')
  return value
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the server (initialises the data dir on first start)')
    .option('--data-dir <dir>', 'data directory (default ./data, or TOKENMINT_DATA_DIR)')
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 8080)')
    .option('--public-url <url>', 'base URL clients use (default http://<host>:<port>)')
    .option(
      '--workers <n>',
      'server processes sharing the port (default 1, or TOKENMINT_WORKERS); one per core',
    )
    .action(async (options: ServeOptions, command: Command) => {
      // --tenant (a global option) names the root tenant created on first start.
      const tenant = command.optsWithGlobals<{ tenant?: string }>().tenant ?? 'default'
      const workers = workerCount(options.workers)
      if (workers > 1 && cluster.isPrimary) {
        await supervise(options, tenant, workers)
        return
      }
      await serveOneProcess(options, tenant, workers)
    })
}

/** First start: creates the root tenant and prints its credentials, once. */
async function initialise(services: Services, tenant: string): Promise<void> {
  const { initialiseIfEmpty } = await import('../compose.js')
  const created = await initialiseIfEmpty(services, { tenantId: tenant })
  if (created !== undefined) {
    process.stdout.write(
      humanInitialisation(describeInitialisation(services, created), services.config.dataDir) +
        '\n\n',
    )
  }
}

/** Migrates and initialises once, so the workers never race to do it. */
async function prepare(options: ServeOptions, tenant: string): Promise<Config> {
  const config = localConfig(options)
  const { compose } = await import('../compose.js')
  const services = await compose(config)
  try {
    await initialise(services, tenant)
  } finally {
    await services.close()
  }
  return config
}

function reportMetricsError(error: unknown): void {
  process.stderr.write(
    `tokenmint: metrics: ${error instanceof Error ? error.message : String(error)}\n`,
  )
}

/**
 * `--workers N`: the primary prepares storage, forks N identical workers that share the port
 * (the cluster module hands connections out round-robin), relays their change events (SQLite
 * has no other bus), and restarts a worker that dies. It serves no token request itself, only
 * GET /metrics: every worker's, summed, on TOKENMINT_METRICS_LISTEN.
 */
async function supervise(options: ServeOptions, tenant: string, workers: number): Promise<void> {
  const config = await prepare(options, tenant)
  const { relayClusterChanges } = await import('../storage/shared/cluster-ipc.js')
  relayClusterChanges()
  const { listenForMetrics, workersMetrics } = await import('../http/metrics-listener.js')
  const metricsListener =
    config.metricsListen &&
    (await listenForMetrics(config.metricsListen, workersMetrics(), config, reportMetricsError))
  let stopping = false
  const restarts: number[] = []
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
      return
    }
    const now = Date.now()
    restarts.push(now)
    while (restarts.length > 0 && (restarts[0] ?? now) < now - 60_000) restarts.shift()
    process.stderr.write(
      `tokenmint: worker ${String(worker.process.pid)} exited (${signal || String(code)}); starting another\n`,
    )
    // A worker that cannot start at all would otherwise be restarted in a tight loop.
    setTimeout(() => cluster.fork(), restarts.length > 5 ? 5000 : 100)
  })
  for (let i = 0; i < workers; i++) cluster.fork()
  const stop = () => {
    if (stopping) return
    stopping = true
    void metricsListener?.close()
    const alive = Object.values(cluster.workers ?? {})
    if (alive.length === 0) process.exit(0)
    for (const worker of alive) worker?.process.kill('SIGTERM')
    setTimeout(() => process.exit(0), 10_000).unref()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

async function serveOneProcess(
  options: ServeOptions,
  tenant: string,
  workers: number,
): Promise<void> {
  const config = localConfig(options)
  tuneGarbageCollector(config, workers)
  const { compose } = await import('../compose.js')
  const { buildHttpApp } = await import('../http/app.js')
  const { TokenMetrics } = await import('../http/metrics.js')
  const { listenForMetrics, processMetrics, shareMetricsWithPrimary } =
    await import('../http/metrics-listener.js')
  const services = await compose(config)
  // Under --workers the primary initialised already, and serves the workers' metrics.
  if (cluster.isPrimary) await initialise(services, tenant)
  const metrics = new TokenMetrics(services)
  if (cluster.isWorker) shareMetricsWithPrimary(metrics.registry)
  const metricsListener =
    cluster.isPrimary && config.metricsListen
      ? await listenForMetrics(
          config.metricsListen,
          processMetrics(metrics.registry),
          config,
          (error) => {
            services.logger.warn({ err: error }, 'metrics could not be read')
          },
        )
      : undefined
  const app = await buildHttpApp(services, metrics)
  await app.listen({ host: config.host, port: config.port })
  const tenants = await services.storage.tenants.list()
  services.logger.info(
    {
      publicUrl: config.publicUrl,
      issuers: tenants.map((t) => services.issuerFor(t.id)),
      database: config.databaseUrl.split(':')[0],
      changes: services.changes.transport,
      metrics: metricsListener && `${metricsListener.url}/metrics`,
      ...(cluster.isWorker && { worker: cluster.worker?.id }),
    },
    `Tokenmint listening on ${config.publicUrl}`,
  )
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    services.logger.info({ signal }, 'shutting down')
    void Promise.all([app.close(), metricsListener?.close()])
      .then(() => services.close())
      .then(() => process.exit(0))
  }
  process.on('SIGINT', () => {
    stop('SIGINT')
  })
  process.on('SIGTERM', () => {
    stop('SIGTERM')
  })
}
