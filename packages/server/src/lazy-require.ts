import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/**
 * A CommonJS dependency loaded on first use, so a process loads only what its configuration
 * needs: a server on SQLite never loads `pg` or `ioredis`, and `serve` never loads the YAML
 * parser that CLI commands use for catalog files (together about 6 MB of heap and a few MB
 * of code). A synchronous require keeps the callers synchronous. `onLoad` runs once.
 */
export function lazyRequire<T>(id: string, onLoad?: (module: T) => void): () => T {
  let loaded: T | undefined
  return () => {
    if (loaded === undefined) {
      loaded = require(id) as T
      onLoad?.(loaded)
    }
    return loaded
  }
}
