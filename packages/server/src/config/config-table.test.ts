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

  it('bounds every connection by default, and serves metrics on localhost only', () => {
    expect(loadConfig({})).toMatchObject({
      requestTimeoutSeconds: 60,
      headersTimeoutSeconds: 15,
      keepAliveTimeoutSeconds: 10,
      socketIdleTimeoutSeconds: 30,
      maxConnections: 10_000,
      metricsListen: { host: '127.0.0.1', port: 9464 },
    })
  })

  const listen: { description: string; raw: string; expected: unknown }[] = [
    {
      description: 'host and port',
      raw: '0.0.0.0:9100',
      expected: { host: '0.0.0.0', port: 9100 },
    },
    { description: 'a name', raw: 'localhost:9464', expected: { host: 'localhost', port: 9464 } },
    { description: 'an IPv6 address', raw: '[::1]:9464', expected: { host: '::1', port: 9464 } },
    { description: 'off', raw: 'off', expected: undefined },
  ]
  for (const { description, raw, expected } of listen) {
    it(`reads TOKENMINT_METRICS_LISTEN as ${description}`, () => {
      expect(loadConfig({ TOKENMINT_METRICS_LISTEN: raw }).metricsListen).toEqual(expected)
    })
  }

  it('reads the outbound allow-list: hosts, addresses and CIDRs, trimmed', () => {
    expect(loadConfig({}).outboundAllow).toEqual([])
    const allow = loadConfig({
      TOKENMINT_OUTBOUND_ALLOW: ' 127.0.0.1, 10.0.0.0/8,idp.internal,[::1],',
    })
    expect(allow.outboundAllow).toEqual(['127.0.0.1', '10.0.0.0/8', 'idp.internal', '[::1]'])
  })

  it('reads the console framing origins and branding', () => {
    expect(loadConfig({}).consoleFrameAncestors).toEqual([])
    expect(loadConfig({}).consoleBranding).toEqual({
      productName: 'Tokenmint',
      logoUrl: undefined,
      accentColor: undefined,
    })
    const framed = loadConfig({
      TOKENMINT_CONSOLE_FRAME_ANCESTORS: 'https://app.example.com, http://127.0.0.1:3000',
      TOKENMINT_CONSOLE_BRANDING:
        '{"product_name":"Acme","logo_url":"https://cdn.example.com/logo.svg","accent_color":"#7C3AED"}',
    })
    expect(framed.consoleFrameAncestors).toEqual([
      'https://app.example.com',
      'http://127.0.0.1:3000',
    ])
    expect(framed.consoleBranding).toEqual({
      productName: 'Acme',
      logoUrl: 'https://cdn.example.com/logo.svg',
      accentColor: '#7c3aed',
    })
  })

  const bad: [string, Record<string, string>, RegExp][] = [
    [
      'a frame ancestor with a path',
      { TOKENMINT_CONSOLE_FRAME_ANCESTORS: 'https://app.example.com/settings' },
      /TOKENMINT_CONSOLE_FRAME_ANCESTORS/,
    ],
    [
      'a plain-http frame ancestor off loopback',
      { TOKENMINT_CONSOLE_FRAME_ANCESTORS: 'http://app.example.com' },
      /TOKENMINT_CONSOLE_FRAME_ANCESTORS/,
    ],
    [
      'a wildcard frame ancestor',
      { TOKENMINT_CONSOLE_FRAME_ANCESTORS: '*' },
      /TOKENMINT_CONSOLE_FRAME_ANCESTORS/,
    ],
    [
      'branding that is not JSON',
      { TOKENMINT_CONSOLE_BRANDING: 'Acme' },
      /TOKENMINT_CONSOLE_BRANDING/,
    ],
    [
      'a branding colour that could inject CSS',
      { TOKENMINT_CONSOLE_BRANDING: '{"accent_color":"red;background:url(x)"}' },
      /accent_color/,
    ],
    [
      'a javascript: logo',
      { TOKENMINT_CONSOLE_BRANDING: '{"logo_url":"javascript:alert(1)"}' },
      /logo_url/,
    ],
    ['a port out of range', { TOKENMINT_PORT: '70000' }, /TOKENMINT_PORT/],
    ['a relative public URL', { TOKENMINT_PUBLIC_URL: 'example.com' }, /TOKENMINT_PUBLIC_URL/],
    ['a short master key', { TOKENMINT_MASTER_KEY: 'c2hvcnQ=' }, /TOKENMINT_MASTER_KEY.*32 bytes/],
    ['an unknown log level', { TOKENMINT_LOG_LEVEL: 'loud' }, /TOKENMINT_LOG_LEVEL/],
    [
      'a metrics address without a port',
      { TOKENMINT_METRICS_LISTEN: '127.0.0.1' },
      /TOKENMINT_METRICS_LISTEN.*host:port/,
    ],
    [
      'a metrics port out of range',
      { TOKENMINT_METRICS_LISTEN: 'localhost:70000' },
      /TOKENMINT_METRICS_LISTEN/,
    ],
    [
      'a metrics address with a scheme',
      { TOKENMINT_METRICS_LISTEN: 'http://127.0.0.1:9464' },
      /TOKENMINT_METRICS_LISTEN/,
    ],
    ['a request timeout of zero', { TOKENMINT_REQUEST_TIMEOUT: '0' }, /TOKENMINT_REQUEST_TIMEOUT/],
    ['a negative heap growth', { TOKENMINT_HEAP_GROWTH: '-10' }, /TOKENMINT_HEAP_GROWTH/],
    ['a heap growth with a unit', { TOKENMINT_HEAP_GROWTH: '50%' }, /TOKENMINT_HEAP_GROWTH/],
    ['a concurrent GC of yes', { TOKENMINT_CONCURRENT_GC: 'yes' }, /TOKENMINT_CONCURRENT_GC/],
    [
      'a headers timeout longer than the request timeout',
      { TOKENMINT_REQUEST_TIMEOUT: '10', TOKENMINT_HEADERS_TIMEOUT: '20' },
      /TOKENMINT_HEADERS_TIMEOUT.*TOKENMINT_REQUEST_TIMEOUT/,
    ],
    [
      'a keep-alive timeout of zero',
      { TOKENMINT_KEEP_ALIVE_TIMEOUT: '0' },
      /TOKENMINT_KEEP_ALIVE_TIMEOUT/,
    ],
    [
      'an idle timeout that is not a number',
      { TOKENMINT_SOCKET_IDLE_TIMEOUT: '30s' },
      /TOKENMINT_SOCKET_IDLE_TIMEOUT/,
    ],
    ['no connection cap', { TOKENMINT_MAX_CONNECTIONS: '0' }, /TOKENMINT_MAX_CONNECTIONS/],
    [
      'a CIDR prefix too long',
      { TOKENMINT_OUTBOUND_ALLOW: '10.0.0.0/33' },
      /TOKENMINT_OUTBOUND_ALLOW/,
    ],
    [
      'a URL as an allow-list entry',
      { TOKENMINT_OUTBOUND_ALLOW: 'https://x' },
      /TOKENMINT_OUTBOUND_ALLOW/,
    ],
  ]
  for (const [description, env, message] of bad) {
    it(`refuses ${description}, naming the variable`, () => {
      expect(() => loadConfig(env)).toThrow(message)
    })
  }
})
