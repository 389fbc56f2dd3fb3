import type { AdminCall } from './serve-process.js'

/** What an object must look like after a restart; unset fields are not compared. */
interface Expected {
  exists: boolean
  name?: string
  description?: string
  status?: string
  secretId?: string
}

/** What the admin API shows after the restart. */
interface Observed {
  exists: boolean
  name?: string
  description?: string
  status?: string
  secretIds?: string[]
}

interface Tracked {
  kind: 'applications' | 'apis'
  id: string
  /** The state of the last change the server acknowledged. */
  acknowledged: Expected
  /** A change sent but not answered (the kill cut it): it may or may not have committed. */
  unanswered?: Expected
  lastChange: string
}

export interface ChurnOptions {
  tenant: string
  /** The API churned applications are granted on (and renamed now and then). */
  api: { id: string; audience: string; scopes: string[] }
  /** Each cycle also creates an API (they cannot be deleted: keep off for long runs). */
  createsApis: boolean
  /** Every n-th application stays revoked instead of being deleted; undefined deletes all. */
  keepsRevokedEvery?: number
  /** Pause between admin calls. */
  pauseMs: number
  /** Forget deleted applications once verified (long runs). */
  forgetsDeleted: boolean
}

class UnexpectedStatus extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * One sequential admin client that creates, updates, rotates, revokes and deletes applications,
 * and keeps a ledger of every change the server acknowledged (201/200/204). `verify()` reads each
 * object back and names any acknowledged change that is missing.
 */
export class AdminChurn {
  acknowledged = 0
  errors: string[] = []
  private readonly tracked = new Map<string, Tracked>()
  private readonly touched = new Set<string>()
  private cycle = 0

  constructor(
    private readonly admin: AdminCall,
    private readonly options: ChurnOptions,
  ) {}

  /** Records an object made during setup, so later checks cover it too. */
  track(kind: Tracked['kind'], id: string, expected: Expected, change: string): void {
    this.tracked.set(`${kind}/${id}`, { kind, id, acknowledged: expected, lastChange: change })
    this.touched.add(`${kind}/${id}`)
    this.acknowledged++
  }

  /** Runs lifecycles until `isStopped()` or a call fails to connect (the server died). */
  async run(isStopped: () => boolean, label: string): Promise<void> {
    // Bounded: 10,000 cycles of at most 7 calls.
    for (let i = 0; i < 10_000 && !isStopped(); i++) {
      try {
        await this.lifecycle(label, isStopped)
      } catch (error) {
        if (error instanceof UnexpectedStatus) {
          this.errors.push(error.message)
          if (this.errors.length > 100) return
          continue
        }
        return
      }
    }
  }

  get size(): number {
    return this.tracked.size
  }

  private async lifecycle(label: string, isStopped: () => boolean): Promise<void> {
    const n = ++this.cycle
    const base = `/admin/v1/tenants/${this.options.tenant}`
    let grantOn = this.options.api
    if (this.options.createsApis) {
      const scopes = ['read:things', 'write:things']
      const body = { audience: `https://churn-${label}-${n}.example.com`, name: `API ${n}`, scopes }
      const response = await this.send('POST', `${base}/apis`, body, 201, 'create')
      const api = (await response.json()) as { id: string; audience: string }
      this.track('apis', api.id, { exists: true, name: body.name }, 'create')
      grantOn = { id: api.id, audience: api.audience, scopes }
      await this.pause(isStopped)
    }
    const created = (await (
      await this.send(
        'POST',
        `${base}/applications`,
        {
          name: `churn ${label} ${n}`,
          grants: [{ audience: grantOn.audience, scopes: grantOn.scopes.slice(0, 1) }],
        },
        201,
        'create',
      )
    ).json()) as { client_id: string; name: string; secrets: { id: string }[] }
    const app = `${base}/applications/${created.client_id}`
    const key = `applications/${created.client_id}`
    this.track(
      'applications',
      created.client_id,
      { exists: true, name: created.name, status: 'active', secretId: created.secrets[0]?.id },
      'create',
    )

    const steps: [string, (e: Expected) => Expected, () => Promise<Partial<Expected>>][] = [
      [
        'update description',
        (e) => ({ ...e, description: `v1 ${n}` }),
        async () => {
          await this.send('PATCH', app, { description: `v1 ${n}` }, 200, 'update')
          return { description: `v1 ${n}` }
        },
      ],
      [
        'rotate secret',
        // The new secret's id is known only from the answer: an unanswered rotation may show any.
        (e) => ({ ...e, secretId: undefined }),
        async () => {
          const response = await this.send(
            'POST',
            `${app}/rotate-secret`,
            { overlap_seconds: 0 },
            200,
            'rotate',
          )
          return { secretId: ((await response.json()) as { secret: { id: string } }).secret.id }
        },
      ],
      [
        'update name',
        (e) => ({ ...e, name: `churn ${label} ${n} renamed`, description: `v2 ${n}` }),
        async () => {
          const body = { name: `churn ${label} ${n} renamed`, description: `v2 ${n}` }
          await this.send('PATCH', app, body, 200, 'update')
          return body
        },
      ],
      [
        'revoke',
        (e) => ({ ...e, status: 'revoked' }),
        async () => {
          await this.send('POST', `${app}/revoke`, undefined, 200, 'revoke')
          return { status: 'revoked' }
        },
      ],
    ]
    const keep =
      this.options.keepsRevokedEvery !== undefined && n % this.options.keepsRevokedEvery === 0
    if (!keep)
      steps.push([
        'delete',
        () => ({ exists: false }),
        async () => {
          await this.send('DELETE', app, undefined, 204, 'delete')
          return { exists: false }
        },
      ])
    for (const [change, expect, call] of steps) {
      await this.pause(isStopped)
      await this.change(key, change, expect, call)
    }
    if (n % 3 === 0) {
      await this.pause(isStopped)
      const name = `API renamed ${label} ${n}`
      await this.change(
        `apis/${grantOn.id}`,
        'rename',
        (e) => ({ ...e, name }),
        async () => {
          await this.send('PATCH', `${base}/apis/${grantOn.id}`, { name }, 200, 'update')
          return { name }
        },
      )
    }
  }

