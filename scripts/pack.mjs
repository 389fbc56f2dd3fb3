// `npm run pack`: builds everything, then writes the publishable tarballs of @tokenmint/client,
// @tokenmint/verify and @tokenmint/server (with the console's built files) to ./release/.
//
//   npm install ./release/tokenmint-client-*.tgz ./release/tokenmint-verify-*.tgz \
//     ./release/tokenmint-server-*.tgz
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const release = path.join(root, 'release')
const packages = ['@tokenmint/client', '@tokenmint/verify', '@tokenmint/server']
/** A tarball without one of these would install but not work. */
const required = {
  '@tokenmint/client': ['package/dist/index.js', 'package/dist/index.d.ts', 'package/LICENSE'],
  '@tokenmint/verify': ['package/dist/index.js', 'package/dist/index.d.ts', 'package/LICENSE'],
  '@tokenmint/server': [
    'package/bin/tokenmint.js',
    'package/dist/cli/main.js',
    'package/dist/console/index.html',
    'package/LICENSE',
  ],
}

const npm = (args) =>
  execFileSync('npm', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })

/** Newest modification time of a file or of any file under a folder. */
function newest(file) {
  const stat = fs.statSync(file, { throwIfNoEntry: false })
  if (stat === undefined) return 0
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(0, ...fs.readdirSync(file).map((name) => newest(path.join(file, name))))
}

// What `npm run build` does, but the console only when its build is older than its sources:
// Vite empties packages/console/dist first, which would pull the files from under a server
// (or a test) serving them from this checkout.
npm(['exec', '--', 'tsc', '-b'])
const consoleDir = path.join(root, 'packages', 'console')
const consoleSources = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json']
if (
  newest(path.join(consoleDir, 'dist', 'index.html')) <
  Math.max(...consoleSources.map((name) => newest(path.join(consoleDir, name))))
) {
  npm(['run', 'build', '--silent', '--workspace', '@tokenmint/console'])
}
fs.rmSync(release, { recursive: true, force: true })
fs.mkdirSync(release)
const packed = JSON.parse(
  npm([
    'pack',
    '--json',
    '--pack-destination',
    release,
    ...packages.flatMap((name) => ['--workspace', name]),
  ]),
)
for (const tarball of packed) {
  const files = new Set(tarball.files.map((file) => `package/${file.path}`))
  const missing = (required[tarball.name] ?? []).filter((file) => !files.has(file))
  if (missing.length > 0) {
    console.error(`error: ${tarball.filename} lacks ${missing.join(', ')}`)
    process.exit(1)
  }
  const kib = Math.round(tarball.size / 1024)
  console.log(`release/${tarball.filename}  ${tarball.entryCount} files, ${kib} KiB`)
}
