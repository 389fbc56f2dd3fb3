import { describe, expect, it } from 'vitest'

import {
  checkAddress,
  isAllowListedHost,
  parseAddress,
  parseAllowList,
  refusedRange,
} from './address-policy.js'

const nothing = parseAllowList([])

describe('refusedRange: the address rule without an allow-list', () => {
  const table: { description: string; address: string; expect: string | undefined }[] = [
    { description: 'passes a public IPv4 address', address: '93.184.216.34', expect: undefined },
    { description: 'passes a public IPv6 address', address: '2606:4700::1111', expect: undefined },
    { description: 'refuses IPv4 loopback', address: '127.0.0.1', expect: 'loopback' },
    { description: 'refuses all of 127/8', address: '127.255.0.9', expect: 'loopback' },
    { description: 'refuses IPv6 loopback', address: '::1', expect: 'loopback' },
    { description: 'refuses RFC 1918 10/8', address: '10.1.2.3', expect: 'private' },
    { description: 'refuses RFC 1918 172.16/12', address: '172.31.255.255', expect: 'private' },
    {
      description: 'passes 172.32.0.1, outside 172.16/12',
      address: '172.32.0.1',
      expect: undefined,
    },
    { description: 'refuses RFC 1918 192.168/16', address: '192.168.0.1', expect: 'private' },
    { description: 'refuses CGNAT 100.64/10', address: '100.64.0.1', expect: 'carrierGradeNat' },
    {
      description: 'refuses the cloud metadata address (link-local)',
      address: '169.254.169.254',
      expect: 'linkLocal',
    },
    { description: 'refuses IPv6 link-local fe80::/10', address: 'fe80::1', expect: 'linkLocal' },
    {
      description: 'refuses a link-local address with a zone',
      address: 'fe80::1%eth0',
      expect: 'linkLocal',
    },
    { description: 'refuses ULA fc00::/7', address: 'fd00:ec2::254', expect: 'uniqueLocal' },
    { description: 'refuses unspecified 0.0.0.0', address: '0.0.0.0', expect: 'unspecified' },
    { description: 'refuses all of 0/8', address: '0.1.2.3', expect: 'unspecified' },
    { description: 'refuses unspecified ::', address: '::', expect: 'unspecified' },
    { description: 'refuses IPv4 multicast', address: '224.0.0.1', expect: 'multicast' },
    { description: 'refuses IPv6 multicast', address: 'ff02::1', expect: 'multicast' },
    { description: 'refuses broadcast', address: '255.255.255.255', expect: 'broadcast' },
    { description: 'refuses 240/4', address: '240.0.0.1', expect: 'reserved' },
    { description: 'refuses TEST-NET-1', address: '192.0.2.1', expect: 'reserved' },
    { description: 'refuses benchmarking 198.18/15', address: '198.18.0.1', expect: 'reserved' },
    {
      description: 'refuses IPv4-mapped loopback (::ffff:127.0.0.1)',
      address: '::ffff:127.0.0.1',
      expect: 'loopback',
    },
    {
      description: 'refuses IPv4-mapped loopback in hex (::ffff:7f00:1)',
      address: '::ffff:7f00:1',
      expect: 'loopback',
    },
    {
      description: 'refuses IPv4-mapped metadata address',
      address: '::ffff:169.254.169.254',
      expect: 'linkLocal',
    },
    {
      description: 'refuses IPv4-mapped private address',
      address: '[::ffff:10.0.0.1]',
      expect: 'private',
    },
    {
      description: 'passes IPv4-mapped public address as that address',
      address: '::ffff:93.184.216.34',
      expect: undefined,
    },
    {
      description: 'refuses RFC 6145 IPv4-translated loopback',
      address: '::ffff:0:127.0.0.1',
      expect: 'loopback',
    },
    {
      description: 'refuses NAT64 of loopback (64:ff9b::127.0.0.1)',
      address: '64:ff9b::7f00:1',
      expect: 'loopback',
    },
    {
      description: 'refuses NAT64 of the metadata address',
      address: '64:ff9b::169.254.169.254',
      expect: 'linkLocal',
    },
    {
      description: 'passes NAT64 of a public address (DNS64 networks)',
      address: '64:ff9b::5db8:d822',
      expect: undefined,
    },
    {
      description: 'refuses local-use NAT64 64:ff9b:1::/48',
      address: '64:ff9b:1::a00:1',
      expect: 'rfc6052',
    },
    {
      description: 'refuses IPv4-compatible ::127.0.0.1, judged by its IPv4 part',
      address: '::127.0.0.1',
      expect: 'loopback',
    },
    {
      description: 'refuses IPv4-compatible ::7f00:1 (outside 2000::/3)',
      address: '::7f00:1',
      expect: 'reserved',
    },
    { description: 'refuses 6to4 (2002::/16)', address: '2002:7f00:1::1', expect: '6to4' },
    { description: 'refuses Teredo (2001::/32)', address: '2001:0:4136:e378::1', expect: 'teredo' },
    {
      description: 'refuses IPv6 documentation 2001:db8::/32',
      address: '2001:db8::1',
      expect: 'reserved',
    },
    { description: 'refuses discard-only 100::/64', address: '100::1', expect: 'reserved' },
    { description: 'refuses site-local fec0::/10', address: 'fec0::1', expect: 'reserved' },
  ]
  for (const { description, address, expect: expected } of table) {
    it(description, () => {
      const parsed = parseAddress(address)
      expect(parsed).toBeDefined()
      const refused = refusedRange(parsed!)
      if (expected === 'reserved') expect(refused).toMatch(/reserved|deprecated|discard/i)
      else expect(refused).toBe(expected)
      expect(checkAddress(parsed!, nothing)).toBe(refused)
    })
  }
})

