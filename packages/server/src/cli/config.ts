// `tokenmint export` and `tokenmint apply`: configuration as code (management/config-as-code).
// The server computes and applies the plan; the CLI reads and writes files, prints the plan the
// way `terraform plan` does, asks before changing anything, and hands new secrets over once.
import fs from 'node:fs'
import { createInterface } from 'node:readline/promises'

import type { Command } from 'commander'
import type { stringify } from 'yaml'

import { lazyRequire } from '../lazy-require.js'
import { CliError, EXIT } from './cli-error.js'
import { readDataFile } from './files.js'
import { adminClientFor } from './remote.js'
import type { AppliedConfigView, ConfigFileView, ConfigPlanView } from './wire.js'

const loadYaml = lazyRequire<{ stringify: typeof stringify }>('yaml')

/** `--dry-run --exit-code`: the live tenant differs from the file. */
export const EXIT_DRIFT = 2

type Change = ConfigPlanView['changes'][number]

const SIGN = { create: '+', update: '~', delete: '-' } as const

const isGrant = (v: unknown): v is { audience: string; scopes: string[] } =>
  typeof v === 'object' && v !== null && 'audience' in v && 'scopes' in v

function value(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (Array.isArray(v) && v.length > 0 && v.every(isGrant))
    return v.map((g) => `${g.audience} (${g.scopes.join(' ') || 'no scopes'})`).join(', ')
  if (Array.isArray(v) && v.every((item) => typeof item === 'string')) return `[${v.join(', ')}]`
  // A JWK Set by its kids, trust policies by issuer and subject: a key's modulus says nothing.
  const keys = (v as { keys?: unknown }).keys
  if (Array.isArray(keys))
    return `keys ${keys
      .map((k) => {
        const kid = (k as { kid?: unknown }).kid
        return typeof kid === 'string' ? kid : '?'
      })
      .join(', ')}`
  if (Array.isArray(v) && v.every((p) => typeof (p as { issuer?: unknown }).issuer === 'string'))
    return v
      .map((p) => {
        const { issuer, subject } = p as { issuer: string; subject: string }
        return `${issuer} ${subject}`
      })
      .join(', ')
  return JSON.stringify(v)
}

function describeChange(change: Change): string[] {
  const lines = [`  ${SIGN[change.action]} ${change.kind} ${change.key}`]
  for (const field of change.fields) {
    if (change.action === 'create') lines.push(`      ${field.field}: ${value(field.after)}`)
    else if (change.action === 'update' && field.field === 'scopes' && change.kind === 'api')
      lines.push(
        `      scopes: ${[...(field.before as string[]), ...(field.after as string[])].join(' ')}`,
      )
    else if (change.action === 'update')
      lines.push(`      ${field.field}: ${value(field.before)} → ${value(field.after)}`)
  }
  for (const note of change.notes) lines.push(`      (${note})`)
  return lines
}

function describePlan(plan: ConfigPlanView, file: string, prune: boolean): string {
  const count = (action: Change['action']) => plan.changes.filter((c) => c.action === action).length
  const lines: string[] = []
  if (plan.changes.length === 0) {
    lines.push(`No changes: tenant "${plan.tenant}" matches ${file}.`)
  } else {
    lines.push(`Applying ${file} to tenant "${plan.tenant}" will make these changes:`, '')
    for (const change of plan.changes) lines.push(...describeChange(change))
    lines.push(
      '',
      `Plan: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete.`,
    )
  }
  if (!prune && plan.unmanaged.length > 0) {
    lines.push(
      '',
      `Not in the file, and kept (--prune would delete them): ${plan.unmanaged.map((u) => `${u.kind} ${u.key}`).join(', ')}`,
    )
  }
  return lines.join('\n')
}

/** A 400 from plan or apply names paths inside the file: say which file. */
function fileError(file: string, error: unknown): unknown {
  if (!(error instanceof CliError) || error.fields.length === 0) return error
  return new CliError(
    [
      `${file} is not a valid configuration; nothing was applied:`,
      ...error.fields.map((f) => `  ${file}: ${f.field}: ${f.message}`),
    ].join('\n'),
    EXIT.error,
    error.fields,
  )
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return (await rl.question(question)).trim() === 'yes'
  } finally {
    rl.close()
  }
}

function writeSecrets(file: string, created: AppliedConfigView['created']): void {
  const body = JSON.stringify({ applications: created }, null, 2) + '\n'
  // `wx`: never overwrite a file, which may hold secrets shown once before.
  fs.writeFileSync(file, body, { flag: 'wx', mode: 0o600 })
}

