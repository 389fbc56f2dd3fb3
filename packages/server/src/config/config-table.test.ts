import fs from 'node:fs'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

import { renderConfigTable } from './config-table.js'
import { loadConfig, settings } from './load-config.js'

describe('configuration', () => {
  it('is documented in the README exactly as the settings define it', () => {
    // Prettier re-aligns Markdown tables: compare cell contents, not padding.
    const normalise = (text: string) =>
      text
        .split('\n')
        .map((line) => line.replace(/\s+/g, ' ').replace(/-{3,}/g, '---').trim())
        .join('\n')
    const readme = fs.readFileSync(
      path.resolve(import.meta.dirname, '../../../../README.md'),
      'utf8',
    )
    expect(normalise(readme)).toContain(normalise(renderConfigTable()))
  })

  it('documents a default for every setting', () => {
    for (const setting of Object.values(settings))
      expect(renderConfigTable()).toContain(setting.env)
  })

  it('defaults to the embedded SQLite database under ./data', () => {
    const config = loadConfig({})
    expect(config.databaseUrl).toBe('sqlite:data/tokenmint.db')
    expect(config.publicUrl).toBe('http://127.0.0.1:8080')
    expect(Object.isFrozen(config)).toBe(true)
  })

  const bad: [string, Record<string, string>, RegExp][] = [
    ['a port out of range', { TOKENMINT_PORT: '70000' }, /TOKENMINT_PORT/],
    ['a relative public URL', { TOKENMINT_PUBLIC_URL: 'example.com' }, /TOKENMINT_PUBLIC_URL/],
    ['a short master key', { TOKENMINT_MASTER_KEY: 'c2hvcnQ=' }, /TOKENMINT_MASTER_KEY.*32 bytes/],
    ['an unknown log level', { TOKENMINT_LOG_LEVEL: 'loud' }, /TOKENMINT_LOG_LEVEL/],
  ]
  for (const [description, env, message] of bad) {
    it(`refuses ${description}, naming the variable`, () => {
      expect(() => loadConfig(env)).toThrow(message)
    })
  }
})
