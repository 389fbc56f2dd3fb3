import cluster from 'node:cluster'

import type { Config } from '../../config/load-config.js'
import type { ChangeBus, RateLimiter, Storage } from '../contract.js'
import { LocalChangeBus } from '../local/local-change-bus.js'
import { MemoryRateLimiter } from '../local/memory-rate-limiter.js'
import { ClusterChangeTransport } from './cluster-ipc.js'
import { NodeChangeBus, type NodeChangeBusOptions } from './node-change-bus.js'
import { PostgresChangeTransport } from './postgres-notify.js'
import { RedisChangeTransport, RedisRateLimiter } from './redis.js'

/**
 * How this node hears about other nodes' changes: Redis when configured, else Postgres
 * LISTEN/NOTIFY, else (SQLite) the cluster's IPC under `serve --workers`, else nothing to hear.
 */
export async function openChangeBus(
  config: Config,
  dialect: Storage['dialect'],
  deploymentId: string,
  options: NodeChangeBusOptions,
): Promise<ChangeBus> {
  const transport =
    config.redisUrl !== undefined
      ? new RedisChangeTransport(config.redisUrl, deploymentId)
      : dialect === 'postgres'
        ? new PostgresChangeTransport(config.databaseUrl, `tokenmint_changes_${deploymentId}`)
        : cluster.isWorker
          ? new ClusterChangeTransport()
          : undefined
  if (transport === undefined) return new LocalChangeBus()
  const bus = new NodeChangeBus(transport, options)
  await bus.start()
  return bus
}

/** Shared through Redis when configured (falling back per node while it is away), else local. */
export async function openRateLimiter(config: Config, deploymentId: string): Promise<RateLimiter> {
  if (config.redisUrl === undefined) return new MemoryRateLimiter()
  const limiter = new RedisRateLimiter(config.redisUrl, deploymentId)
  await limiter.connect()
  return limiter
}