describe('parseAddress: only strict address spellings', () => {
  const table: { description: string; text: string; expect: string | undefined }[] = [
    { description: 'reads dotted-quad IPv4', text: '127.0.0.1', expect: '127.0.0.1' },
    { description: 'reads bracketed IPv6', text: '[::1]', expect: '::1' },
    { description: 'unwraps IPv4-mapped IPv6', text: '::ffff:127.0.0.1', expect: '127.0.0.1' },
    { description: 'does not read short IPv4 (127.1)', text: '127.1', expect: undefined },
    { description: 'does not read hex IPv4', text: '0x7f.0.0.1', expect: undefined },
    { description: 'does not read a 32-bit number', text: '2130706433', expect: undefined },
    { description: 'does not read octal-looking IPv4', text: '0177.0.0.1', expect: undefined },
    { description: 'does not read a host name', text: 'localhost', expect: undefined },
  ]
  for (const { description, text, expect: expected } of table) {
    it(description, () => {
      expect(parseAddress(text)?.toString()).toBe(expected)
    })
  }
})

describe('parseAllowList and checkAddress: TOKENMINT_OUTBOUND_ALLOW', () => {
  const table: {
    description: string
    allow: string[]
    address: string
    isAllowed: boolean
  }[] = [
    {
      description: 'lets a listed address through',
      allow: ['127.0.0.1'],
      address: '127.0.0.1',
      isAllowed: true,
    },
    {
      description: 'lets the IPv4-mapped form of a listed address through',
      allow: ['127.0.0.1'],
      address: '::ffff:127.0.0.1',
      isAllowed: true,
    },
    {
      description: 'does not stretch a listed address to its neighbours',
      allow: ['127.0.0.1'],
      address: '127.0.0.2',
      isAllowed: false,
    },
    {
      description: 'does not let IPv6 loopback through for IPv4 loopback',
      allow: ['127.0.0.1'],
      address: '::1',
      isAllowed: false,
    },
    {
      description: 'lets an address inside a listed CIDR through',
      allow: ['10.0.0.0/8'],
      address: '10.200.3.4',
      isAllowed: true,
    },
    {
      description: 'refuses an address outside a listed CIDR',
      allow: ['10.0.0.0/8'],
      address: '192.168.1.1',
      isAllowed: false,
    },
    {
      description: 'reads IPv6 CIDRs',
      allow: ['fd00::/8'],
      address: 'fd12::1',
      isAllowed: true,
    },
    {
      description: 'reads an IPv4-mapped CIDR as the IPv4 range',
      allow: ['::ffff:10.0.0.0/104'],
      address: '10.9.9.9',
      isAllowed: true,
    },
    {
      description: 'reads a wider CIDR over an IPv4-mapped address as IPv6 (::/64 holds ::1)',
      allow: ['::ffff:0:0/64'],
      address: '::1',
      isAllowed: true,
    },
    {
      description: 'reads bracketed IPv6 entries',
      allow: ['[::1]'],
      address: '::1',
      isAllowed: true,
    },
    {
      description: 'trims entries',
      allow: [' 169.254.169.254 '],
      address: '169.254.169.254',
      isAllowed: true,
    },
    {
      description: 'keeps public addresses reachable with a list',
      allow: ['10.0.0.0/8'],
      address: '93.184.216.34',
      isAllowed: true,
    },
  ]
  for (const { description, allow, address, isAllowed } of table) {
    it(description, () => {
      const refused = checkAddress(parseAddress(address)!, parseAllowList(allow))
      expect(refused === undefined).toBe(isAllowed)
    })
  }

  const hosts: { description: string; allow: string[]; hostname: string; isListed: boolean }[] = [
    {
      description: 'matches a listed host',
      allow: ['idp.internal'],
      hostname: 'idp.internal',
      isListed: true,
    },
    {
      description: 'matches hosts case-insensitively',
      allow: ['IdP.Internal'],
      hostname: 'idp.INTERNAL',
      isListed: true,
    },
    {
      description: 'ignores the trailing root dot',
      allow: ['idp.internal.'],
      hostname: 'idp.internal',
      isListed: true,
    },
    {
      description: 'does not match subdomains',
      allow: ['internal'],
      hostname: 'idp.internal',
      isListed: false,
    },
    {
      description: 'does not treat an address as a host',
      allow: ['127.0.0.1'],
      hostname: '127.0.0.1',
      isListed: false,
    },
  ]
  for (const { description, allow, hostname, isListed } of hosts) {
    it(description, () => {
      expect(isAllowListedHost(hostname, parseAllowList(allow))).toBe(isListed)
    })
  }

  const bad: { description: string; entry: string }[] = [
    { description: 'refuses a prefix longer than IPv4 has', entry: '10.0.0.0/33' },
    { description: 'refuses a prefix longer than IPv6 has', entry: 'fd00::/129' },
    { description: 'refuses a prefix that is not a number', entry: '10.0.0.0/eight' },
    { description: 'refuses a CIDR over a host name', entry: 'idp.internal/24' },
    { description: 'refuses two prefixes', entry: '10.0.0.0/8/8' },
    { description: 'refuses a loose IPv4 spelling', entry: '127.1' },
    { description: 'refuses a zone', entry: 'fe80::1%eth0' },
    { description: 'refuses a URL', entry: 'https://idp.internal' },
    { description: 'refuses a host with a port', entry: 'idp.internal:8443' },
    { description: 'refuses an empty entry', entry: '' },
  ]
  for (const { description, entry } of bad) {
    it(description, () => {
      expect(() => parseAllowList([entry])).toThrow(RangeError)
    })
  }
})