  private async pause(isStopped: () => boolean): Promise<void> {
    if (this.options.pauseMs > 0) await sleep(this.options.pauseMs)
    if (isStopped()) throw new Error('stopped')
  }

  /** Notes the change as unanswered, sends it, and moves it to acknowledged on success. */
  private async change(
    key: string,
    change: string,
    expect: (e: Expected) => Expected,
    call: () => Promise<Partial<Expected>>,
  ): Promise<void> {
    const tracked = this.tracked.get(key)
    if (tracked === undefined) throw new Error(`untracked ${key}`)
    this.touched.add(key)
    tracked.unanswered = expect(tracked.acknowledged)
    try {
      const answered = await call()
      const next = expect(tracked.acknowledged)
      tracked.acknowledged = next.exists ? { ...next, ...answered } : next
      tracked.lastChange = change
      tracked.unanswered = undefined
      this.acknowledged++
    } catch (error) {
      // A refusal (4xx/5xx) committed nothing; a cut connection may have.
      if (error instanceof UnexpectedStatus) tracked.unanswered = undefined
      throw error
    }
  }

  private async send(
    method: string,
    route: string,
    body: unknown,
    expected: number,
    what: string,
  ): Promise<Response> {
    const response = await this.admin(method, route, body)
    if (response.status !== expected)
      throw new UnexpectedStatus(
        `${what} ${method} ${route}: ${response.status} ${(await response.text()).slice(0, 200)}`,
      )
    return response
  }

  /**
   * Reads back every object changed since the last call (`all`: every object tracked) and
   * returns one line per acknowledged change that is missing. An unanswered change that did
   * commit becomes the acknowledged state from here on.
   */
  async verify(scope: 'changed' | 'all'): Promise<string[]> {
    const lost: string[] = []
    const keys = scope === 'all' ? [...this.tracked.keys()] : [...this.touched]
    for (const key of keys) {
      const tracked = this.tracked.get(key)
      if (tracked === undefined) continue
      const actual = await this.read(tracked)
      if (matches(actual, tracked.acknowledged)) {
        // The unanswered change did not commit: fine either way.
      } else if (tracked.unanswered !== undefined && matches(actual, tracked.unanswered)) {
        tracked.acknowledged = { ...tracked.unanswered, secretId: actual.secretIds?.at(-1) }
      } else {
        lost.push(
          `${tracked.kind} ${tracked.id}: after its acknowledged ${tracked.lastChange} expected ${JSON.stringify(tracked.acknowledged)}, found ${JSON.stringify(actual)}`,
        )
      }
      tracked.unanswered = undefined
      if (this.options.forgetsDeleted && !tracked.acknowledged.exists) this.tracked.delete(key)
    }
    this.touched.clear()
    return lost
  }

  private async read(tracked: Tracked): Promise<Observed> {
    const response = await this.admin(
      'GET',
      `/admin/v1/tenants/${this.options.tenant}/${tracked.kind}/${tracked.id}`,
    )
    if (response.status === 404) {
      await response.body?.cancel()
      return { exists: false }
    }
    if (!response.ok) throw new Error(`read ${tracked.kind} ${tracked.id}: ${response.status}`)
    const body = (await response.json()) as {
      name: string
      description?: string
      status?: string
      secrets?: { id: string }[]
    }
    return {
      exists: true,
      name: body.name,
      ...(body.description !== undefined && { description: body.description }),
      ...(body.status !== undefined && { status: body.status }),
      ...(body.secrets !== undefined && { secretIds: body.secrets.map((s) => s.id) }),
    }
  }
}

function matches(actual: Observed, expected: Expected): boolean {
  return (
    actual.exists === expected.exists &&
    (['name', 'description', 'status'] as const).every(
      (field) => expected[field] === undefined || actual[field] === expected[field],
    ) &&
    (expected.secretId === undefined || actual.secretIds?.includes(expected.secretId) === true)
  )
}
