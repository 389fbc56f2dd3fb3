import fs from 'node:fs'

import type { parse } from 'yaml'

import { lazyRequire } from '../lazy-require.js'

import { CliError } from './cli-error.js'

const loadYaml = lazyRequire<{ parse: typeof parse }>('yaml')

/** Reads a YAML or JSON file (JSON is YAML) into a value, with a one-line error. */
export function readDataFile(file: string): unknown {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  try {
    return loadYaml().parse(text) as unknown
  } catch (error) {
    throw new CliError(
      `${file} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0] ?? ''}`,
    )
  }
}

/** `3600`, `90s`, `15m`, `1h`, `2d` → seconds. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim())
  if (match?.[1] === undefined)
    throw new CliError(
      `${flag} must be seconds or a duration like 90s, 15m, 1h, 2d; got "${value}"`,
    )
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] ?? ''] ?? 1
  return Number(match[1]) * unit
}
