import type { Command } from 'commander'

import { print, table } from './output.js'
import { adminClientFor } from './remote.js'
import type { RotatedKeysView, SigningKeyView } from './wire.js'

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description("manage the tenant's signing keys")

  keys
    .command('list')
    .description('list the signing keys: current, next and retired')
    .option('--json', 'print JSON')
    .action(async (_flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const result = await client.request<{ items: SigningKeyView[] }>(
        'GET',
        client.tenantPath('/keys'),
      )
      print(options.json, result, () =>
        table([
          ['KID', 'ALG', 'STATUS', 'ACTIVATED', 'PUBLISHED UNTIL'],
          ...result.items.map((k) => [
            k.kid,
            k.algorithm,
            k.status,
            k.activated_at ?? '-',
            k.publish_until ?? '-',
          ]),
        ]),
      )
    })

  keys
    .command('rotate')
    .description(
      'sign with the pre-published next key; the old key stays in JWKS until its tokens expire',
    )
    .option('--algorithm <alg>', 'switch algorithm: ES256, RS256, PS256 or EdDSA')
    .option('--json', 'print JSON')
    .action(async (flags: { algorithm?: string }, command: Command) => {
      const { client, options } = adminClientFor(command)
      const result = await client.request<RotatedKeysView>(
        'POST',
        client.tenantPath('/keys/rotate'),
        flags.algorithm === undefined ? {} : { signing_algorithm: flags.algorithm },
      )
      print(options.json, result, () =>
        [
          `Now signing with ${result.current.kid} (${result.current.algorithm})${result.pre_published ? ', published in JWKS since the previous rotation' : ''}.`,
          `Next key ${result.next.kid} is published in JWKS.`,
          ...(result.retired === null
            ? []
            : [
                `Retired ${result.retired.kid}; published until ${result.retired.publish_until ?? '-'}.`,
              ]),
        ].join('\n'),
      )
    })
}
