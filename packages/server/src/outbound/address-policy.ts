import ipaddr from 'ipaddr.js'

type Address = ipaddr.IPv4 | ipaddr.IPv6

/** `TOKENMINT_OUTBOUND_ALLOW`, parsed: host names and CIDRs exempt from the address rule. */
export interface AllowList {
  readonly hosts: ReadonlySet<string>
  readonly ranges: readonly (readonly [Address, number])[]
}

// RFC 6052 §2.1: the well-known NAT64 prefix carries an IPv4 address in its last 32 bits. DNS64
// networks hand these out for public IPv4 hosts, so the embedded address is what gets judged.
const NAT64_WELL_KNOWN: [ipaddr.IPv6, number] = ipaddr.IPv6.parseCIDR('64:ff9b::/96')
// RFC 4291 §2.4: only 2000::/3 is global unicast; everything else (IPv4-compatible ::/96, ULA,
// link-local, multicast, discard, site-local) never belongs to a public server.
const GLOBAL_UNICAST: [ipaddr.IPv6, number] = ipaddr.IPv6.parseCIDR('2000::/3')
// A DNS name (RFC 1123); the last label must not look numeric, or it would be an IPv4 address.
const HOST_NAME =
  /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/

/**
 * Parses an IP address strictly (dotted-quad IPv4 or IPv6, optionally in brackets), and
 * unwraps IPv4 carried in IPv6 (`::ffff:127.0.0.1`, NAT64) so both forms are judged alike.
 * Returns undefined for anything else, including the loose IPv4 forms (`127.1`, `0x7f.1`).
 */
export function parseAddress(text: string): Address | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare)
  if (!ipaddr.IPv6.isValid(bare)) return undefined
  // ipaddr.js reads `::a.b.c.d` (how getaddrinfo prints IPv4-compatible addresses) as IPv4-mapped,
  // so such addresses are judged by their IPv4 part; written in hex they fall outside 2000::/3.
  return unwrapIPv4(ipaddr.IPv6.parse(bare))
}

function unwrapIPv4(address: ipaddr.IPv6): Address {
  if (address.isIPv4MappedAddress()) return address.toIPv4Address()
  // RFC 6145 (`::ffff:0:a.b.c.d`) and RFC 6052 carry the IPv4 address in the last two groups.
  if (address.range() === 'rfc6145' || address.match(NAT64_WELL_KNOWN)) {
    const [high = 0, low = 0] = address.parts.slice(6)
    return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])
  }
  return address
}

/**
 * Why an address is refused (the name of its special-purpose range: `loopback`, `private`,
 * `linkLocal`, `carrierGradeNat`, `uniqueLocal`, `multicast`, `unspecified`, `reserved`, …), or
 * undefined for a public unicast address. ipaddr.js keeps the IANA special-purpose registries.
 */
export function refusedRange(address: Address): string | undefined {
  const range = address.range()
  if (range !== 'unicast') return range
  if (address instanceof ipaddr.IPv6 && !address.match(GLOBAL_UNICAST)) return 'reserved'
  return undefined
}

/** Parses the allow-list entries (`Config.outboundAllow`); throws on an entry that is not one. */
export function parseAllowList(entries: readonly string[]): AllowList {
  const hosts = new Set<string>()
  const ranges: (readonly [Address, number])[] = []
  for (const raw of entries) {
    const entry = hostKey(raw.trim())
    if (HOST_NAME.test(entry)) hosts.add(entry)
    else ranges.push(parseRange(entry, raw))
  }
  return { hosts, ranges }
}

function parseRange(entry: string, raw: string): readonly [Address, number] {
  const [text = '', prefix, extra] = entry.replace(/^\[(.*)\]$/, '$1').split('/')
  const isAddress = ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text)
  if (
    !isAddress ||
    text.includes('%') ||
    extra !== undefined ||
    !/^(\d{1,3})?$/.test(prefix ?? '')
  ) {
    throw new RangeError(`"${raw}" is not a host name, IP address or CIDR`)
  }
  const address = ipaddr.parse(text)
  const bits = address.kind() === 'ipv4' ? 32 : 128
  const length = prefix === undefined ? bits : Number(prefix)
  if (length > bits) throw new RangeError(`"${raw}" has a prefix longer than ${bits} bits`)
  // Addresses are judged with IPv4-mapped forms unwrapped, so entries are unwrapped the same way:
  // `::ffff:10.0.0.0/104` is 10.0.0.0/8.
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && length >= 96) {
    return [address.toIPv4Address(), length - 96]
  }
  return [address, length]
}

/** Host names compare case-insensitively and without the root's trailing dot. */
export function hostKey(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '')
}

export function isAllowListedHost(hostname: string, allow: AllowList): boolean {
  return allow.hosts.has(hostKey(hostname))
}

/**
 * The address rule: a public unicast address passes; any other only when the allow-list holds
 * it. Returns why an address is refused, or undefined when it may be reached.
 */
export function checkAddress(address: Address, allow: AllowList): string | undefined {
  const refused = refusedRange(address)
  if (refused === undefined) return undefined
  const isListed = allow.ranges.some(
    ([network, prefix]) => network.kind() === address.kind() && address.match(network, prefix),
  )
  return isListed ? undefined : refused
}
