// `prepack`: the server serves the web console's built files, so its tarball carries them
// (dist/console). In the repository the server reads packages/console/dist directly.
import fs from 'node:fs'
import path from 'node:path'

const server = path.resolve(import.meta.dirname, '..')
const built = path.resolve(server, '../console/dist')
const target = path.join(server, 'dist', 'console')

if (!fs.existsSync(path.join(built, 'index.html'))) {
  console.error(
    `error: ${built}/index.html is missing; run \`npm run build\` at the repository root`,
  )
  process.exit(1)
}
fs.rmSync(target, { recursive: true, force: true })
fs.cpSync(built, target, { recursive: true })
// On stderr: `npm pack --json` prints its answer on stdout.
console.error(`bundled the console: ${path.relative(server, target)}`)
