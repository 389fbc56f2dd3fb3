import { loadConfig, type Config } from '../config/load-config.js'

export interface LocalOptions {
  dataDir?: string
  host?: string
  port?: string
  publicUrl?: string
}

/** `init` and `serve` work on the data dir: their flags override the environment. */
export function localConfig(options: LocalOptions, env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig({
    ...env,
    ...(options.dataDir !== undefined && { TOKENMINT_DATA_DIR: options.dataDir }),
    ...(options.host !== undefined && { TOKENMINT_HOST: options.host }),
    ...(options.port !== undefined && { TOKENMINT_PORT: options.port }),
    ...(options.publicUrl !== undefined && { TOKENMINT_PUBLIC_URL: options.publicUrl }),
  })
}