export function registerConfig(program: Command): void {
  program
    .command('export')
    .description("write the tenant's APIs, applications and settings as a file (no secrets)")
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .option('--json', 'write JSON instead of YAML')
    .action(async (flags: { output?: string; json?: boolean }, command: Command) => {
      const { client, options } = adminClientFor(command)
      const config = await client.request<ConfigFileView>('GET', client.tenantPath('/config'))
      const text =
        options.json === true
          ? JSON.stringify(config, null, 2) + '\n'
          : `# yaml-language-server: $schema=${client.target.url}/admin/v1/config.schema.json\n` +
            loadYaml().stringify(config, { lineWidth: 0 })
      if (flags.output === undefined) process.stdout.write(text)
      else {
        fs.writeFileSync(flags.output, text)
        process.stderr.write(`Wrote tenant "${client.target.tenant}" to ${flags.output}\n`)
      }
    })

  program
    .command('apply')
    .description('make the tenant match a file: shows the plan, then applies it in one transaction')
    .requiredOption('-f, --file <file>', 'the configuration file (YAML or JSON)')
    .option('--dry-run', 'show the plan and change nothing')
    .option('--exit-code', 'with --dry-run: exit 2 when the tenant differs from the file')
    .option('--prune', 'delete the APIs and applications the file does not name')
    .option('--yes', 'apply without asking')
    .option('--secrets-out <file>', "write new applications' secrets to this file (mode 0600)")
    .option(
      '--skip-secrets',
      'show no secret of new applications: get one later with `tokenmint apps rotate-secret`',
    )
    .option('--json', 'print the plan and result as JSON')
    .action(
      async (
        flags: {
          file: string
          dryRun?: boolean
          exitCode?: boolean
          prune?: boolean
          yes?: boolean
          secretsOut?: string
          skipSecrets?: boolean
          json?: boolean
        },
        command: Command,
      ) => {
        const { client, options } = adminClientFor(command)
        const config = readDataFile(flags.file)
        const prune = flags.prune === true
        if (flags.secretsOut !== undefined && flags.skipSecrets === true)
          throw new CliError('--secrets-out and --skip-secrets exclude each other: pick one')
        if (flags.secretsOut !== undefined && fs.existsSync(flags.secretsOut))
          throw new CliError(`${flags.secretsOut} exists; --secrets-out never overwrites a file`)

        const plan = await client
          .request<ConfigPlanView>('POST', client.tenantPath('/config:plan'), { config, prune })
          .catch((error: unknown) => {
            throw fileError(flags.file, error)
          })
        const creates = plan.changes.filter(
          (c) => c.action === 'create' && c.kind === 'application',
        ).length
        if (options.json !== true) {
          process.stdout.write(describePlan(plan, flags.file, prune) + '\n')
          if (creates > 0 && flags.dryRun !== true)
            process.stdout.write(
              flags.skipSecrets === true
                ? `The secrets of ${creates} new application(s) will not be shown: rotate one to get a secret.\n`
                : flags.secretsOut === undefined
                  ? `The secrets of ${creates} new application(s) will be printed once.\n`
                  : `The secrets of ${creates} new application(s) will be written to ${flags.secretsOut}.\n`,
            )
        }
        if (flags.dryRun === true || plan.changes.length === 0) {
          if (options.json === true) process.stdout.write(JSON.stringify(plan, null, 2) + '\n')
          if (flags.dryRun === true && flags.exitCode === true && plan.changes.length > 0)
            process.exitCode = EXIT_DRIFT
          return
        }

        const deletes = plan.changes.some((c) => c.action === 'delete')
        if (flags.yes !== true) {
          if (process.stdin.isTTY) {
            if (!(await confirm(`\nApply these changes to tenant "${plan.tenant}"? Type yes: `)))
              throw new CliError('nothing was applied')
          } else if (deletes) {
            throw new CliError(
              'the plan deletes something: pass --yes to apply it without a terminal',
            )
          }
        }

        const applied = await client
          .request<AppliedConfigView>('POST', client.tenantPath('/config:apply'), {
            config,
            prune,
            plan_digest: plan.digest,
          })
          .catch((error: unknown) => {
            throw fileError(flags.file, error)
          })
        let secretsShown = false
        if (flags.secretsOut !== undefined && applied.created.length > 0) {
          try {
            writeSecrets(flags.secretsOut, applied.created)
          } catch (error) {
            // Applied already: the secrets must not be lost, so they go to standard output.
            process.stderr.write(
              `error: could not write ${flags.secretsOut} (${(error as NodeJS.ErrnoException).code ?? 'error'}); the secrets follow\n`,
            )
            secretsShown = true
          }
        } else secretsShown = applied.created.length > 0 && flags.skipSecrets !== true
        if (options.json === true) {
          process.stdout.write(
            JSON.stringify(
              secretsShown
                ? applied
                : {
                    ...applied,
                    created: applied.created.map(({ client_secret: _, ...rest }) => rest),
                  },
              null,
              2,
            ) + '\n',
          )
          return
        }
        const lines = [
          `Applied ${applied.plan.changes.length} change(s) to tenant "${applied.plan.tenant}".`,
        ]
        if (applied.created.length > 0 && flags.skipSecrets === true) {
          lines.push(
            '',
            'New applications (no secret shown; `tokenmint apps rotate-secret ID` gives one):',
          )
          for (const c of applied.created)
            lines.push(`  ${c.environment}/${c.name}  client_id ${c.client_id}`)
        } else if (applied.created.length > 0 && !secretsShown)
          lines.push(
            `Wrote the secrets of ${applied.created.length} new application(s) to ${flags.secretsOut ?? ''} (mode 0600).`,
          )
        if (secretsShown) {
          lines.push('', 'New applications (each secret is shown this once):')
          for (const c of applied.created)
            lines.push(
              `  ${c.environment}/${c.name}`,
              `    client_id:     ${c.client_id}`,
              `    client_secret: ${c.client_secret ?? '(none: keys or trust policies)'}`,
            )
        }
        process.stdout.write(lines.join('\n') + '\n')
      },
    )
}
