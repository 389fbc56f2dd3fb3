import fs from 'node:fs'
import readline from 'node:readline'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import type { Command } from 'commander'
import type { JSONWebKeySet } from 'jose'

import { recordFromExport, type ExportHeader } from '../domain/audit-export.js'
import type { StoredChainRecord } from '../domain/audit-verification.js'
import {
  checkChain,
  verificationView,
  type VerificationView,
} from '../management/audit-chain-check.js'
import { CliError, EXIT } from './cli-error.js'
import { print } from './output.js'
import { adminClientFor } from './remote.js'

/** `audit verify` found the chain broken: distinct from errors reaching the server. */
export const EXIT_CHAIN_BROKEN = 2

function describe(report: VerificationView): string {
  const span =
    report.first === null ? 'no records' : `#${String(report.first)}–#${String(report.last)}`
  const checkpoint =
    report.latest_checkpoint === null
      ? 'no signed checkpoint yet'
      : `latest checkpoint #${String(report.latest_checkpoint.seq)} signed at ${report.latest_checkpoint.time}`
  const summary = `${String(report.records)} records (${span}), ${String(report.checkpoints_checked)} checkpoints checked; ${checkpoint}`
  if (report.ok)
    return `verified: the audit log of "${report.tenant}" is intact up to #${String(report.verified_through)}\n${summary}`
  return [
    `BROKEN: the audit log of "${report.tenant}" verifies only up to #${String(report.verified_through)}`,
    ...report.findings.map((f) => `  ${f.kind.padEnd(20)} ${f.message}`),
    ...(report.more_findings > 0 ? [`  … and ${String(report.more_findings)} more`] : []),
    summary,
  ].join('\n')
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1)
    throw new CliError(`${flag} must be a record number (1 or more), got "${value}"`)
  return Number(value)
}

/** Reads an export (`audit export`) and checks it with only the public keys. */
async function verifyFile(
  file: string,
  keysFile: string,
  range: { from?: number | undefined; to?: number | undefined },
): Promise<VerificationView> {
  let keys: JSONWebKeySet
  try {
    keys = JSON.parse(fs.readFileSync(keysFile, 'utf8')) as JSONWebKeySet
    if (!Array.isArray(keys.keys)) throw new Error('no "keys" array')
  } catch (error) {
    throw new CliError(
      `${keysFile} is not the tenant's audit keys (a JWKS from /t/<tenant>/.well-known/audit-keys.json): ${(error as Error).message}`,
    )
  }
  let header: ExportHeader | undefined
  const checkpoints: { jws: string; seq: number }[] = []
  const records: StoredChainRecord[] = []
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })
  let n = 0
  for await (const line of lines) {
    n++
    if (line.trim() === '') continue
    try {
      const value = JSON.parse(line) as Record<string, unknown>
      if ('header' in value) header = value['header'] as ExportHeader
      else if ('checkpoint' in value)
        checkpoints.push(value['checkpoint'] as { jws: string; seq: number })
      else if ('record' in value) records.push(recordFromExport(value['record']))
      else throw new Error('neither a header, a checkpoint nor a record')
    } catch (error) {
      throw new CliError(`${file}, line ${String(n)}: ${(error as Error).message}`)
    }
  }
  if (header?.format !== 'tokenmint-audit-export-v1')
    throw new CliError(`${file} is not a Tokenmint audit export (its first line names no format)`)
  records.sort((a, b) => a.seq - b.seq)
  const from = range.from
  const start = from === undefined ? undefined : records.find((r) => r.seq === from - 1)
  if (from !== undefined && from - 1 > header.anchor.seq && start === undefined)
    throw new CliError(`the export has no record #${String(from - 1)} to start after`)
  const anchor = start === undefined ? header.anchor : { seq: start.seq, hash: start.hash }
  const check = await checkChain({
    tenantId: header.tenant,
    anchor,
    records: records.filter((r) => from === undefined || r.seq >= from),
    checkpoints,
    keys,
    head: range.to === undefined ? (header.head ?? undefined) : undefined,
    through: range.to,
  })
  return verificationView(check)
}

