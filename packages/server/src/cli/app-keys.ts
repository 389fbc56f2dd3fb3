import { createPublicKey } from 'node:crypto'
import fs from 'node:fs'

import type { Command } from 'commander'

import { CliError } from './cli-error.js'
import { print } from './output.js'
import { adminClientFor } from './remote.js'
import type { ApplicationView } from './wire.js'

type KeyView = NonNullable<ApplicationView['keys']>[number]

/**
 * Reads public keys for private_key_jwt from a file: a JWK Set, one JWK, or a PEM public key
 * (what `openssl pkey -pubout` writes), so a key made with any tool can be registered as is.
 */
export function readJwksFile(file: string): { keys: unknown[] } {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`)
  }
  if (text.includes('-----BEGIN')) {
    if (text.includes('PRIVATE KEY'))
      throw new CliError(
        `${file} holds a private key: register its public half (openssl pkey -in ${file} -pubout)`,
      )
    try {
      return { keys: [createPublicKey(text).export({ format: 'jwk' })] }
    } catch {
      throw new CliError(`${file} is not a PEM public key`)
    }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new CliError(`${file} is neither JSON (a JWK or JWK Set) nor a PEM public key`)
  }
  if (typeof parsed === 'object' && parsed !== null && 'keys' in parsed)
    return parsed as { keys: unknown[] }
  return { keys: [parsed] }
}

export function describeKey(key: KeyView): string {
  const { kty, crv } = key.jwk as { kty?: string; crv?: string }
  return `  key ${key.kid}: ${kty ?? '?'}${crv === undefined ? '' : ` ${crv}`}, thumbprint ${key.thumbprint}, added ${key.created_at}, last used ${key.last_used_at ?? 'never'}`
}

/** `tokenmint apps keys add|remove`: rotating a private_key_jwt application's public keys. */
export function registerAppKeys(apps: Command): void {
  const keys = apps
    .command('keys')
    .description(
      "a private_key_jwt application's public keys: add the new one, then remove the old",
    )
  const keysPath = (clientId: string) => `/applications/${encodeURIComponent(clientId)}/keys`

  keys
    .command('add')
    .description('register more public keys (a JWK, a JWK Set or a PEM public key)')
    .argument('<client-id>', 'client id of the application')
    .requiredOption('--jwks-file <file>', 'the public key(s): JWK, JWK Set or PEM')
    .option('--json', 'print JSON')
    .action(async (clientId: string, flags: { jwksFile: string }, command: Command) => {
      const { client, options } = adminClientFor(command)
      const result = await client.request<{ keys: KeyView[] }>(
        'POST',
        client.tenantPath(keysPath(clientId)),
        { jwks: readJwksFile(flags.jwksFile) },
      )
      print(options.json, result, () =>
        [
          `Added ${result.keys.length} key(s); every registered key works until removed:`,
          ...result.keys.map(describeKey),
        ].join('\n'),
      )
    })

  keys
    .command('remove')
    .description('remove a key by its kid (the last key cannot be removed)')
    .argument('<client-id>', 'client id of the application')
    .argument('<kid>', 'the key id, as `tokenmint apps show` lists it')
    .option('--json', 'print JSON')
    .action(async (clientId: string, kid: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const removed = await client.request<KeyView>(
        'DELETE',
        client.tenantPath(`${keysPath(clientId)}/${encodeURIComponent(kid)}`),
      )
      print(
        options.json,
        removed,
        () => `Removed key ${removed.kid}: assertions it signs are refused from now on.`,
      )
    })
}
