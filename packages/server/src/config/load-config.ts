import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** Everything Tokenmint reads from the environment, parsed once and frozen. */
export interface Config {
  readonly dataDir: string
  readonly databaseUrl: string
  readonly host: string
  readonly port: number
  readonly publicUrl: string
  /** 32 bytes, or undefined to use (and create) `<dataDir>/master.key`. */
  readonly masterKey: Buffer | undefined
  readonly logLevel: LogLevel
  readonly tokenBodyLimitBytes: number
  readonly cacheMaxAgeSeconds: number
  readonly jwksMaxAgeSeconds: number
  readonly auditTokens: boolean
  readonly auditChain: boolean
  readonly auditCheckpointIntervalSeconds: number
  /** 0 keeps every audit record. */
  readonly auditRetentionDays: number
  readonly sqliteSynchronous: 'normal' | 'full'
  readonly tokenRateLimitPerMinute: number
  readonly failedAuthLimitPerMinute: number
  readonly redisUrl: string | undefined
  /** Fastify's `trustProxy`: which proxies' X-Forwarded-For to believe. */
  readonly trustProxy: boolean | string[]
  /** Hosts, addresses and CIDRs that outbound fetches may reach despite the address rule. */
  readonly outboundAllow: readonly string[]
  /** PEM certificates outbound connections trust instead of Node's bundled CAs. */
  readonly outboundCa: string | undefined
  /** Where GitHub secret-scanning alert keys come from; undefined turns `POST /leaks/github` off. */
  readonly githubScanningKeys: GithubScanningKeySource | undefined
  readonly consoleIdleTimeoutSeconds: number
  readonly consoleSessionLifetimeSeconds: number
  /** Origins that may frame the console (CSP frame-ancestors); empty: never framed. */
  readonly consoleFrameAncestors: readonly string[]
  /** The console's product name, logo and accent colour (platform mode's embedded portal). */
  readonly consoleBranding: ConsoleBranding
  /** Where GET /metrics is served, apart from the public port; undefined when `off`. */
  readonly metricsListen: ListenAddress | undefined
  readonly requestTimeoutSeconds: number
  readonly headersTimeoutSeconds: number
  readonly keepAliveTimeoutSeconds: number
  readonly socketIdleTimeoutSeconds: number
  /** Open connections per process; more are closed as soon as they are accepted. */
  readonly maxConnections: number
  /** How far past its live size the V8 heap may grow before a full collection; 0: V8 decides. */
  readonly heapGrowthPercent: number
  /** Whether V8 marks on helper threads; `auto`: only with more than one core per process. */
  readonly concurrentGc: 'auto' | 'on' | 'off'
}

export interface ConsoleBranding {
  readonly productName: string
  /** An https (or loopback http) URL, or undefined for Tokenmint's own mark. */
  readonly logoUrl: string | undefined
  /** `#rrggbb`, or undefined for the console's own colour. */
  readonly accentColor: string | undefined
}

/** An origin (`scheme://host[:port]`, nothing else): https, or http on loopback for development. */
function webOrigin(name: string, raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`${name}: "${raw}" is not an origin like https://app.example.com`)
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  if (
    url.origin !== raw.replace(/\/$/, '') ||
    !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))
  )
    throw new ConfigError(
      `${name}: "${raw}" must be an origin (scheme, host and port only), https unless on loopback`,
    )
  return url.origin
}

/** GitHub's published key list (fetched, https) or the same JSON in a local file. */
export type GithubScanningKeySource = { url: string } | { file: string }

export const GITHUB_SCANNING_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning'

export interface ListenAddress {
  readonly host: string
  readonly port: number
}

interface Setting<T> {
  readonly env: string
  readonly doc: string
  readonly parse: (raw: string | undefined, env: NodeJS.ProcessEnv) => T
}

class ConfigError extends Error {
  override name = 'ConfigError'
}

