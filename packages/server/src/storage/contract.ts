import type {
  Api,
  Application,
  ClientSecret,
  SigningKey,
  SigningKeyStatus,
  Tenant,
} from '../domain/model.js'

/** A page of a list, newest first, with an opaque cursor for the next page. */
export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface PageRequest {
  limit: number
  cursor?: string | undefined
}

export interface TenantStore {
  insert(tenant: Tenant): Promise<void>
  get(id: string): Promise<Tenant | undefined>
  list(): Promise<Tenant[]>
  count(): Promise<number>
}

export interface SigningKeyStore {
  insert(key: SigningKey): Promise<void>
  listForTenant(tenantId: string): Promise<SigningKey[]>
  setStatus(
    kid: string,
    change: {
      status: SigningKeyStatus
      activatedAt?: Date | null
      retiredAt?: Date | null
      publishUntil?: Date | null
    },
  ): Promise<void>
  /** Removes retired keys whose last token has expired. */
  deleteUnpublished(tenantId: string, now: Date): Promise<number>
}

export interface ApiStore {
  insert(api: Api): Promise<void>
  get(tenantId: string, id: string): Promise<Api | undefined>
  getByAudience(tenantId: string, audience: string): Promise<Api | undefined>
  list(tenantId: string): Promise<Api[]>
}

/** What the token endpoint needs to authenticate a client, in one read. */
export interface ClientRecord {
  application: Application
  secrets: ClientSecret[]
}

export interface ApplicationStore {
  insert(application: Application, secret: ClientSecret): Promise<void>
  get(tenantId: string, clientId: string): Promise<Application | undefined>
  /** Across tenants: client ids are globally unique, which lets `/oauth/token` route by them. */
  findClient(clientId: string): Promise<ClientRecord | undefined>
  list(tenantId: string, page: PageRequest): Promise<Page<Application>>
  listSecrets(clientId: string): Promise<ClientSecret[]>
}

export interface AuditEvent {
  tenantId: string
  occurredAt: Date
  type: string
  /** Who did it: `client:<id>` for API callers, `system` for the server itself. */
  actor: string
  clientId: string | null
  /** Non-secret details; never a token, secret or hash. */
  data: Record<string, unknown>
}

export interface StoredAuditEvent extends AuditEvent {
  id: string
}

export interface AuditQuery {
  tenantId: string
  clientId?: string | undefined
  type?: string | undefined
  since?: Date | undefined
  until?: Date | undefined
  limit: number
  cursor?: string | undefined
}

export interface AuditStore {
  append(events: readonly AuditEvent[]): Promise<void>
  list(query: AuditQuery): Promise<Page<StoredAuditEvent>>
}

export interface Storage {
  readonly dialect: 'sqlite' | 'postgres'
  readonly tenants: TenantStore
  readonly signingKeys: SigningKeyStore
  readonly apis: ApiStore
  readonly applications: ApplicationStore
  readonly audit: AuditStore
  /** Runs `work` in one transaction; the stores passed to it write inside it. */
  transaction<T>(work: (storage: Storage) => Promise<T>): Promise<T>
  /** Resolves when storage answers a trivial query. */
  ping(): Promise<void>
  close(): Promise<void>
}

/** Records audit events; `record` resolves once the event is durably committed. */
export interface AuditSink {
  record(event: AuditEvent): Promise<void>
}

/** A change other caches must hear about. */
export type Change =
  { kind: 'application'; tenantId: string; clientId: string } | { kind: 'tenant'; tenantId: string }

/** Carries changes to every cache of every node (in process, or through Redis / Postgres). */
export interface ChangeBus {
  publish(change: Change): void
  subscribe(listener: (change: Change) => void): () => void
}
