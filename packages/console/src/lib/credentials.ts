import type { FieldError } from '../api/client'
import type { CreateApplicationBody } from '../api/types'

/** The issuer of GitHub Actions' OIDC tokens: its policies must pin the repository owner. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com'

export type Jwks = NonNullable<CreateApplicationBody['jwks']>
export type TrustPolicyInput = NonNullable<CreateApplicationBody['trust_policies']>[number]

export interface ConditionDraft {
  name: string
  pattern: string
}

/** A trust policy as its form holds it: conditions as rows, in the order they were added. */
export interface TrustPolicyDraft {
  issuer: string
  audience: string
  subject: string
  conditions: ConditionDraft[]
}

export function emptyTrustPolicy(): TrustPolicyDraft {
  return { issuer: '', audience: '', subject: '', conditions: [] }
}

/** A pasted JWK Set, or why it is not one (the server checks each key further). */
export function parseJwks(text: string): { jwks: Jwks } | { error: string } {
  if (text.trim() === '') return { error: 'Paste a JWK Set: {"keys": [ …public keys… ]}.' }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { error: 'This is not valid JSON. Paste a JWK Set: {"keys": [ …public keys… ]}.' }
  }
  const keys =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as { keys?: unknown }).keys
      : undefined
  if (!Array.isArray(keys) || keys.length === 0)
    return { error: 'A JWK Set is an object with a "keys" list: {"keys": [ …public keys… ]}.' }
  const objects: Record<string, unknown>[] = []
  for (const key of keys as unknown[]) {
    if (typeof key !== 'object' || key === null || Array.isArray(key))
      return { error: 'Each entry of "keys" must be a JWK object.' }
    objects.push(key as Record<string, unknown>)
  }
  // A private JWK carries "d": it must never leave its owner, so it is refused before sending.
  if (objects.some((k) => 'd' in k))
    return {
      error:
        'This holds a private key ("d"). Paste only the public keys: the private key stays with the application.',
    }
  return { jwks: { keys: objects } }
}

/** Client-side checks of a trust policy; patterns are left to the server, which owns the rule. */
export function checkTrustPolicy(draft: TrustPolicyDraft): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!/^https:\/\/\S+$/.test(draft.issuer.trim()))
    errors['issuer'] = 'Enter the issuer as an https URL, exactly as its tokens’ "iss" says.'
  if (draft.audience.trim() === '')
    errors['audience'] = 'Enter the audience the platform token is minted for.'
  if (draft.subject.trim() === '') errors['subject'] = 'Enter the subject the workload must have.'
  draft.conditions.forEach((c, i) => {
    const hasName = c.name.trim() !== ''
    const hasPattern = c.pattern.trim() !== ''
    if (hasName !== hasPattern)
      errors[`condition-${i}`] = hasName
        ? 'Enter the pattern this claim must match, or remove the condition.'
        : 'Enter the claim this pattern is for, or remove the condition.'
  })
  return errors
}

/** The admin API's shape of a drafted policy; empty condition rows are left out. */
export function trustPolicyInput(draft: TrustPolicyDraft): TrustPolicyInput {
  const rows = draft.conditions.filter((c) => c.name.trim() !== '' && c.pattern.trim() !== '')
  return {
    issuer: draft.issuer.trim(),
    audience: draft.audience.trim(),
    subject: draft.subject.trim(),
    ...(rows.length > 0 && {
      conditions: Object.fromEntries(rows.map((c) => [c.name.trim(), c.pattern.trim()])),
    }),
  }
}

/**
 * The server's field errors about a trust policy keyed like checkTrustPolicy's. The field may
 * be `trust_policies[0].subject` (creation), `trust_policy.subject` (adding one), or
 * `trust_policies.0.subject`/`subject` (schema validation); a condition's field ends in its
 * claim name, which may itself hold dots (`kubernetes.io/namespace`). What names no field of
 * the policy (a limit) is `policy`.
 */
export function trustPolicyErrors(
  fields: readonly FieldError[],
  draft: TrustPolicyDraft,
): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const { field, message } of fields) {
    const rest = field.replace(/^trust_polic(?:y|ies)(?:\[\d+\]|\.\d+)?\.?/, '')
    // At creation, a bare trust_policies error about one policy is its issuer's check.
    const text = readable(field, message)
    if (rest === 'issuer' || field === 'trust_policies') errors['issuer'] ??= text
    else if (rest === '') errors['policy'] ??= text
    else if (rest === 'audience' || rest === 'subject') errors[rest] ??= text
    else if (rest.startsWith('conditions.')) {
      const name = rest.slice('conditions.'.length)
      const index = draft.conditions.findIndex((c) => c.name.trim() === name)
      errors[index < 0 ? 'conditions' : `condition-${index}`] ??= text
    } else errors['conditions'] ??= text
  }
  return errors
}

/**
 * A pattern's error without the wire name it starts with ("trust_policy.subject: …"), which
 * means nothing next to the field it is shown beside.
 */
function readable(field: string, message: string): string {
  if (message.startsWith(`${field}: `)) return message.slice(field.length + 2)
  if (message.startsWith(`${field} `)) return `This pattern ${message.slice(field.length + 1)}`
  return message
}

/** The server's field errors about keys: `jwks…` belong to the JWK Set, `jwks_uri` to the URL. */
export function keyErrors(fields: readonly FieldError[]): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const { field, message } of fields) {
    if (field === 'jwks_uri') errors['jwks_uri'] ??= message
    else if (field === 'jwks' || field.startsWith('jwks.')) errors['jwks'] ??= message
  }
  return errors
}

/** "Fh3k9Q…x2Za": enough of a thumbprint to tell keys apart; the whole one is in the title. */
export function shortThumbprint(thumbprint: string): string {
  return thumbprint.length <= 14 ? thumbprint : `${thumbprint.slice(0, 8)}…${thumbprint.slice(-4)}`
}

/** Moves focus to the first input in error inside `container`. */
export function focusFirstInvalid(container: ParentNode = document): void {
  const input = container.querySelector<HTMLElement>('[aria-invalid="true"]')
  input?.focus()
}
