import dns from 'node:dns/promises'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import https from 'node:https'
import tls from 'node:tls'
import type { LookupFunction } from 'node:net'

import {
  checkAddress,
  isAllowListedHost,
  parseAddress,
  parseAllowList,
  type AllowList,
} from './address-policy.js'
import { OutboundError } from './errors.js'

// The one client for every URL an administrator supplies (jwks_uri, federation issuer, webhook,
// audit sink): https only, no redirects, capped in bytes and time, and never to a loopback,
// private or link-local address unless TOKENMINT_OUTBOUND_ALLOW lists it.
//
// Written over node:https rather than undici: both need the same hand-written parts (a DNS hook
// that judges every address, a byte cap, one deadline over DNS + connect + TLS + body), and
// node:https adds no dependency, pools nothing and never reads proxy variables.

export const DEFAULT_MAX_BYTES = 1_048_576
export const DEFAULT_TIMEOUT_MS = 5_000

export interface ResolvedAddress {
  readonly address: string
  readonly family: number
}

/** Resolves a host name to every address it has (the default: getaddrinfo, honouring /etc/hosts). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>

export interface OutboundFetcherOptions {
  /**
   * `Config.outboundAllow`: host names, addresses and CIDRs exempt from the address rule. The
   * allow-list lifts only that rule: https, certificate checks, the no-redirect rule and the
   * caps still apply, so a listed internal host needs a certificate the process trusts.
   */
  readonly allow: readonly string[]
  /** PEM certificates to trust instead of Node's bundled CAs (a test CA, a private PKI). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[]
  /** How host names are resolved; tests pass a fixed answer instead of real DNS. */
  readonly resolve?: Resolver
}

export interface OutboundRequest {
  readonly method?: 'GET' | 'POST' | 'PUT'
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string | Uint8Array
  /** Largest accepted response body; default 1 MiB. */
  readonly maxBytes?: number
  /** Deadline for the whole exchange, DNS to the last body byte; default 5 s. */
  readonly timeoutMs?: number
}

export interface OutboundResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

export interface OutboundJsonResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly json: unknown
}

interface Target {
  readonly url: URL
  /** scheme://host:port: what messages name (path and query may carry secrets). */
  readonly origin: string
  readonly hostname: string
}

const defaultResolve: Resolver = (hostname) => dns.lookup(hostname, { all: true })

export class OutboundFetcher {
  readonly #allow: AllowList
  readonly #ca: OutboundFetcherOptions['ca']
  readonly #resolve: Resolver

  constructor(options: OutboundFetcherOptions) {
    this.#allow = parseAllowList(options.allow)
    this.#ca = options.ca
    this.#resolve = options.resolve ?? defaultResolve
  }

