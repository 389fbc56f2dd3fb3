import { afterEach, describe, expect, it } from 'vitest'

import { StorageHealth } from './storage-health.js'

const opened: StorageHealth[] = []

function setUp(probe: () => Promise<void> = () => Promise.resolve()) {
  const lines: { level: 'error' | 'info'; object: object; message: string }[] = []
  const clock = { ms: 0 }
  let probes = 0
  const health = new StorageHealth({
    probe: () => {
      probes++
      return probe()
    },
    logger: {
      error: (object: object, message: string) => lines.push({ level: 'error', object, message }),
      info: (object: object, message: string) => lines.push({ level: 'info', object, message }),
    } as never,
    probeIntervalMs: 1000,
    clockMs: () => clock.ms,
  })
  opened.push(health)
  return { health, lines, clock, probes: () => probes }
}

describe('StorageHealth', () => {
  afterEach(() => {
    for (const health of opened.splice(0)) health.close()
  })

  it('logs the cause of an outage once and counts every refused request', () => {
    const { health, lines } = setUp()
    const cause = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
    for (let i = 0; i < 200; i++) health.refused(cause)

    expect(health.isAvailable).toBe(false)
    expect(health.stats).toEqual({ refused: 200, outages: 1 })
    expect(lines).toEqual([
      {
        level: 'error',
        object: { err: cause, probeIntervalMs: 1000 },
        message: expect.stringContaining('unavailable'),
      },
    ])
  })

  it('stays unavailable until a probe write commits, then logs one recovery line', async () => {
    let full = true
    const { health, lines, clock } = setUp(() =>
      full ? Promise.reject(new Error('database or disk is full')) : Promise.resolve(),
    )
    health.refused(new Error('database or disk is full'))
    health.refused(new Error('database or disk is full'))

    expect(await health.check()).toBe(false)
    full = false
    clock.ms += 1000
    expect(await health.check()).toBe(true)
    expect(health.isAvailable).toBe(true)
    expect(lines.map((l) => l.level)).toEqual(['error', 'info'])
    expect(lines[1]).toMatchObject({
      object: { refused: 2 },
      message: 'storage is available again',
    })
  })

  it('probes at most once per interval however often readiness asks', async () => {
    const { health, clock, probes } = setUp(() => Promise.reject(new Error('ECONNREFUSED')))
    health.failed(new Error('ECONNREFUSED'))
    clock.ms += 1000

    const answers = await Promise.all(Array.from({ length: 50 }, () => health.check()))
    for (let i = 0; i < 50; i++) await health.check()
    clock.ms += 1000
    await health.check()

    expect(answers.every((available) => !available)).toBe(true)
    expect(probes()).toBe(2)
  })

  it('does not recover on a probe that a failing request overlapped', async () => {
    let commit: () => void = () => undefined
    const { health, clock } = setUp(
      () =>
        new Promise<void>((resolve) => {
          commit = resolve
        }),
    )
    health.refused(new Error('database or disk is full'))
    clock.ms += 1000
    const probed = health.check()
    health.refused(new Error('database or disk is full'))
    commit()

    expect(await probed).toBe(false)
    expect(health.isAvailable).toBe(false)
    clock.ms += 1000
    const next = health.check()
    commit()
    expect(await next).toBe(true)
  })

  it('backs its probe off when storage fails again soon after recovering', async () => {
    const { health, clock, probes } = setUp()
    const relapse = async () => {
      health.refused(new Error('could not extend file'))
      const before = probes()
      for (let waitedMs = 0; probes() === before; waitedMs += 500) {
        clock.ms += 500
        await health.check()
        if (waitedMs > 120_000) throw new Error('never probed')
      }
      return probes() - before === 1 && health.isAvailable
    }
    const intervals: number[] = []
    for (let i = 0; i < 8; i++) {
      const started = clock.ms
      expect(await relapse()).toBe(true)
      intervals.push(clock.ms - started)
    }
    clock.ms += 61_000
    intervals.push(-1)
    const started = clock.ms
    await relapse()
    intervals.push(clock.ms - started)

    expect(intervals).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, -1, 1000])
  })

  it('probes nothing while storage is available', async () => {
    const { health, probes } = setUp()
    expect(await health.check()).toBe(true)
    expect(probes()).toBe(0)
  })
})
