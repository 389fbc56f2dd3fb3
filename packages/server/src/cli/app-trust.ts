import { Option, type Command } from 'commander'

import { CliError } from './cli-error.js'
import { print } from './output.js'
import { adminClientFor } from './remote.js'
import type { ApplicationView } from './wire.js'

type TrustPolicyView = NonNullable<ApplicationView['trust_policies']>[number]

export interface TrustFlags {
  issuer?: string
  audience?: string
  subject?: string
  match?: string[]
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value]

/** `--match name=pattern` (repeatable) as the policy's conditions. */
function conditionsFrom(matches: readonly string[] | undefined, flag: string) {
  const conditions: Record<string, string> = {}
  for (const match of matches ?? []) {
    const at = match.indexOf('=')
    if (at <= 0 || at === match.length - 1)
      throw new CliError(
        `${flag} takes claim=pattern, e.g. ${flag} environment=production; got "${match}"`,
      )
    conditions[match.slice(0, at)] = match.slice(at + 1)
  }
  return conditions
}

/** The trust policy the flags describe (`apps trust add`, or `apps create --trust-*`). */
export function trustPolicyFrom(flags: TrustFlags, prefix = '--') {
  const missing = (['issuer', 'audience', 'subject'] as const).filter((f) => flags[f] === undefined)
  if (missing.length > 0)
    throw new CliError(
      `a trust policy needs ${missing.map((f) => `${prefix}${f}`).join(', ')} (and any number of ${prefix}match claim=pattern)`,
    )
  return {
    issuer: flags.issuer,
    audience: flags.audience,
    subject: flags.subject,
    conditions: conditionsFrom(flags.match, `${prefix}match`),
  }
}

export function describeTrustPolicy(policy: TrustPolicyView): string {
  const conditions = Object.entries(policy.conditions)
    .map(([name, pattern]) => `, ${name}=${pattern}`)
    .join('')
  return `  trust ${policy.id}: ${policy.issuer}, aud ${policy.audience}, sub ${policy.subject}${conditions}; last used ${policy.last_used_at ?? 'never'}`
}

/** Adds the `--trust-*` options of `apps create`. */
export function addTrustOptions(create: Command): void {
  create
    .option(
      '--trust-issuer <url>',
      'workload identity federation instead of a secret: the OIDC issuer whose workload tokens it accepts',
    )
    .option(
      '--trust-audience <aud>',
      "with --trust-issuer: what the workload token's aud must contain",
    )
    .option(
      '--trust-subject <pattern>',
      "with --trust-issuer: the token's sub, exactly or with * as a whole segment",
    )
    .addOption(
      new Option(
        '--trust-match <claim=pattern>',
        'with --trust-issuer: another claim to match (repeatable)',
      ).argParser(collect),
    )
}

/** `tokenmint apps trust add|remove`: which outside workloads an application accepts. */
export function registerAppTrust(apps: Command): void {
  const trust = apps
    .command('trust')
    .description(
      'trust policies: the outside workloads (GitHub Actions, GitLab CI, Kubernetes) an application accepts instead of a secret',
    )
  const trustPath = (clientId: string) =>
    `/applications/${encodeURIComponent(clientId)}/trust-policies`

  trust
    .command('add')
    .description("accept an issuer's workload tokens whose audience and claims match")
    .argument('<client-id>', 'client id of the application')
    .requiredOption(
      '--issuer <url>',
      "the issuer, exactly as its tokens' iss says (e.g. https://token.actions.githubusercontent.com)",
    )
    .requiredOption('--audience <aud>', "what the workload token's aud must contain")
    .requiredOption(
      '--subject <pattern>',
      "the token's sub, exactly or with * as a whole segment (e.g. repo:acme/deploy:ref:refs/heads/main)",
    )
    .addOption(
      new Option(
        '--match <claim=pattern>',
        'another claim to match, e.g. environment=production or kubernetes.io/namespace=ci (repeatable)',
      ).argParser(collect),
    )
    .option('--json', 'print JSON')
    .action(async (clientId: string, flags: TrustFlags, command: Command) => {
      const { client, options } = adminClientFor(command)
      const added = await client.request<TrustPolicyView>(
        'POST',
        client.tenantPath(trustPath(clientId)),
        trustPolicyFrom(flags),
      )
      print(options.json, added, () =>
        [
          'Added a trust policy; matching workloads get tokens from now on:',
          describeTrustPolicy(added),
        ].join('\n'),
      )
    })

  trust
    .command('remove')
    .description("remove a trust policy by its id (an application's last credential stays)")
    .argument('<client-id>', 'client id of the application')
    .argument('<policy-id>', 'the policy id, as `tokenmint apps show` lists it')
    .option('--json', 'print JSON')
    .action(async (clientId: string, policyId: string, _flags: unknown, command: Command) => {
      const { client, options } = adminClientFor(command)
      const removed = await client.request<TrustPolicyView>(
        'DELETE',
        client.tenantPath(`${trustPath(clientId)}/${encodeURIComponent(policyId)}`),
      )
      print(
        options.json,
        removed,
        () => `Removed trust policy ${removed.id}: its workloads are refused from now on.`,
      )
    })
}
