import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose'

import type { ChainHead } from '../domain/audit-chain.js'
import {
  ChainVerifier,
  type ChainReport,
  type Finding,
  type StoredChainRecord,
  type TrustedCheckpoint,
} from '../domain/audit-verification.js'

/** The protected header's `typ`: a checkpoint is never mistaken for a token, nor a token for one. */
export const CHECKPOINT_TYP = 'tokenmint-audit-checkpoint+jws'

/** What a checkpoint's signed payload says. */
export interface CheckpointClaims {
  tenant: string
  seq: number
  hash: string
  kind: string
  time: string
}

function isClaims(value: unknown): value is CheckpointClaims {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    typeof v['tenant'] === 'string' &&
    Number.isSafeInteger(v['seq']) &&
    typeof v['hash'] === 'string' &&
    typeof v['kind'] === 'string' &&
    typeof v['time'] === 'string'
  )
}

/**
 * Checks a checkpoint's signature against the tenant's published audit keys and returns what
 * it signed, or why it is refused. Only EdDSA is accepted: the audit keys are Ed25519.
 */
export async function openCheckpoint(
  jws: string,
  tenantId: string,
  keys: JSONWebKeySet,
): Promise<{ claims: CheckpointClaims } | { refused: string }> {
  try {
    const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(keys), {
      algorithms: ['EdDSA'],
    })
    if (protectedHeader.typ !== CHECKPOINT_TYP) return { refused: 'it is not a checkpoint' }
    const claims: unknown = JSON.parse(new TextDecoder().decode(payload))
    if (!isClaims(claims)) return { refused: 'its payload is not a checkpoint' }
    if (claims.tenant !== tenantId)
      return { refused: `it was signed for tenant "${claims.tenant}"` }
    return { claims }
  } catch (error) {
    const code = (error as { code?: unknown }).code
    return {
      refused:
        code === 'ERR_JWKS_NO_MATCHING_KEY'
          ? "it names a key the tenant's audit keys do not include"
          : code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
            ? 'its signature does not verify'
            : 'it is not a well-formed signed checkpoint',
    }
  }
}

export interface ChainCheckInput {
  tenantId: string
  /** The record before the first to check (genesis, a retention cut, or `--from` − 1). */
  anchor: ChainHead
  /** Records in stored order (number, then insertion order). */
  records: AsyncIterable<StoredChainRecord> | Iterable<StoredChainRecord>
  checkpoints: readonly { jws: string }[]
  keys: JSONWebKeySet
  /** The stored head, when the check runs to the end of the chain. */
  head?: ChainHead | undefined
  /** The last number to check, if not the end. */
  through?: number | undefined
}

export interface ChainCheck extends ChainReport {
  tenant: string
  /** The newest checkpoint whose signature verified. */
  latestCheckpoint: CheckpointClaims | null
}

/**
 * Verifies a stretch of a tenant's chain: every checkpoint's signature, then every record
 * (domain/audit-verification). Used by the server on its database and by `tokenmint audit
 * verify --file` offline on an export, with only the public keys.
 */
export async function checkChain(input: ChainCheckInput): Promise<ChainCheck> {
  const trusted: TrustedCheckpoint[] = []
  const refused: Finding[] = []
  let latest: CheckpointClaims | null = null
  for (const checkpoint of input.checkpoints) {
    const opened = await openCheckpoint(checkpoint.jws, input.tenantId, input.keys)
    if ('refused' in opened) {
      refused.push({
        kind: 'checkpoint_invalid',
        seq: seqOf(checkpoint),
        message: `a checkpoint was refused: ${opened.refused}`,
      })
      continue
    }
    const { claims } = opened
    if (latest === null || claims.seq >= latest.seq) latest = claims
    if (
      claims.seq > input.anchor.seq &&
      (input.through === undefined || claims.seq <= input.through)
    )
      trusted.push({ seq: claims.seq, hash: claims.hash, time: claims.time })
  }
  const verifier = new ChainVerifier(input.anchor, { checkpoints: trusted, head: input.head })
  for await (const record of input.records) {
    if (input.through !== undefined && record.seq > input.through) break
    verifier.push(record)
  }
  const report = verifier.finish()
  const findings = [...refused, ...report.findings]
  return {
    tenant: input.tenantId,
    ...report,
    ok: findings.length === 0,
    findings,
    latestCheckpoint: latest,
  }
}

/** The number a refused checkpoint claims, read without trusting it (for the report only). */
function seqOf(checkpoint: { jws: string; seq?: number }): number {
  if (checkpoint.seq !== undefined) return checkpoint.seq
  try {
    const payload = checkpoint.jws.split('.')[1] ?? ''
    const seq = (
      JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { seq?: unknown }
    ).seq
    return typeof seq === 'number' ? seq : 0
  } catch {
    return 0
  }
}

/** The report as the admin API and `tokenmint audit verify --json` give it. */
export function verificationView(check: ChainCheck) {
  return {
    ok: check.ok,
    tenant: check.tenant,
    records: check.records,
    first: check.first,
    last: check.last,
    verified_through: check.verifiedThrough,
    checkpoints_checked: check.checkpointsChecked,
    latest_checkpoint: check.latestCheckpoint,
    findings: check.findings,
    more_findings: check.moreFindings,
  }
}

export type VerificationView = ReturnType<typeof verificationView>
