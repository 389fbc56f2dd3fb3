import { constants, open, readdir, stat } from 'node:fs/promises'
import path from 'node:path'

import type { Command } from 'commander'

import {
  CLIENT_SECRET_LENGTH,
  CLIENT_SECRET_PREFIX,
  isWellFormedClientSecret,
  secretHint,
} from '../crypto/secret-format.js'

import { LEAK_OUTCOMES, type LeakOutcome } from '../management/leaks.js'
import type { AdminClient } from './admin-client.js'
import { CliError } from './cli-error.js'
import { print } from './output.js'
import { adminClientFor } from './remote.js'

/** A client secret was found: a CI job fails, and can tell it from a scan that failed (1). */
export const EXIT_SECRETS_FOUND = 2

const MAX_FILE_BYTES = 10 * 1024 * 1024
/** Like git and grep: a NUL byte near the start means a binary file. */
const BINARY_PROBE_BYTES = 8 * 1024
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules'])

// The shape finds candidates; only those whose checksum holds are findings, so a look-alike
// (a test fixture, a truncated or mistyped secret) is never reported.
const CANDIDATE = new RegExp(
  `(?<![0-9A-Za-z])${CLIENT_SECRET_PREFIX}[0-9A-Za-z]{${String(CLIENT_SECRET_LENGTH - CLIENT_SECRET_PREFIX.length)}}(?![0-9A-Za-z])`,
  'g',
)

/** `POST /admin/v1/tenants/{tenant}/leaks` */
interface LeakReportView {
  outcome: LeakOutcome
  client_id?: string
  secret_id?: string
}

interface Finding {
  path: string
  line: number
  /** 1-based, in UTF-16 code units, as tsc and ESLint count. */
  column: number
  /** Kept in memory for --revoke; never printed. */
  secret: string
}

/** Client secrets with a valid checksum in `text`, with their 1-based line and column. */
export function findClientSecrets(
  text: string,
): { line: number; column: number; secret: string }[] {
  const found: { line: number; column: number; secret: string }[] = []
  let line = 1
  let lineStart = 0
  let counted = 0
  for (const match of text.matchAll(CANDIDATE)) {
    if (!isWellFormedClientSecret(match[0])) continue
    for (
      let newline = text.indexOf('\n', counted);
      newline !== -1 && newline < match.index;
      newline = text.indexOf('\n', newline + 1)
    ) {
      line += 1
      lineStart = newline + 1
    }
    counted = match.index
    found.push({ line, column: match.index - lineStart + 1, secret: match[0] })
  }
  return found
}

function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`)
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error)

/** The file's text, or undefined when it is too large, binary or not a regular file. */
async function readText(file: string, followSymlink: boolean): Promise<string | undefined> {
  // O_NOFOLLOW: an entry listed as a file may have been swapped for a symlink since.
  const handle = await open(
    file,
    followSymlink ? constants.O_RDONLY : constants.O_RDONLY | constants.O_NOFOLLOW,
  )
  try {
    const stats = await handle.stat()
    if (!stats.isFile() || stats.size > MAX_FILE_BYTES) return undefined
    // At most the size seen above, even if the file grows meanwhile.
    const buffer = Buffer.alloc(stats.size)
    let length = 0
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
    }
    const bytes = buffer.subarray(0, length)
    if (bytes.subarray(0, BINARY_PROBE_BYTES).includes(0)) return undefined
    return bytes.toString('utf8')
  } finally {
    await handle.close()
  }
}

async function scanPaths(
  roots: readonly string[],
): Promise<{ findings: Finding[]; files: number }> {
  const findings: Finding[] = []
  let files = 0
  // `scan . src` reads src once.
  const seen = new Set<string>()
  const scanFile = async (file: string, followSymlink: boolean) => {
    if (seen.has(path.resolve(file))) return
    seen.add(path.resolve(file))
    let text: string | undefined
    try {
      text = await readText(file, followSymlink)
    } catch (error) {
      warn(`cannot read ${file}: ${errorCode(error)}`)
      return
    }
    if (text === undefined) return
    files += 1
    for (const found of findClientSecrets(text)) findings.push({ path: file, ...found })
  }

  // Every named path is checked first: a mistyped one fails the scan instead of passing it.
  const named = await Promise.all(
    roots.map(async (root) => {
      try {
        return { root, stats: await stat(root) }
      } catch (error) {
        throw new CliError(`cannot scan ${root}: ${errorCode(error)}`)
      }
    }),
  )
  for (const { root, stats } of named) {
    // A path named on the command line is followed if it is a symlink; links inside are not.
    if (stats.isFile()) await scanFile(path.normalize(root), true)
    if (stats.isFile()) continue
    if (!stats.isDirectory()) {
      warn(`${root} is not a file or directory: skipped`)
      continue
    }
    // Depth first, in name order, like `find` and `grep -r`.
    const pending = [{ path: path.normalize(root), isDirectory: true }]
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      if (!next.isDirectory) {
        await scanFile(next.path, false)
        continue
      }
      const dir = next.path
      let entries
      try {
        entries = await readdir(dir, { withFileTypes: true })
      } catch (error) {
        warn(`cannot read ${dir}: ${errorCode(error)}`)
        continue
      }
      const children = entries
        // Symlinks (which can leave the tree or loop), sockets, FIFOs and devices are skipped.
        .filter((e) => e.isFile() || (e.isDirectory() && !SKIPPED_DIRECTORIES.has(e.name)))
        .map((e) => ({ path: path.join(dir, e.name), isDirectory: e.isDirectory() }))
        // Last name first: the stack pops them in name order.
        .sort((a, b) => (a.path < b.path ? 1 : a.path > b.path ? -1 : 0))
      for (const child of children) pending.push(child)
    }
  }
  return { findings, files }
}

/** Reports each distinct secret once, at its first place; stops at the first failed request. */
async function reportLeaks(
  client: AdminClient,
  findings: readonly Finding[],
  answers: Map<string, LeakReportView>,
): Promise<void> {
  for (const finding of findings) {
    if (answers.has(finding.secret)) continue
    const answer = await client.request<LeakReportView>('POST', client.tenantPath('/leaks'), {
      secret: finding.secret,
      // Relative to where the scan ran: the runner's directory layout stays on the runner.
      url: `${path.relative(process.cwd(), path.resolve(finding.path)).split(path.sep).join('/')}#L${String(finding.line)}`,
    })
    if (!(LEAK_OUTCOMES as readonly string[]).includes(answer.outcome))
      throw new CliError(
        `the server answered an unknown leak outcome for ${secretHint(finding.secret)}`,
      )
    answers.set(finding.secret, answer)
  }
}

