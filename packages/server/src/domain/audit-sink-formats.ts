import { createHmac } from 'node:crypto'

import type { ExportedRecord } from './audit-export.js'

/**
 * What each kind of audit sink receives (docs/audit.md). Pure functions: the delivery loop
 * sends what these build.
 */

/** HTTPS: one JSON record a line, exactly as `audit/export` writes them. */
export function jsonLines(records: readonly ExportedRecord[]): string {
  return records.map((r) => JSON.stringify(r) + '\n').join('')
}

/**
 * The Standard Webhooks signature headers (standardwebhooks.com): an HMAC-SHA256 of
 * `id.timestamp.body` with the secret's bytes (base64 after `whsec_`), so receivers can use any
 * of its libraries.
 */
export function webhookHeaders(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  const signature = createHmac('sha256', key)
    .update(`${id}.${String(timestampSeconds)}.${body}`)
    .digest('base64')
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${signature}`,
  }
}

/** RFC 5424: facility 13 (log audit) × 8 + severity 6 (informational). */
const PRI = 13 * 8 + 6
/** The SD-ID's enterprise number is 32473, the one RFC 5612 reserves for documentation. */
const SD_ID = 'tokenmint@32473'

const sdValue = (value: string) => value.replace(/["\\\]]/g, (c) => `\\${c}`)
/** PRINTUSASCII without spaces, at most `max` characters; `-` when empty (RFC 5424 NILVALUE). */
const header = (value: string, max: number) =>
  value.replace(/[^\x21-\x7e]/g, '_').slice(0, max) || '-'

/**
 * Syslog messages (RFC 5424) framed by octet counting (RFC 6587 §3.4.1, as RFC 5425 requires
 * over TLS): MSGID is the record type, structured data names the tenant and number, and the
 * message is the record as JSON.
 */
export function syslogFrames(records: readonly ExportedRecord[], hostname: string): Buffer {
  const frames = records.map((r) => {
    const message = `<${String(PRI)}>1 ${r.occurred_at} ${header(hostname, 255)} tokenmint - ${header(r.type, 32)} [${SD_ID} tenant="${sdValue(r.tenant_id)}" seq="${String(r.seq)}"] ${JSON.stringify(r)}`
    const bytes = Buffer.from(message, 'utf8')
    return Buffer.concat([Buffer.from(`${String(bytes.length)} `), bytes])
  })
  return Buffer.concat(frames)
}

const attribute = (key: string, value: string | number) => ({
  key,
  value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
})

/**
 * OpenTelemetry logs, OTLP/HTTP with the JSON encoding (an ExportLogsServiceRequest): one log
 * record per audit record, its body the record as JSON, its attributes the fields a pipeline
 * filters on.
 */
export function otlpLogs(records: readonly ExportedRecord[], tenantId: string): string {
  return JSON.stringify({
    resourceLogs: [
      {
        resource: {
          attributes: [
            attribute('service.name', 'tokenmint'),
            attribute('tokenmint.tenant', tenantId),
          ],
        },
        scopeLogs: [
          {
            scope: { name: 'tokenmint.audit' },
            logRecords: records.map((r) => ({
              timeUnixNano: `${String(Date.parse(r.occurred_at))}000000`,
              severityNumber: 9,
              severityText: 'INFO',
              eventName: r.type,
              body: { stringValue: JSON.stringify(r) },
              attributes: [
                attribute('tokenmint.seq', r.seq),
                attribute('tokenmint.type', r.type),
                attribute('tokenmint.actor', r.actor),
                ...(r.client_id === null ? [] : [attribute('tokenmint.client_id', r.client_id)]),
                attribute('tokenmint.hash', r.hash),
              ],
            })),
          },
        ],
      },
    ],
  })
}
