import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** What `tokenmint init` saves so later commands on this machine need no flags. */
export interface Profile {
  url: string
  tenant: string
  tenants: Record<string, { client_id: string; client_secret: string }>
}

export function profilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['TOKENMINT_PROFILE']) return path.resolve(env['TOKENMINT_PROFILE'])
  const base = env['XDG_CONFIG_HOME'] || path.join(os.homedir(), '.config')
  return path.join(base, 'tokenmint', 'profile.json')
}

export function readProfile(env: NodeJS.ProcessEnv = process.env): Profile | undefined {
  try {
    return JSON.parse(fs.readFileSync(profilePath(env), 'utf8')) as Profile
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(
      `cannot read the CLI profile ${profilePath(env)}: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
}

/** Written 0600: it holds admin credentials. */
export function writeProfile(profile: Profile, env: NodeJS.ProcessEnv = process.env): string {
  const file = profilePath(env)
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const temporary = `${file}.${process.pid}.tmp`
  fs.writeFileSync(temporary, JSON.stringify(profile, null, 2) + '\n', { mode: 0o600 })
  fs.renameSync(temporary, file)
  return file
}

export function saveTenantCredentials(
  update: {
    url: string
    tenant: string
    clientId: string
    clientSecret: string
    makeDefault: boolean
  },
  env: NodeJS.ProcessEnv = process.env,
): string {
  const existing = readProfile(env)
  const sameServer = existing !== undefined && existing.url === update.url
  const profile: Profile = {
    url: update.makeDefault || !sameServer ? update.url : existing.url,
    tenant: update.makeDefault || !sameServer ? update.tenant : existing.tenant,
    tenants: {
      ...(sameServer ? existing.tenants : {}),
      [update.tenant]: { client_id: update.clientId, client_secret: update.clientSecret },
    },
  }
  return writeProfile(profile, env)
}