function integer(name: string, fallback: number, min: number, max: number) {
  return (raw: string | undefined): number => {
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`)
    }
    return value
  }
}

function text(fallback: string) {
  return (raw: string | undefined): string => (raw === undefined || raw === '' ? fallback : raw)
}

/** `host:port` or `[v6]:port`, or `off`. */
function listenAddress(name: string, fallback: string) {
  return (raw: string | undefined): ListenAddress | undefined => {
    const value = raw === undefined || raw === '' ? fallback : raw
    if (value === 'off') return undefined
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(value)
    const port = Number(match?.[3])
    if (match === null || port > 65535) {
      throw new ConfigError(`${name} must be host:port, [ipv6]:port or off, got "${value}"`)
    }
    return Object.freeze({ host: match[1] ?? match[2] ?? '', port })
  }
}

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
]

const requestTimeoutSeconds = integer('TOKENMINT_REQUEST_TIMEOUT', 60, 1, 3600)

/**
 * Every setting with its variable, default and one-line doc, in one place; the README's
 * configuration table is rendered from this list (config-table.ts; its test keeps them equal).
 */
export const settings = {
  dataDir: {
    env: 'TOKENMINT_DATA_DIR',
    doc: 'Directory for the embedded SQLite database and the generated master key.',
    parse: text('./data'),
  },
  databaseUrl: {
    env: 'TOKENMINT_DATABASE_URL',
    doc: '`sqlite:<path>` (default `sqlite:<dataDir>/tokenmint.db`) or `postgres://user@host:port/db[?schema=name]`.',
    parse: (raw, env) =>
      raw === undefined || raw === ''
        ? `sqlite:${path.join(env['TOKENMINT_DATA_DIR'] || './data', 'tokenmint.db')}`
        : raw,
  },
  host: {
    env: 'TOKENMINT_HOST',
    doc: 'Interface to listen on.',
    parse: text('127.0.0.1'),
  },
  port: {
    env: 'TOKENMINT_PORT',
    doc: 'TCP port to listen on.',
    parse: integer('TOKENMINT_PORT', 8080, 0, 65535),
  },
  publicUrl: {
    env: 'TOKENMINT_PUBLIC_URL',
    doc: 'Base URL clients use to reach Tokenmint; issuers are `<publicUrl>/t/<tenant>`. Default `http://<host>:<port>`.',
    parse: (raw, env) => {
      const value =
        raw === undefined || raw === ''
          ? `http://${env['TOKENMINT_HOST'] || '127.0.0.1'}:${env['TOKENMINT_PORT'] || '8080'}`
          : raw
      let url: URL
      try {
        url = new URL(value)
      } catch {
        throw new ConfigError(`TOKENMINT_PUBLIC_URL must be an absolute URL, got "${value}"`)
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new ConfigError('TOKENMINT_PUBLIC_URL must use http or https')
      }
      if (url.search || url.hash) {
        throw new ConfigError('TOKENMINT_PUBLIC_URL must not have a query or fragment')
      }
      return value.replace(/\/+$/, '')
    },
  },
  masterKey: {
    env: 'TOKENMINT_MASTER_KEY',
    doc: '32-byte key (base64, base64url or hex) that encrypts signing keys at rest. Default: `<dataDir>/master.key`, created 0600.',
    parse: (raw) => (raw === undefined || raw === '' ? undefined : parseMasterKey(raw)),
  },
  logLevel: {
    env: 'TOKENMINT_LOG_LEVEL',
    doc: 'One of fatal, error, warn, info, debug, trace, silent.',
    parse: (raw) => {
      const value = raw === undefined || raw === '' ? 'info' : raw
      if (!LOG_LEVELS.includes(value as LogLevel)) {
        throw new ConfigError(`TOKENMINT_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`)
      }
      return value as LogLevel
    },
  },
  tokenBodyLimitBytes: {
    env: 'TOKENMINT_TOKEN_BODY_LIMIT',
    doc: 'Largest accepted body on the OAuth endpoints, in bytes; larger bodies get 413.',
    parse: integer('TOKENMINT_TOKEN_BODY_LIMIT', 16_384, 1024, 1_048_576),
  },
  cacheMaxAgeSeconds: {
    env: 'TOKENMINT_CACHE_MAX_AGE',
    doc: 'Upper bound, in seconds, on how long a cached application or key may be served without re-reading storage.',
    parse: integer('TOKENMINT_CACHE_MAX_AGE', 30, 0, 3600),
  },
  jwksMaxAgeSeconds: {
    env: 'TOKENMINT_JWKS_MAX_AGE',
    doc: '`Cache-Control: max-age` of the JWKS and metadata documents.',
    parse: integer('TOKENMINT_JWKS_MAX_AGE', 300, 0, 86_400),
  },
  tokenRateLimitPerMinute: {
    env: 'TOKENMINT_TOKEN_RATE_LIMIT',
    doc: 'Token requests per minute per application, unless the application sets its own; over it: 429 with Retry-After.',
    parse: integer('TOKENMINT_TOKEN_RATE_LIMIT', 6000, 1, 10_000_000),
  },
  failedAuthLimitPerMinute: {
    env: 'TOKENMINT_FAILED_AUTH_LIMIT',
    doc: 'Failed client authentications per minute per source IP (a fifth of it per client id and IP) before 429.',
    parse: integer('TOKENMINT_FAILED_AUTH_LIMIT', 100, 5, 1_000_000),
  },
  sqliteSynchronous: {
    env: 'TOKENMINT_SQLITE_SYNCHRONOUS',
    doc: 'SQLite durability. `normal` (WAL): commits survive a crash or kill -9 of Tokenmint; a power cut may lose the last ones. `full`: fsync on every commit, about 30% fewer tokens/s.',
    parse: (raw) => {
      if (raw === undefined || raw === '' || raw === 'normal') return 'normal' as const
      if (raw === 'full') return 'full' as const
      throw new ConfigError('TOKENMINT_SQLITE_SYNCHRONOUS must be normal or full')
    },
  },
  redisUrl: {
    env: 'TOKENMINT_REDIS_URL',
    doc: '`redis://host:port[/db]`: shares rate limits and carries change events between nodes. Without it, PostgreSQL `LISTEN/NOTIFY` carries changes and limits are per node.',
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined
      if (!/^rediss?:\/\//.test(raw)) {
        throw new ConfigError('TOKENMINT_REDIS_URL must be a redis:// or rediss:// URL')
      }
      return raw
    },
  },
  trustProxy: {
    env: 'TOKENMINT_TRUST_PROXY',
    doc: 'Load balancers whose `X-Forwarded-For` is believed, so per-IP limits and audit records see the real client: a comma-separated list of addresses or CIDRs, or `true` (any; only when nothing else can reach the nodes).',
    parse: (raw) => {
      if (raw === undefined || raw === '' || raw === 'false') return false
      if (raw === 'true') return true
      const list = raw.split(',').map((part) => part.trim())
      if (list.some((part) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(part)))
        throw new ConfigError(
          'TOKENMINT_TRUST_PROXY must be true or comma-separated addresses/CIDRs',
        )
      return list
    },
  },
  outboundAllow: {
    env: 'TOKENMINT_OUTBOUND_ALLOW',
    doc: 'Comma-separated hosts, addresses or CIDRs that administrator-supplied URLs (jwks_uri, webhooks, audit sinks) may reach although loopback, private or link-local. Lifts only that rule: https is still required.',
    parse: (raw) => {
      const list = (raw ?? '').split(',').map((part) => part.trim())
      // The shapes outbound/address-policy.ts reads (config imports nothing): an address, a CIDR,
      // or a DNS name whose last label is not numeric (so `127.1` is refused, not read as a name).
      const hostName =
        /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/i
      const isEntry = (entry: string) => {
        const [address = '', prefix, extra] = entry.replace(/^\[(.*)\]$/, '$1').split('/')
        const family = address.includes('%') ? 0 : net.isIP(address)
        if (prefix === undefined) return family !== 0 || hostName.test(address.replace(/\.$/, ''))
        const bits = family === 4 ? 32 : 128
        return family !== 0 && extra === undefined && /^\d{1,3}$/.test(prefix) && +prefix <= bits
      }
      const bad = list.find((entry) => entry !== '' && !isEntry(entry))
      if (bad !== undefined)
        throw new ConfigError(
          `TOKENMINT_OUTBOUND_ALLOW must be comma-separated host names, addresses or CIDRs, got "${bad}"`,
        )
      return Object.freeze(list.filter((entry) => entry !== ''))
    },
  },
  consoleIdleTimeoutSeconds: {
    env: 'TOKENMINT_CONSOLE_IDLE_TIMEOUT',
    doc: 'A console session ends after this many seconds without a request.',
    parse: integer('TOKENMINT_CONSOLE_IDLE_TIMEOUT', 1800, 60, 86_400),
  },
  consoleSessionLifetimeSeconds: {
    env: 'TOKENMINT_CONSOLE_SESSION_LIFETIME',
    doc: 'A console session ends this many seconds after sign-in, however active.',
    parse: integer('TOKENMINT_CONSOLE_SESSION_LIFETIME', 43_200, 300, 604_800),
  },
  consoleFrameAncestors: {
    env: 'TOKENMINT_CONSOLE_FRAME_ANCESTORS',
    doc: 'Space- or comma-separated origins (https://app.example.com) whose pages may embed the console in a frame, e.g. a vendor settings page showing portal links; the session cookie is then `SameSite=None; Secure; Partitioned`. Empty: the console refuses every frame.',
    parse: (raw) =>
      Object.freeze(
        (raw ?? '')
          .split(/[\s,]+/)
          .filter((part) => part !== '')
          .map((part) => webOrigin('TOKENMINT_CONSOLE_FRAME_ANCESTORS', part)),
      ),
  },
  consoleBranding: {
    env: 'TOKENMINT_CONSOLE_BRANDING',
    doc: 'JSON `{"product_name", "logo_url", "accent_color"}` the console shows instead of Tokenmint\'s (logo: an https URL; colour: `#rrggbb`).',
    parse: (raw): ConsoleBranding => {
      if (raw === undefined || raw === '')
        return Object.freeze({
          productName: 'Tokenmint',
          logoUrl: undefined,
          accentColor: undefined,
        })
      let value: unknown
      try {
        value = JSON.parse(raw)
      } catch {
        throw new ConfigError('TOKENMINT_CONSOLE_BRANDING must be a JSON object')
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new ConfigError('TOKENMINT_CONSOLE_BRANDING must be a JSON object')
      const {
        product_name: name,
        logo_url: logo,
        accent_color: accent,
        ...rest
      } = value as Record<string, unknown>
      const unknown = Object.keys(rest)[0]
      if (unknown !== undefined)
        throw new ConfigError(`TOKENMINT_CONSOLE_BRANDING has an unknown field "${unknown}"`)
      if (name !== undefined && (typeof name !== 'string' || name.length === 0 || name.length > 60))
        throw new ConfigError('TOKENMINT_CONSOLE_BRANDING.product_name must be 1-60 characters')
      if (accent !== undefined && (typeof accent !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(accent)))
        throw new ConfigError('TOKENMINT_CONSOLE_BRANDING.accent_color must be #rrggbb')
      let logoUrl: string | undefined
      if (logo !== undefined) {
        if (typeof logo !== 'string')
          throw new ConfigError('TOKENMINT_CONSOLE_BRANDING.logo_url must be a URL')
        let origin: string
        try {
          origin = new URL(logo).origin
        } catch {
          throw new ConfigError('TOKENMINT_CONSOLE_BRANDING.logo_url must be an absolute URL')
        }
        webOrigin('TOKENMINT_CONSOLE_BRANDING.logo_url', origin)
        logoUrl = logo
      }
      return Object.freeze({
        productName: typeof name === 'string' ? name : 'Tokenmint',
        logoUrl,
        accentColor: typeof accent === 'string' ? accent.toLowerCase() : undefined,
      })
    },
  },
  metricsListen: {
    env: 'TOKENMINT_METRICS_LISTEN',
    doc: "`host:port` of a separate listener serving `GET /metrics` (Prometheus), never the public port; `off` disables it. Under `--workers` the primary serves the workers' metrics combined.",
    parse: listenAddress('TOKENMINT_METRICS_LISTEN', '127.0.0.1:9464'),
  },
  requestTimeoutSeconds: {
    env: 'TOKENMINT_REQUEST_TIMEOUT',
    doc: 'Seconds a client has to send a whole request, headers and body; after it: 408 and the connection is closed. Answers that stream (the revocation feed) are not cut.',
    parse: requestTimeoutSeconds,
  },
  headersTimeoutSeconds: {
    env: 'TOKENMINT_HEADERS_TIMEOUT',
    doc: 'Seconds a client has to send the request headers (at most the request timeout); a connection that sends nothing is closed after it.',
    parse: (raw, env) => {
      const value = integer('TOKENMINT_HEADERS_TIMEOUT', 15, 1, 3600)(raw)
      const request = requestTimeoutSeconds(env['TOKENMINT_REQUEST_TIMEOUT'])
      if (value > request)
        throw new ConfigError(
          `TOKENMINT_HEADERS_TIMEOUT (${value}) must not exceed TOKENMINT_REQUEST_TIMEOUT (${request})`,
        )
      return value
    },
  },
  keepAliveTimeoutSeconds: {
    env: 'TOKENMINT_KEEP_ALIVE_TIMEOUT',
    doc: "Seconds an idle keep-alive connection stays open between requests. Behind a load balancer that reuses connections, set it above the balancer's idle timeout.",
    parse: integer('TOKENMINT_KEEP_ALIVE_TIMEOUT', 10, 1, 3600),
  },
  socketIdleTimeoutSeconds: {
    env: 'TOKENMINT_SOCKET_IDLE_TIMEOUT',
    doc: 'Seconds a connection may pass no byte either way while a request is in progress before it is closed. A revocation feed stream, which sends heartbeats, is allowed four missed heartbeats (60 s).',
    parse: integer('TOKENMINT_SOCKET_IDLE_TIMEOUT', 30, 1, 3600),
  },
  maxConnections: {
    env: 'TOKENMINT_MAX_CONNECTIONS',
    doc: 'Open connections per process (per worker under `--workers`); connections beyond it are closed as soon as they are accepted.',
    parse: integer('TOKENMINT_MAX_CONNECTIONS', 10_000, 1, 1_000_000),
  },
  heapGrowthPercent: {
    env: 'TOKENMINT_HEAP_GROWTH',
    doc: "Percent the JavaScript heap may grow past what is live before a full garbage collection. Lower keeps the server smaller for a little more CPU; `0` leaves it to V8, which lets a busy server's heap reach 3–4× its live size (about 65 MB more resident after a million tokens). `serve` only; docs/deployment.md, Sizing.",
    parse: integer('TOKENMINT_HEAP_GROWTH', 50, 0, 1000),
  },
  concurrentGc: {
    env: 'TOKENMINT_CONCURRENT_GC',
    doc: '`auto`: V8 marks the heap on helper threads only when the process has more than one core to itself (the cores it may run on, divided by `--workers`); with one, those threads would take it from requests and double the p99 latency. `on` or `off` to choose. `serve` only.',
    parse: (raw) => {
      if (raw === undefined || raw === '' || raw === 'auto') return 'auto'
      if (raw === 'on' || raw === 'off') return raw
      throw new ConfigError('TOKENMINT_CONCURRENT_GC must be auto, on or off')
    },
  },
  auditTokens: {
    env: 'TOKENMINT_AUDIT_TOKENS',
    doc: '`on`: every token issued is durably audited before it is returned. `off` only to measure what that costs (benchmarks); never in production.',
    parse: (raw) => {
      if (raw === undefined || raw === '' || raw === 'on') return true
      if (raw === 'off') return false
      throw new ConfigError('TOKENMINT_AUDIT_TOKENS must be on or off')
    },
  },
  outboundCa: {
    env: 'TOKENMINT_OUTBOUND_CA_FILE',
    doc: "A PEM file of CA certificates that outbound connections (audit sinks, jwks_uri, webhooks) trust instead of Node's bundled ones: a private PKI's root for internal receivers.",
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined
      try {
        const pem = fs.readFileSync(raw, 'utf8')
        if (!pem.includes('-----BEGIN CERTIFICATE-----'))
          throw new Error('no PEM certificate in it')
        return pem
      } catch (error) {
        throw new ConfigError(`TOKENMINT_OUTBOUND_CA_FILE: ${(error as Error).message}`)
      }
    },
  },
  githubScanningKeys: {
    env: 'TOKENMINT_LEAKS_GITHUB_KEYS',
    doc: "The public keys `POST /leaks/github` checks GitHub secret-scanning alerts with: GitHub's list (the default, fetched over https and cached), another https URL serving the same JSON, a path to a file of it, or `off` to answer 404 there.",
    parse: (raw): GithubScanningKeySource | undefined => {
      if (raw === undefined || raw === '') return { url: GITHUB_SCANNING_KEYS_URL }
      if (raw === 'off') return undefined
      if (raw.startsWith('https://')) return { url: raw }
      if (/^[a-z]+:/i.test(raw))
        throw new ConfigError(
          'TOKENMINT_LEAKS_GITHUB_KEYS must be an https URL, a file path or off',
        )
      if (!fs.existsSync(raw))
        throw new ConfigError(`TOKENMINT_LEAKS_GITHUB_KEYS: no file at ${raw}`)
      return { file: raw }
    },
  },
  auditChain: {
    env: 'TOKENMINT_AUDIT_CHAIN',
    doc: '`on`: every audit record is hash-chained to the one before (docs/audit.md). `off` only to measure what that costs (benchmarks); records written then never verify.',
    parse: (raw) => {
      if (raw === undefined || raw === '' || raw === 'on') return true
      if (raw === 'off') return false
      throw new ConfigError('TOKENMINT_AUDIT_CHAIN must be on or off')
    },
  },
  auditCheckpointIntervalSeconds: {
    env: 'TOKENMINT_AUDIT_CHECKPOINT_INTERVAL',
    doc: "Seconds between signed checkpoints of each tenant's audit chain (taken only when the chain has grown). Publish them elsewhere to bound what someone with the database could rewrite.",
    parse: integer('TOKENMINT_AUDIT_CHECKPOINT_INTERVAL', 600, 1, 86_400),
  },
  auditRetentionDays: {
    env: 'TOKENMINT_AUDIT_RETENTION_DAYS',
    doc: 'Days audit records are kept; older ones are removed behind a signed checkpoint that marks the cut, so what remains still verifies. `0` keeps everything.',
    parse: integer('TOKENMINT_AUDIT_RETENTION_DAYS', 0, 0, 36_500),
  },
} satisfies { [K in keyof Config]: Setting<Config[K]> }

function parseMasterKey(raw: string): Buffer {
  const trimmed = raw.trim()
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64')
  if (bytes.length !== 32) {
    throw new ConfigError(
      `TOKENMINT_MASTER_KEY must encode exactly 32 bytes (got ${bytes.length}); generate one with: openssl rand -base64 32`,
    )
  }
  return bytes
}

/** Reads the environment once; later changes to it have no effect. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Config> = {},
): Config {
  const entries = Object.entries(settings).map(([key, setting]) => {
    const s = setting as Setting<unknown>
    return [key, s.parse(env[s.env], env)]
  })
  const config = { ...(Object.fromEntries(entries) as unknown as Config), ...overrides }
  return Object.freeze(config)
}

export { ConfigError }