export function registerAuditChain(audit: Command): void {
  audit
    .command('verify')
    .description(
      "recompute the audit log's hash chain and check its signed checkpoints; exits 2 when anything was changed, removed, inserted or reordered",
    )
    .option('--from <seq>', 'start at this record (the one before it is trusted)')
    .option('--to <seq>', 'stop at this record')
    .option('--file <export>', 'verify a file written by `audit export`, offline')
    .option(
      '--keys <jwks>',
      "with --file: the tenant's audit keys (/t/<tenant>/.well-known/audit-keys.json)",
    )
    .option('--json', 'the full report as JSON')
    .action(
      async (
        flags: { from?: string; to?: string; file?: string; keys?: string },
        command: Command,
      ) => {
        const range = { from: positive(flags.from, '--from'), to: positive(flags.to, '--to') }
        const json = command.optsWithGlobals<{ json?: boolean }>().json
        let report: VerificationView
        if (flags.file !== undefined) {
          if (flags.keys === undefined)
            throw new CliError("--file needs --keys: the tenant's audit keys as a JWKS file")
          report = await verifyFile(flags.file, flags.keys, range)
        } else {
          const { client } = adminClientFor(command)
          const query = new URLSearchParams()
          if (range.from !== undefined) query.set('from', String(range.from))
          if (range.to !== undefined) query.set('to', String(range.to))
          report = await client.request<VerificationView>(
            'GET',
            client.tenantPath(`/audit/verify${query.size > 0 ? `?${query.toString()}` : ''}`),
          )
        }
        print(json, report, () => describe(report))
        if (!report.ok) process.exitCode = EXIT_CHAIN_BROKEN
      },
    )

  audit
    .command('export')
    .description('write the audit log with its chain and signed checkpoints as JSON lines')
    .option('--from <seq>', 'start at this record')
    .option('--to <seq>', 'stop at this record')
    .option('--out <file>', 'write here instead of standard output')
    .action(async (flags: { from?: string; to?: string; out?: string }, command: Command) => {
      const { client } = adminClientFor(command)
      const query = new URLSearchParams()
      const from = positive(flags.from, '--from')
      const to = positive(flags.to, '--to')
      if (from !== undefined) query.set('from', String(from))
      if (to !== undefined) query.set('to', String(to))
      const response = await client.stream(
        client.tenantPath(`/audit/export${query.size > 0 ? `?${query.toString()}` : ''}`),
      )
      const body = Readable.fromWeb(response.body ?? new ReadableStream())
      await pipeline(
        body,
        flags.out === undefined ? process.stdout : fs.createWriteStream(flags.out),
        {
          end: flags.out !== undefined,
        },
      )
    })

  audit
    .command('checkpoint')
    .description('sign a checkpoint of the audit chain as it is now')
    .option('--json', 'the checkpoint as JSON')
    .action(async (_flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const checkpoint = await client.request<{ seq: number; created_at: string; kid: string }>(
        'POST',
        client.tenantPath('/audit/checkpoints'),
      )
      print(
        options.json,
        checkpoint,
        () =>
          `signed checkpoint of record #${String(checkpoint.seq)} at ${checkpoint.created_at} (key ${checkpoint.kid})`,
      )
    })

  audit
    .command('rotate-key')
    .description(
      'rotate the key that signs audit checkpoints (the next one was published already; the old one stays published)',
    )
    .option('--json', 'the key ids as JSON')
    .action(async (_flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const rotated = await client.request<{
        current: string
        next: string
        retired: string | null
      }>('POST', client.tenantPath('/audit/keys/rotate'))
      print(
        options.json,
        rotated,
        () =>
          `checkpoints are now signed with ${rotated.current}; ${rotated.next} is published as the next key${rotated.retired === null ? '' : `; ${rotated.retired} is retired and stays published`}`,
      )
    })

  audit
    .command('tail')
    .description(
      'print audit records as they are written (JSON lines with --json); resumes after a dropped connection',
    )
    .option('--after <seq>', 'start after this record (default: only new ones)')
    .option('--json', 'one JSON record a line')
    .action(async (flags: { after?: string }, command: Command) => {
      const { client, options } = adminClientFor(command)
      await tail(client, flags.after, options.json === true)
    })
}

async function tail(
  client: ReturnType<typeof adminClientFor>['client'],
  afterFlag: string | undefined,
  json: boolean,
): Promise<void> {
  let after =
    afterFlag === '0'
      ? 0
      : (positive(afterFlag, '--after') ??
        // Only what is written from now on: after the newest record.
        (
          await client.request<{ items: { seq: number | null }[] }>(
            'GET',
            client.tenantPath('/audit?limit=1'),
          )
        ).items[0]?.seq ??
        0)
  for (;;) {
    try {
      const response = await client.stream(
        client.tenantPath(`/audit/stream?after=${String(after)}`),
        {
          accept: 'text/event-stream',
          'last-event-id': String(after),
        },
      )
      let buffer = ''
      const decoder = new TextDecoder()
      for await (const chunk of response.body ?? []) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n')
          if (data === '') continue
          const record = JSON.parse(data) as {
            seq: number
            occurred_at: string
            type: string
            actor: string
            client_id: string | null
          }
          after = record.seq
          process.stdout.write(
            json
              ? data + '\n'
              : `#${String(record.seq)}  ${record.occurred_at}  ${record.type}  ${record.actor}${record.client_id === null ? '' : `  ${record.client_id}`}\n`,
          )
        }
      }
    } catch (error) {
      if (error instanceof CliError && error.exitCode !== EXIT.unavailable) throw error
    }
    // The server closed the stream or went away: come back after the last record printed.
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}
