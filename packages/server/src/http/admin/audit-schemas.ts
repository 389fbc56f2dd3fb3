import { Type } from 'typebox'

const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })

export const AuditRangeQuery = Type.Object({
  from: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
  to: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
})

export const AuditStreamQuery = Type.Object({
  after: Type.Optional(Seq),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1000 })),
  wait: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 30,
      default: 0,
      description: 'JSON lines: seconds to wait for a record when none is there yet (long poll)',
    }),
  ),
})

const FindingKind = Type.Union([
  Type.Literal('changed'),
  Type.Literal('removed'),
  Type.Literal('inserted'),
  Type.Literal('reordered'),
  Type.Literal('checkpoint_mismatch'),
  Type.Literal('checkpoint_invalid'),
])

export const AuditCheckpoint = Type.Object({
  seq: Seq,
  hash: Type.String(),
  kind: Type.Union([Type.Literal('scheduled'), Type.Literal('on_demand'), Type.Literal('cut')]),
  created_at: Type.String({ format: 'date-time' }),
  kid: Type.String(),
  jws: Type.String({
    description: 'The signed checkpoint (compact JWS, EdDSA); see docs/audit.md.',
  }),
})

export const AuditCheckpointList = Type.Object({ items: Type.Array(AuditCheckpoint) })

export const AuditCheckpointQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
})

export const AuditVerification = Type.Object({
  ok: Type.Boolean(),
  tenant: Type.String(),
  records: Type.Integer(),
  first: Type.Union([Type.Null(), Seq]),
  last: Type.Union([Type.Null(), Seq]),
  verified_through: Seq,
  checkpoints_checked: Type.Integer(),
  latest_checkpoint: Type.Union([
    Type.Null(),
    Type.Object({ seq: Seq, hash: Type.String(), kind: Type.String(), time: Type.String() }),
  ]),
  findings: Type.Array(
    Type.Object({
      kind: FindingKind,
      seq: Seq,
      through: Type.Optional(Seq),
      message: Type.String(),
    }),
  ),
  more_findings: Type.Integer(),
})

export const RotatedAuditKeys = Type.Object({
  current: Type.String(),
  next: Type.String(),
  retired: Type.Union([Type.Null(), Type.String()]),
})

export const SinkParams = Type.Object({ tenant: Type.String(), sink: Type.String() })

const SinkKind = Type.Union([Type.Literal('https'), Type.Literal('syslog'), Type.Literal('otlp')])

export const CreateAuditSinkBody = Type.Object(
  {
    kind: SinkKind,
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description:
        "https: and otlp: an https:// URL (OTLP: the collector's /v1/logs); syslog: syslog+tls://host:port",
    }),
    start: Type.Optional(
      Type.Union([Type.Literal('now'), Type.Literal('beginning')], {
        description: 'now (default): records written from now on; beginning: every record kept',
      }),
    ),
  },
  { additionalProperties: false },
)

export const AuditSink = Type.Object({
  id: Type.String(),
  kind: SinkKind,
  url: Type.String(),
  delivered_through: Type.Integer({ description: 'The number of the last record delivered' }),
  behind: Type.Integer({ description: 'Records written and not delivered yet' }),
  status: Type.Union([
    Type.Literal('up to date'),
    Type.Literal('delivering'),
    Type.Literal('retrying'),
  ]),
  failures: Type.Integer({ description: 'Failed attempts in a row' }),
  last_error: Type.Union([Type.Null(), Type.String()]),
  last_success_at: Type.Union([Type.Null(), Type.String({ format: 'date-time' })]),
  next_attempt_at: Type.String({ format: 'date-time' }),
  created_at: Type.String({ format: 'date-time' }),
})

export const CreatedAuditSink = Type.Object({
  sink: AuditSink,
  secret: Type.Union([Type.Null(), Type.String()], {
    description:
      "HTTPS sinks: the Standard Webhooks secret to check each delivery's webhook-signature with; shown this once",
  }),
})

export const AuditSinkList = Type.Object({ items: Type.Array(AuditSink) })
