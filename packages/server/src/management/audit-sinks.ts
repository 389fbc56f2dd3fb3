import { randomBytes } from 'node:crypto'

import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js'
import type { AuditSinkConfig, AuditSinkKind } from '../storage/contract.js'
import { requireTenant, type AuditDeps } from './audit-keys.js'

/** Per tenant: more sinks than this is a misconfiguration, and each one costs a delivery loop. */
export const MAX_SINKS_PER_TENANT = 10

/** The scheme each kind takes: delivery is encrypted and authenticated in every case. */
const SCHEMES: Record<AuditSinkKind, string> = {
  https: 'https:',
  otlp: 'https:',
  syslog: 'syslog+tls:',
}

/**
 * A sink's URL as it is shown and audited: a query string may carry a receiver's credentials
 * (some collectors take an API key there), so it is left out.
 */
export function displayedSinkUrl(url: string): string {
  const parsed = new URL(url)
  return parsed.search === '' ? url : `${url.slice(0, url.indexOf('?'))}?…`
}

export const sinkSealingContext = (sink: Pick<AuditSinkConfig, 'tenantId' | 'id'>) =>
  `audit-sink:${sink.tenantId}/${sink.id}`

function checkUrl(kind: AuditSinkKind, raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ValidationError('url', 'url must be an absolute URL')
  }
  const scheme = SCHEMES[kind]
  if (url.protocol !== scheme)
    throw new ValidationError(
      'url',
      kind === 'syslog'
        ? 'a syslog sink is syslog+tls://host:port (RFC 5425, TLS); plain TCP or UDP would send the audit log in the clear'
        : `a${kind === 'otlp' ? 'n OTLP' : 'n HTTPS'} sink's url must be https://…`,
    )
  if (url.username !== '' || url.password !== '')
    throw new ValidationError('url', 'credentials in the url are refused; HTTPS sinks are signed')
  if (kind === 'syslog' && (url.pathname !== '' || url.search !== ''))
    throw new ValidationError('url', 'a syslog sink is only syslog+tls://host:port')
  return url.toString()
}

export interface CreatedSink {
  sink: AuditSinkConfig
  /** HTTPS: the Standard Webhooks secret receivers check signatures with, shown this once. */
  secret: string | null
}

/**
 * Adds a sink. It receives records written from now on, or every record still kept with
 * `start: 'beginning'`.
 */
export async function createAuditSink(
  deps: AuditDeps,
  actor: string,
  tenantId: string,
  input: { kind: AuditSinkKind; url: string; start?: 'now' | 'beginning' | undefined },
): Promise<CreatedSink> {
  const url = checkUrl(input.kind, input.url)
  return deps.storage.transaction(async (storage) => {
    await requireTenant(storage, tenantId)
    await storage.tenants.lockForChange(tenantId)
    const existing = await storage.auditSinks.list(tenantId)
    if (existing.length >= MAX_SINKS_PER_TENANT)
      throw new ConflictError(`a tenant has at most ${String(MAX_SINKS_PER_TENANT)} audit sinks`)
    const now = deps.now()
    const id = `sink_${randomBytes(9).toString('base64url')}`
    const secret = input.kind === 'https' ? `whsec_${randomBytes(24).toString('base64')}` : null
    const head = await storage.auditChain.head(tenantId)
    const sink: AuditSinkConfig = {
      id,
      tenantId,
      kind: input.kind,
      url,
      sealedSecret:
        secret === null
          ? null
          : deps.sealer.seal(Buffer.from(secret), sinkSealingContext({ tenantId, id })),
      deliveredThrough: input.start === 'beginning' ? 0 : (head?.seq ?? 0),
      createdAt: now,
      failures: 0,
      nextAttemptAt: now,
      lastError: null,
      lastSuccessAt: null,
    }
    await storage.auditSinks.insert(sink)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: now,
        type: 'audit.sink_added',
        actor,
        clientId: null,
        // Where the log goes is itself audited; the secret never is.
        data: {
          sink_id: id,
          kind: input.kind,
          url: displayedSinkUrl(url),
          start: input.start ?? 'now',
        },
      },
    ])
    return { sink, secret }
  })
}

export async function listAuditSinks(
  deps: AuditDeps,
  tenantId: string,
): Promise<{ sinks: AuditSinkConfig[]; head: number }> {
  await requireTenant(deps.storage, tenantId)
  const [sinks, head] = await Promise.all([
    deps.storage.auditSinks.list(tenantId),
    deps.storage.auditChain.head(tenantId),
  ])
  return { sinks, head: head?.seq ?? 0 }
}

export async function deleteAuditSink(
  deps: AuditDeps,
  actor: string,
  tenantId: string,
  id: string,
): Promise<void> {
  await deps.storage.transaction(async (storage) => {
    await requireTenant(storage, tenantId)
    if (!(await storage.auditSinks.delete(tenantId, id))) throw new NotFoundError('audit sink', id)
    await storage.audit.append([
      {
        tenantId,
        occurredAt: deps.now(),
        type: 'audit.sink_removed',
        actor,
        clientId: null,
        data: { sink_id: id },
      },
    ])
  })
}
