import { settings } from './load-config.js'

const DEFAULTS: Record<string, string> = {
  TOKENMINT_DATA_DIR: '`./data`',
  TOKENMINT_DATABASE_URL: '`sqlite:./data/tokenmint.db`',
  TOKENMINT_HOST: '`127.0.0.1`',
  TOKENMINT_PORT: '`8080`',
  TOKENMINT_PUBLIC_URL: '`http://127.0.0.1:8080`',
  TOKENMINT_MASTER_KEY: '`./data/master.key`',
  TOKENMINT_LOG_LEVEL: '`info`',
  TOKENMINT_TOKEN_BODY_LIMIT: '`16384`',
  TOKENMINT_CACHE_MAX_AGE: '`30`',
  TOKENMINT_JWKS_MAX_AGE: '`300`',
  TOKENMINT_AUDIT_TOKENS: '`on`',
  TOKENMINT_AUDIT_CHAIN: '`on`',
  TOKENMINT_AUDIT_CHECKPOINT_INTERVAL: '`600`',
  TOKENMINT_AUDIT_RETENTION_DAYS: '`0`',
  TOKENMINT_TOKEN_RATE_LIMIT: '`6000`',
  TOKENMINT_FAILED_AUTH_LIMIT: '`100`',
  TOKENMINT_SQLITE_SYNCHRONOUS: '`normal`',
  TOKENMINT_REDIS_URL: '(none)',
  TOKENMINT_TRUST_PROXY: '`false`',
  TOKENMINT_OUTBOUND_ALLOW: '(none)',
  TOKENMINT_OUTBOUND_CA_FILE: "(Node's CAs)",
  TOKENMINT_LEAKS_GITHUB_KEYS: "GitHub's key list",
  TOKENMINT_CONSOLE_IDLE_TIMEOUT: '`1800`',
  TOKENMINT_CONSOLE_SESSION_LIFETIME: '`43200`',
  TOKENMINT_CONSOLE_FRAME_ANCESTORS: '(none)',
  TOKENMINT_CONSOLE_BRANDING: 'Tokenmint',
  TOKENMINT_METRICS_LISTEN: '`127.0.0.1:9464`',
  TOKENMINT_REQUEST_TIMEOUT: '`60`',
  TOKENMINT_HEADERS_TIMEOUT: '`15`',
  TOKENMINT_KEEP_ALIVE_TIMEOUT: '`10`',
  TOKENMINT_SOCKET_IDLE_TIMEOUT: '`30`',
  TOKENMINT_MAX_CONNECTIONS: '`10000`',
  TOKENMINT_HEAP_GROWTH: '`50`',
  TOKENMINT_CONCURRENT_GC: '`auto`',
}

/** The README's configuration table, generated from the settings (a test keeps them equal). */
export function renderConfigTable(): string {
  const rows = Object.values(settings).map((s) => {
    const fallback = DEFAULTS[s.env]
    if (fallback === undefined) throw new Error(`${s.env} has no documented default`)
    return `| \`${s.env}\` | ${fallback} | ${s.doc} |`
  })
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n')
}
