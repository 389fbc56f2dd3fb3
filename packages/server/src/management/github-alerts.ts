import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto'
import fs from 'node:fs/promises'

import type { GithubScanningKeySource } from '../config/load-config.js'
import type { OutboundFetcher } from '../outbound/outbound-fetcher.js'
import { reportLeak, type LeakOutcome } from './leaks.js'
import type { ManagementDeps } from './deps.js'

/**
 * GitHub's secret-scanning partner alerts (docs.github.com, "Secret scanning partner program"):
 * a JSON list of `{token, type, url, source}` signed with ECDSA P-256 / SHA-256 by one of the
 * keys GitHub publishes; the answer labels each token `true_positive` or `false_positive` by
 * its SHA-256, never echoing the token.
 */

/** Tokens handled per alert at most; GitHub batches a handful. */
export const MAX_ALERT_TOKENS = 1000
const KEYS_TTL_MS = 3600_000
/**
 * Least time between two reads of the list, whatever the last one gave: an unknown key
 * identifier, which anyone can send, makes it read again at most this often, so alerts cannot
 * be used to spend the server's budget of requests to GitHub.
 */
const REFETCH_COOLDOWN_MS = 10 * 60_000

export class AlertKeysUnavailable extends Error {}

/** GitHub's public keys by identifier, fetched (or read) when needed and kept for an hour. */
export class GithubScanningKeys {
  #keys = new Map<string, KeyObject>()
  #loadedAt = -Infinity
  #attemptedAt = -Infinity
  #loading: Promise<void> | undefined

  constructor(
    private readonly source: GithubScanningKeySource,
    private readonly fetcher: Pick<OutboundFetcher, 'fetch'>,
    private readonly now: () => number = Date.now,
  ) {}

  async keyFor(identifier: string): Promise<KeyObject | undefined> {
    const known = this.#keys.get(identifier)
    if (known !== undefined && this.now() - this.#loadedAt < KEYS_TTL_MS) return known
    if (this.now() - this.#attemptedAt < REFETCH_COOLDOWN_MS) {
      if (known !== undefined || this.#loadedAt > -Infinity) return known
      throw new AlertKeysUnavailable("GitHub's secret-scanning keys are not available yet")
    }
    try {
      this.#loading ??= this.#load().finally(() => (this.#loading = undefined))
      await this.#loading
    } catch (error) {
      // A cached key stays usable while GitHub's list cannot be read.
      if (known !== undefined) return known
      throw new AlertKeysUnavailable("GitHub's secret-scanning keys could not be read", {
        cause: error,
      })
    }
    return this.#keys.get(identifier)
  }

  async #load(): Promise<void> {
    this.#attemptedAt = this.now()
    let text: string
    if ('file' in this.source) {
      text = await fs.readFile(this.source.file, 'utf8')
    } else {
      const response = await this.fetcher.fetch(this.source.url, {
        headers: { accept: 'application/json' },
        maxBytes: 262_144,
      })
      if (response.status !== 200)
        throw new Error(`the key list answered ${String(response.status)}`)
      text = response.body.toString('utf8')
    }
    const parsed = JSON.parse(text) as { public_keys?: unknown }
    if (!Array.isArray(parsed.public_keys)) throw new Error('the key list has no public_keys')
    const keys = new Map<string, KeyObject>()
    for (const entry of parsed.public_keys as { key_identifier?: unknown; key?: unknown }[]) {
      if (typeof entry.key_identifier !== 'string' || typeof entry.key !== 'string') continue
      try {
        keys.set(entry.key_identifier, createPublicKey(entry.key))
      } catch {
        // One unreadable key does not hide the others.
      }
    }
    this.#keys = keys
    this.#loadedAt = this.now()
  }
}

export interface AlertAnswer {
  status: number
  body: unknown
  headers?: Record<string, string>
  /** Why it failed, for the server's log only: never sent. */
  failure?: unknown
}

interface AlertToken {
  token: string
  type: string
  url?: string | undefined
}

function parseAlert(body: Buffer): AlertToken[] | string {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    return 'the body must be a JSON array of {token, type, url, source}'
  }
  if (!Array.isArray(parsed)) return 'the body must be a JSON array of {token, type, url, source}'
  if (parsed.length > MAX_ALERT_TOKENS)
    return `at most ${String(MAX_ALERT_TOKENS)} tokens per alert`
  const tokens: AlertToken[] = []
  for (const item of parsed as unknown[]) {
    const entry = item as { token?: unknown; type?: unknown; url?: unknown }
    if (
      typeof item !== 'object' ||
      item === null ||
      typeof entry.token !== 'string' ||
      typeof entry.type !== 'string'
    )
      return 'each entry must have a string token and type'
    tokens.push({
      token: entry.token,
      type: entry.type,
      url: typeof entry.url === 'string' ? entry.url : undefined,
    })
  }
  return tokens
}

const problem = (status: number, title: string, detail: string): AlertAnswer => ({
  status,
  body: { type: 'about:blank', title, status, detail },
})

/**
 * Checks the signature over the exact bytes received, then handles each token: a live
 * Tokenmint secret is revoked as its tenant's policy says and labelled `true_positive`, as is
 * one already reported; anything else is `false_positive`.
 */
export async function handleGithubAlert(
  deps: Pick<ManagementDeps, 'storage' | 'hasher' | 'changes' | 'now'>,
  keys: GithubScanningKeys,
  body: Buffer,
  headers: { identifier: string | undefined; signature: string | undefined },
): Promise<AlertAnswer & { outcomes?: LeakOutcome[] }> {
  if (headers.identifier === undefined || headers.signature === undefined)
    return problem(
      401,
      'Unauthorized',
      'Github-Public-Key-Identifier and Github-Public-Key-Signature are required',
    )
  let key: KeyObject | undefined
  try {
    key = await keys.keyFor(headers.identifier)
  } catch (error) {
    if (!(error instanceof AlertKeysUnavailable)) throw error
    return {
      ...problem(503, 'Service Unavailable', error.message),
      headers: { 'Retry-After': '60' },
    }
  }
  const signature = Buffer.from(headers.signature, 'base64')
  let valid = false
  if (key !== undefined && signature.length > 0) {
    try {
      valid = verify('sha256', body, key, signature)
    } catch {
      valid = false
    }
  }
  if (!valid) return problem(401, 'Unauthorized', 'the alert signature does not verify')
  const tokens = parseAlert(body)
  if (typeof tokens === 'string') return problem(400, 'Bad Request', tokens)
  const answers = []
  const outcomes: LeakOutcome[] = []
  let failure: unknown
  for (const alert of tokens) {
    let outcome: LeakOutcome
    try {
      ;({ outcome } = await reportLeak(deps, {
        secret: alert.token,
        url: alert.url,
        source: 'github',
        reporter: 'leak-scanner:github',
      }))
    } catch (error) {
      // The others are still handled; the alert then fails as a whole so that GitHub sends it
      // again, and the tokens handled now answer `already_revoked` (true_positive) next time.
      failure ??= error
      continue
    }
    outcomes.push(outcome)
    answers.push({
      token_hash: createHash('sha256').update(alert.token).digest('hex'),
      token_type: alert.type,
      label: outcome === 'unknown' ? 'false_positive' : 'true_positive',
    })
  }
  if (failure !== undefined)
    return {
      ...problem(
        500,
        'Internal Server Error',
        'the alert could not be handled in full; send it again',
      ),
      outcomes,
      failure,
    }
  return { status: 200, body: answers, outcomes }
}
