import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** Admin credentials for one tenant of one server, saved by `init`, `serve` and `tenants create`. */
export interface SavedProfile {
  url: string
  tenant: string
  client_id: string
  client_secret: string
  /** Set when newer credentials for the same server and tenant took its place. */
  replaced_at?: string
}

/**
 * The profile file: named profiles, one per server and tenant, and the default one. `url`,
 * `tenant` and `tenants` mirror the default profile's server in the first format, which older
 * versions (and scripts) read.
 */
export interface ProfileFile {
  version: 2
  default: string | undefined
  profiles: Record<string, SavedProfile>
  url?: string
  tenant?: string
  tenants?: Record<string, { client_id: string; client_secret: string }>
}

/** The first format: one server, credentials per tenant. */
interface LegacyProfile {
  url: string
  tenant: string
  tenants: Record<string, { client_id: string; client_secret: string }>
}

export function profilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['TOKENMINT_PROFILE']) return path.resolve(env['TOKENMINT_PROFILE'])
  const base = env['XDG_CONFIG_HOME'] || path.join(os.homedir(), '.config')
  return path.join(base, 'tokenmint', 'profile.json')
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

/** scheme://host:port/path with loopback names folded together and the default port spelled. */
function serverKey(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return url.replace(/\/+$/, '')
  }
  const host = LOOPBACK.has(parsed.hostname) ? 'loopback' : parsed.hostname
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80')
  return `${parsed.protocol}//${host}:${port}${parsed.pathname.replace(/\/+$/, '')}`
}

/** localhost, 127.0.0.1 and [::1] on the same port are the same server. */
export function isSameServer(a: string, b: string): boolean {
  return serverKey(a) === serverKey(b)
}

function migrate(raw: unknown): ProfileFile {
  const value = raw as Partial<ProfileFile & LegacyProfile>
  if (value.version === 2 && typeof value.profiles === 'object') {
    return { ...value, version: 2, default: value.default, profiles: value.profiles }
  }
  // The first format: its tenants become profiles named after them.
  const profiles: Record<string, SavedProfile> = {}
  for (const [tenant, credentials] of Object.entries(value.tenants ?? {})) {
    if (value.url === undefined) break
    profiles[tenant] = { url: value.url, tenant, ...credentials }
  }
  const isDefaultSaved = value.tenant !== undefined && value.tenant in profiles
  return { version: 2, default: isDefaultSaved ? value.tenant : undefined, profiles }
}

export function readProfiles(env: NodeJS.ProcessEnv = process.env): ProfileFile | undefined {
  try {
    return migrate(JSON.parse(fs.readFileSync(profilePath(env), 'utf8')))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(
      `cannot read the CLI profile ${profilePath(env)}: ${(error as Error).message}`,
      { cause: error },
    )
  }
}

/** The live (not replaced) profile for this server and tenant. */
export function findProfile(
  file: ProfileFile | undefined,
  url: string,
  tenant: string,
): [string, SavedProfile] | undefined {
  return Object.entries(file?.profiles ?? {}).find(
    ([, p]) => p.replaced_at === undefined && p.tenant === tenant && isSameServer(p.url, url),
  )
}

/** The tenants saved for this server, the default profile's first. */
export function tenantsOf(file: ProfileFile | undefined, url: string): string[] {
  const saved = Object.entries(file?.profiles ?? {})
    .filter(([, p]) => p.replaced_at === undefined && isSameServer(p.url, url))
    .sort(([a], [b]) => Number(b === file?.default) - Number(a === file?.default))
  return saved.map(([, p]) => p.tenant)
}

/** Written 0600: it holds admin credentials. */
function writeProfiles(file: ProfileFile, env: NodeJS.ProcessEnv): string {
  const target = profilePath(env)
  const current = file.default === undefined ? undefined : file.profiles[file.default]
  const mirror: Pick<ProfileFile, 'url' | 'tenant' | 'tenants'> =
    current === undefined
      ? {}
      : {
          url: current.url,
          tenant: current.tenant,
          tenants: Object.fromEntries(
            Object.values(file.profiles)
              .filter((p) => p.replaced_at === undefined && isSameServer(p.url, current.url))
              .map((p) => [p.tenant, { client_id: p.client_id, client_secret: p.client_secret }]),
          ),
        }
  const body = { version: 2, default: file.default, profiles: file.profiles, ...mirror }
  fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 })
  const temporary = `${target}.${process.pid}.tmp`
  fs.writeFileSync(temporary, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 })
  fs.renameSync(temporary, target)
  return target
}

function freeName(file: ProfileFile, wanted: string): string {
  if (!(wanted in file.profiles)) return wanted
  for (let n = 2; ; n++) if (!(`${wanted}-${n}` in file.profiles)) return `${wanted}-${n}`
}

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}

export interface SavedCredentials {
  /** The profile file. */
  file: string
  /** The profile's name, for `--profile`. */
  name: string
  /** Where the credentials this save replaced were kept, if any. */
  previous: string | undefined
  /** Whether it is now the default profile. */
  isDefault: boolean
  /** The default profile this save took over from (another server or tenant), if any. */
  previousDefault: string | undefined
}

/**
 * Saves a tenant's admin credentials as the profile of its server and tenant. Credentials saved
 * before for the same server and tenant are never lost: they stay under another name.
 */
export function saveTenantCredentials(
  update: {
    url: string
    tenant: string
    clientId: string
    clientSecret: string
    makeDefault: boolean
  },
  env: NodeJS.ProcessEnv = process.env,
): SavedCredentials {
  const file = readProfiles(env) ?? { version: 2, default: undefined, profiles: {} }
  const existing = findProfile(file, update.url, update.tenant)
  let name: string
  let previous: string | undefined
  if (existing === undefined) {
    name = freeName(
      file,
      update.tenant in file.profiles ? `${update.tenant}@${hostOf(update.url)}` : update.tenant,
    )
  } else {
    const [existingName, saved] = existing
    name = existingName
    const isSame =
      saved.client_id === update.clientId && saved.client_secret === update.clientSecret
    if (!isSame) {
      previous = freeName(file, `${existingName}-previous`)
      file.profiles[previous] = { ...saved, replaced_at: new Date().toISOString() }
    }
  }
  file.profiles[name] = {
    url: update.url,
    tenant: update.tenant,
    client_id: update.clientId,
    client_secret: update.clientSecret,
  }
  const before = file.default
  if (update.makeDefault || before === undefined || !(before in file.profiles)) file.default = name
  return {
    file: writeProfiles(file, env),
    name,
    previous,
    isDefault: file.default === name,
    previousDefault:
      before !== undefined && before !== name && file.default === name ? before : undefined,
  }
}

/** One sentence for the human output of a save. */
export function describeSave(saved: SavedCredentials, url: string, tenant: string): string {
  return [
    `Saved as profile "${saved.name}"${saved.isDefault ? ' (the default)' : ''} in ${saved.file} (mode 0600).`,
    ...(saved.previous === undefined
      ? []
      : [
          `The admin credentials saved before for tenant "${tenant}" of ${url} were kept as profile "${saved.previous}" (use them with --profile ${saved.previous}).`,
        ]),
    ...(saved.previousDefault === undefined
      ? []
      : [
          `The previous default profile "${saved.previousDefault}" is kept (use it with --profile ${saved.previousDefault}).`,
        ]),
  ].join(' ')
}
