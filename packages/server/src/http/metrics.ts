import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

import type { Services } from '../compose.js'

/**
 * Prometheus metrics of one process, served at GET /metrics by `listenForMetrics`. Under
 * `--workers` the primary sums the workers' (prom-client's AggregatorRegistry); each gauge's
 * `aggregator` says how to combine it where a sum would mislead.
 */
export class TokenMetrics {
  readonly registry = new Registry()
  readonly issued = new Counter({
    name: 'tokenmint_tokens_issued_total',
    help: 'Access tokens issued',
    labelNames: ['tenant', 'grant_type'] as const,
    registers: [this.registry],
  })
  readonly refused = new Counter({
    name: 'tokenmint_tokens_refused_total',
    help: 'Token requests refused, by error code',
    labelNames: ['tenant', 'error'] as const,
    registers: [this.registry],
  })
  readonly latency = new Histogram({
    name: 'tokenmint_token_request_duration_seconds',
    help: 'Token endpoint latency, from parsed request to answer',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  })

  constructor(
    services: Pick<
      Services,
      'clients' | 'audit' | 'changes' | 'changeStats' | 'limiter' | 'storage' | 'storageHealth'
    >,
  ) {
    new Gauge({
      name: 'tokenmint_db_connections',
      help: 'Database pool connections by state (Postgres): total, idle, and requests waiting',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const stats = services.storage.connectionStats()
        this.set({ state: 'total' }, stats.total)
        this.set({ state: 'idle' }, stats.idle)
        this.set({ state: 'waiting' }, stats.waiting)
      },
    })
    collectDefaultMetrics({ register: this.registry, prefix: 'tokenmint_' })
    let refusedSeen = 0
    new Counter({
      name: 'tokenmint_storage_unavailable_total',
      help: 'Requests refused with 503 because storage was unreachable or not taking writes',
      registers: [this.registry],
      collect() {
        const { refused } = services.storageHealth.stats
        this.inc(refused - refusedSeen)
        refusedSeen = refused
      },
    })
    new Gauge({
      name: 'tokenmint_storage_up',
      help: '1 while storage serves this node, 0 from a failed request until a probe write commits',
      aggregator: 'min',
      registers: [this.registry],
      collect() {
        this.set(services.storageHealth.isAvailable ? 1 : 0)
      },
    })
    new Gauge({
      name: 'tokenmint_client_cache_lookups',
      help: 'Application lookups since start, answered from the cache (hit) or storage (miss)',
      labelNames: ['result'] as const,
      registers: [this.registry],
      collect() {
        this.set({ result: 'hit' }, services.clients.stats.hits)
        this.set({ result: 'miss' }, services.clients.stats.misses)
      },
    })
    new Gauge({
      name: 'tokenmint_change_bus_up',
      help: '1 while changes from other nodes arrive through the bus, 0 while polling instead',
      aggregator: 'min',
      labelNames: ['transport'] as const,
      registers: [this.registry],
      collect() {
        this.set(
          { transport: services.changes.transport },
          services.changes.health === 'ok' ? 1 : 0,
        )
      },
    })
    new Gauge({
      name: 'tokenmint_change_bus_lag_seconds',
      help: 'Delay between another node publishing a change and this node receiving it (last one)',
      aggregator: 'max',
      registers: [this.registry],
      collect() {
        this.set(services.changeStats.lastLagSeconds)
      },
    })
    new Gauge({
      name: 'tokenmint_change_bus_received',
      help: 'Changes received from other nodes since start',
      registers: [this.registry],
      collect() {
        this.set(services.changeStats.received)
      },
    })
    new Gauge({
      name: 'tokenmint_rate_limit_local_fallbacks',
      help: 'Rate-limit decisions taken in process because Redis did not answer',
      registers: [this.registry],
      collect() {
        this.set(services.limiter.fallbacks)
      },
    })
    new Gauge({
      name: 'tokenmint_client_cache_entries',
      help: 'Applications held in the in-process cache',
      registers: [this.registry],
      collect() {
        this.set(services.clients.size)
      },
    })
    new Gauge({
      name: 'tokenmint_audit_queue_depth',
      help: 'Audit records waiting for the next group commit',
      registers: [this.registry],
      collect() {
        this.set(services.audit.stats.queued)
      },
    })
    new Gauge({
      name: 'tokenmint_audit_last_commit_seconds',
      help: 'Duration of the last audit group commit',
      aggregator: 'max',
      registers: [this.registry],
      collect() {
        this.set(services.audit.stats.lastCommitMs / 1000)
      },
    })
    new Gauge({
      name: 'tokenmint_audit_batches',
      help: 'Audit group commits since start (events per batch = events / batches)',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      collect() {
        this.set({ kind: 'batches' }, services.audit.stats.batches)
        this.set({ kind: 'events' }, services.audit.stats.events)
      },
    })
  }
}
