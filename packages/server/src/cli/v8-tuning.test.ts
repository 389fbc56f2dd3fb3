import { describe, expect, it } from 'vitest'

import { concurrentMarking } from './v8-tuning.js'

describe('concurrent marking', () => {
  it('is on by default only when each server process has more than one core to itself', () => {
    expect(concurrentMarking('auto', 1, 1)).toBe(false) // pinned to one core, or one CPU
    expect(concurrentMarking('auto', 2, 1)).toBe(true)
    expect(concurrentMarking('auto', 2, 2)).toBe(false) // --workers as many as cores
    expect(concurrentMarking('auto', 8, 2)).toBe(true)
  })

  it('follows TOKENMINT_CONCURRENT_GC when it is on or off', () => {
    expect(concurrentMarking('on', 1, 1)).toBe(true)
    expect(concurrentMarking('off', 16, 1)).toBe(false)
  })
})
