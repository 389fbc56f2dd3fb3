// CI: every package in the lockfile must support the Node.js versions the project claims
// (the root package.json's `engines.node`): its oldest version, and the one running.
// `npm ci` only warns (EBADENGINE) and only for the running version; this fails instead.
import fs from 'node:fs'
import path from 'node:path'

import semver from 'semver'

const root = path.resolve(import.meta.dirname, '..')
const claimed = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).engines.node
const versions = [semver.minVersion(claimed).version, process.versions.node]
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'))

const excluding = []
for (const [location, entry] of Object.entries(lock.packages)) {
  const range = entry.engines?.node
  if (location === '' || typeof range !== 'string') continue
  const refused = versions.filter(
    (version) => !semver.satisfies(version, range, { includePrerelease: true }),
  )
  if (refused.length > 0) {
    const name = entry.name ?? location.slice(location.lastIndexOf('node_modules/') + 13)
    excluding.push(
      `${name}@${entry.version ?? '?'} (${location}) needs node ${range}, not ${refused.join(', ')}`,
    )
  }
}
if (excluding.length > 0) {
  console.error(`error: dependencies that do not support node ${claimed}:`)
  for (const line of excluding) console.error(`  ${line}`)
  process.exit(1)
}
console.log(`engines: every dependency supports node ${versions.join(' and ')} (${claimed})`)
