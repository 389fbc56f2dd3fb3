import { generateKeyPairSync } from 'node:crypto'

import { describe, expect, it } from 'vitest'

import { AlertKeysUnavailable, GithubScanningKeys } from './github-alerts.js'

/** GitHub's key list as a stand-in fetcher that counts how often it is asked. */
function keyList(status = 200) {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const body = JSON.stringify({
    public_keys: [{ key_identifier: 'k1', key: publicKey.export({ type: 'spki', format: 'pem' }) }],
  })
  const fetcher = {
    calls: 0,
    fetch() {
      fetcher.calls++
      return Promise.resolve({ status, headers: {}, body: Buffer.from(body) })
    },
  }
  return fetcher
}

describe('GitHub secret-scanning keys', () => {
  it('reads the list at most once per cooldown however many unknown identifiers arrive', async () => {
    let now = 0
    const fetcher = keyList()
    const keys = new GithubScanningKeys({ url: 'https://keys.example' }, fetcher, () => now)
    expect(await keys.keyFor('k1')).toBeDefined()
    for (let i = 0; i < 50; i++) {
      now += 1_000
      expect(await keys.keyFor(`made-up-${String(i)}`)).toBeUndefined()
    }
    expect(fetcher.calls).toBe(1)
    now += 10 * 60_000
    await keys.keyFor('made-up-again')
    expect(fetcher.calls).toBe(2)
  })

  it('does not retry a failing list on every alert, and says so without its details', async () => {
    let now = 0
    const fetcher = keyList(429)
    const keys = new GithubScanningKeys({ url: 'https://keys.example' }, fetcher, () => now)
    for (let i = 0; i < 20; i++) {
      now += 1_000
      const error = await keys.keyFor('k1').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AlertKeysUnavailable)
      expect((error as Error).message).not.toMatch(/429|keys\.example/)
    }
    expect(fetcher.calls).toBe(1)
  })
})