  /**
   * Sends one request and reads the whole body. Any status but a 3xx is returned (304 too: it
   * answers a conditional request and redirects nowhere); failures throw OutboundError.
   */
  async fetch(url: string | URL, request: OutboundRequest = {}): Promise<OutboundResponse> {
    const target = this.#target(url)
    const maxBytes = positive(request.maxBytes ?? DEFAULT_MAX_BYTES, 'maxBytes')
    const timeoutMs = positive(request.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs')
    const { origin } = target
    const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body

    return new Promise<OutboundResponse>((resolve, reject) => {
      let isSettled = false
      const settle = (outcome: () => void) => {
        if (isSettled) return
        isSettled = true
        clearTimeout(deadline)
        outcome()
      }
      const fail = (error: OutboundError) => {
        settle(() => {
          reject(error)
        })
        req.destroy()
      }
      const deadline = setTimeout(() => {
        fail(new OutboundError('timeout', `${origin} did not answer within ${timeoutMs} ms`))
      }, timeoutMs)

      const req = https.request(
        {
          method: request.method ?? 'GET',
          hostname: target.hostname,
          port: target.url.port === '' ? 443 : Number(target.url.port),
          path: target.url.pathname + target.url.search,
          headers: {
            'user-agent': 'tokenmint',
            'accept-encoding': 'identity',
            ...request.headers,
            ...(body !== undefined && { 'content-length': String(body.byteLength) }),
          },
          // A fresh connection each time: nothing pooled outlives the check of its address.
          agent: false,
          ...(this.#ca !== undefined && { ca: this.#ca as string | Buffer | (string | Buffer)[] }),
          lookup: this.#lookup(target),
        },
        (res: IncomingMessage) => {
          const status = res.statusCode ?? 0
          if (status >= 300 && status < 400 && status !== 304) {
            fail(
              new OutboundError('redirect', `${origin} answered ${status}; redirects are refused`, {
                status,
              }),
            )
            return
          }
          const tooLarge = () =>
            new OutboundError('too_large', `${origin} sent a body over ${maxBytes} bytes`)
          if (Number(res.headers['content-length']) > maxBytes) {
            fail(tooLarge())
            return
          }
          const chunks: Buffer[] = []
          let received = 0
          res.on('data', (chunk: Buffer) => {
            received += chunk.byteLength
            if (received > maxBytes) fail(tooLarge())
            else chunks.push(chunk)
          })
          res.on('end', () => {
            settle(() => {
              resolve({ status, headers: res.headers, body: Buffer.concat(chunks) })
            })
          })
          res.on('error', (error) => {
            fail(failure(error, origin))
          })
          res.on('close', () => {
            if (!res.complete) fail(new OutboundError('network', `${origin} closed mid-answer`))
          })
        },
      )
      req.on('error', (error) => {
        fail(failure(error, origin))
      })
      req.end(body)
    })
  }

  /** `fetch` with `Accept: application/json`; a non-2xx status or a non-JSON body throws. */
  async fetchJson(url: string | URL, request: OutboundRequest = {}): Promise<OutboundJsonResponse> {
    const response = await this.fetch(url, {
      ...request,
      headers: { accept: 'application/json', ...request.headers },
    })
    const { origin } = this.#target(url)
    if (response.status < 200 || response.status > 299) {
      throw new OutboundError('http_status', `${origin} answered ${response.status}`, {
        status: response.status,
      })
    }
    try {
      const json: unknown = JSON.parse(response.body.toString('utf8'))
      return { status: response.status, headers: response.headers, json }
    } catch (cause) {
      throw new OutboundError('json', `${origin} did not answer with JSON`, { cause })
    }
  }

  /**
   * Syslog over TLS (RFC 5425) under the same rules: `syslog+tls://host:port` only, every address
   * checked, the certificate verified for the host name. Writes `payload`, ends the stream, and
   * resolves once the peer has closed its side too, so a receiver that went away midway is a
   * failure to retry, not a silent loss.
   */
  async sendOverTls(
    url: string,
    payload: Uint8Array,
    timeoutMs: number = DEFAULT_TIMEOUT_MS,
  ): Promise<void> {
    const target = this.#target(url, 'syslog+tls:')
    const { origin } = target
    const port = Number(target.url.port === '' ? 6514 : target.url.port)
    await new Promise<void>((resolve, reject) => {
      let isSettled = false
      const settle = (error?: OutboundError) => {
        if (isSettled) return
        isSettled = true
        clearTimeout(deadline)
        if (error === undefined) resolve()
        else {
          socket.destroy()
          reject(error)
        }
      }
      const deadline = setTimeout(() => {
        settle(
          new OutboundError(
            'timeout',
            `${origin} did not take the messages within ${timeoutMs} ms`,
          ),
        )
      }, timeoutMs)
      const socket = tls.connect({
        host: target.hostname,
        port,
        ...(parseAddress(target.hostname) === undefined && { servername: target.hostname }),
        ...(this.#ca !== undefined && { ca: this.#ca as string | Buffer | (string | Buffer)[] }),
        lookup: this.#lookup(target),
      })
      let isSent = false
      socket.on('secureConnect', () => {
        isSent = true
        socket.end(payload)
      })
      socket.on('data', () => undefined)
      socket.on('end', () => {
        socket.end()
      })
      socket.on('close', (hadError) => {
        if (hadError) return
        settle(isSent ? undefined : new OutboundError('network', `${origin}: closed before TLS`))
      })
      socket.on('error', (cause: unknown) => {
        settle(failure(cause, origin))
      })
    })
  }

  /**
   * The rule without a request: the URL's shape and scheme, and every address its host has now.
   * A webhook's URL is judged so when it is registered, and again at each delivery (DNS may move).
   */
  async checkDestination(url: string | URL): Promise<void> {
    const target = this.#target(url)
    if (parseAddress(target.hostname) !== undefined) return
    await this.#resolveChecked(
      target.hostname,
      target.origin,
      isAllowListedHost(target.hostname, this.#allow),
    )
  }

  /** Checks everything that needs no network: URL shape, scheme, userinfo, a literal address. */
  #target(input: string | URL, protocol = 'https:'): Target {
    let url: URL
    try {
      url = new URL(input)
    } catch {
      // The input is not echoed: it may be a secret-bearing URL with a typo.
      throw new OutboundError('url', 'not an absolute URL')
    }
    if (url.protocol !== protocol) {
      const host = url.host === '' ? '' : ` (${url.host})`
      throw new OutboundError(
        'scheme',
        `only ${protocol.slice(0, -1)} URLs are ${protocol === 'https:' ? 'fetched' : 'accepted'}, got ${url.protocol}${host}`,
      )
    }
    // Special schemes only have an origin; for syslog+tls: it is "null".
    const origin = protocol === 'https:' ? url.origin : `${url.protocol}//${url.host}`
    if (url.username !== '' || url.password !== '') {
      throw new OutboundError('url', `${origin}: credentials in the URL are refused`)
    }
    // WHATWG URL parsing has already turned `127.1`, `0x7f.0.0.1` and `2130706433` into
    // 127.0.0.1. Node connects to literal addresses without calling `lookup`, so judge them here.
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
    const literal = parseAddress(hostname)
    if (literal !== undefined) {
      const refused = checkAddress(literal, this.#allow)
      if (refused !== undefined) throw refusal(origin, hostname, refused)
    }
    return { url, origin, hostname }
  }

  /**
   * The DNS-rebinding guard: net.connect asks this hook for addresses, gets only ones judged here
   * and connects to them, while TLS still verifies the certificate (and sends SNI) for the host
   * name. One resolution per request; every address must pass, not only the one used first.
   */
  #lookup(target: Target): LookupFunction {
    const isListedHost = isAllowListedHost(target.hostname, this.#allow)
    return (hostname, options, callback) => {
      this.#resolveChecked(hostname, target.origin, isListedHost).then(
        (addresses) => {
          if (options.all === true)
            callback(
              null,
              addresses.map((a) => ({ ...a })),
            )
          else callback(null, addresses[0].address, addresses[0].family)
        },
        (error: unknown) => {
          callback(error as OutboundError, '')
        },
      )
    }
  }

  async #resolveChecked(
    hostname: string,
    origin: string,
    isListedHost: boolean,
  ): Promise<readonly [ResolvedAddress, ...ResolvedAddress[]]> {
    let addresses: readonly ResolvedAddress[]
    try {
      addresses = await this.#resolve(hostname)
    } catch (cause) {
      throw new OutboundError('network', `${origin}: cannot resolve ${hostname}`, { cause })
    }
    if (!isNonEmpty(addresses)) {
      throw new OutboundError('network', `${origin}: ${hostname} has no address`)
    }
    for (const { address } of addresses) {
      const parsed = parseAddress(address)
      if (parsed === undefined) {
        throw new OutboundError('network', `${origin}: ${hostname} resolved to "${address}"`)
      }
      const refused = isListedHost ? undefined : checkAddress(parsed, this.#allow)
      if (refused !== undefined) throw refusal(origin, hostname, refused, address)
    }
    return addresses
  }
}

function refusal(origin: string, hostname: string, range: string, address?: string) {
  const what =
    address === undefined ? `a ${range} address` : `${hostname} resolves to ${address} (${range})`
  return new OutboundError(
    'destination',
    `${origin} refused: ${what}; only public addresses are fetched unless TOKENMINT_OUTBOUND_ALLOW lists them`,
  )
}

function isNonEmpty<T>(list: readonly T[]): list is readonly [T, ...T[]] {
  return list.length > 0
}

// OpenSSL verification codes (DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED,
// UNABLE_TO_VERIFY_LEAF_SIGNATURE, …) and Node's ERR_TLS_* / ERR_SSL_* codes.
const TLS_CODE = /CERT|SSL|TLS|UNABLE_TO_/

function failure(error: unknown, origin: string): OutboundError {
  if (error instanceof OutboundError) return error
  const code = (error as NodeJS.ErrnoException).code ?? 'ERR_UNKNOWN'
  return TLS_CODE.test(code)
    ? new OutboundError('tls', `${origin}: TLS failed (${code})`, { cause: error })
    : new OutboundError('network', `${origin}: connection failed (${code})`, { cause: error })
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be positive`)
  return value
}