function describeOutcome(answer: LeakReportView | undefined, tenant: string): string {
  if (answer === undefined) return 'not reported'
  const app = answer.client_id === undefined ? '' : ` (${answer.client_id})`
  switch (answer.outcome) {
    case 'revoked_secret':
      return `secret revoked${app}`
    case 'revoked_application':
      return `application revoked${app}`
    case 'already_revoked':
      return `already revoked${app}`
    case 'unknown':
      return `not a secret of tenant "${tenant}"`
  }
}

const plural = (count: number, noun: string) => `${String(count)} ${noun}${count === 1 ? '' : 's'}`

export function registerScan(program: Command): void {
  program
    .command('scan')
    .description(
      'look for Tokenmint client secrets (with a valid checksum) in files; exits 2 when it finds one, 0 when clean',
    )
    .argument('[paths...]', 'files and directories to scan (default: .)')
    .option(
      '--revoke',
      'report each secret found to the server as leaked, which revokes it (uses the admin credentials)',
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Directories are scanned recursively, without following symlinks and skipping .git and
node_modules; binary files and files over 10 MB are skipped. Only a hint of each secret
(tms_…abcd) is printed.

Exit codes: 0 no secret found, 2 a secret found, 1 the scan failed;
with --revoke, 3 the server refused a report and 4 it could not be reached.`,
    )
    .action(async (paths: string[], flags: { revoke?: boolean }, command: Command) => {
      // Resolved before scanning: a --revoke without a server fails on a clean tree too.
      const remote = flags.revoke === true ? adminClientFor(command) : undefined
      const json = command.optsWithGlobals<{ json?: boolean }>().json
      const { findings, files } = await scanPaths(paths.length > 0 ? paths : ['.'])

      const answers = new Map<string, LeakReportView>()
      let failure: Error | undefined
      if (remote !== undefined) {
        try {
          await reportLeaks(remote.client, findings, answers)
        } catch (error) {
          // The findings are still printed, then the error (exit 3 or 4).
          failure = error instanceof Error ? error : new CliError(String(error))
        }
      }

      const view = {
        findings: findings.map((f) => {
          const answer = answers.get(f.secret)
          return {
            path: f.path,
            line: f.line,
            column: f.column,
            hint: secretHint(f.secret),
            ...(answer !== undefined && { outcome: answer.outcome }),
            ...(answer?.client_id !== undefined && { client_id: answer.client_id }),
          }
        }),
        files_scanned: files,
      }
      print(json, view, () =>
        [
          ...findings.map((f) => {
            const where = `${f.path}:${String(f.line)}:${String(f.column)}: ${secretHint(f.secret)}`
            return remote === undefined
              ? where
              : `${where}: ${describeOutcome(answers.get(f.secret), remote.client.target.tenant)}`
          }),
          findings.length === 0
            ? `No client secrets found in ${plural(files, 'file')} scanned.`
            : `${plural(findings.length, 'client secret')} found in ${plural(files, 'file')} scanned${remote === undefined ? '; revoke them with --revoke or rotate them (tokenmint apps rotate-secret)' : ''}.`,
        ].join('\n'),
      )
      if (failure !== undefined) throw failure
      if (findings.length > 0) process.exitCode = EXIT_SECRETS_FOUND
    })
}
