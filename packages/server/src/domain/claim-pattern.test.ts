import { describe, expect, it } from 'vitest'

import { checkClaimPattern, matchesClaimPattern } from './claim-pattern.js'
import { ValidationError } from './errors.js'

const main = 'repo:acme/app:ref:refs/heads/main'

describe('trust policy claim patterns', () => {
  it('match exactly without a wildcard', () => {
    expect(matchesClaimPattern(main, main)).toBe(true)
    expect(matchesClaimPattern(main, `${main}x`)).toBe(false)
    expect(matchesClaimPattern(main, 'repo:acme/app:ref:refs/heads/mai')).toBe(false)
    expect(matchesClaimPattern(main, `x${main}`)).toBe(false)
    expect(matchesClaimPattern(main, main.toUpperCase())).toBe(false)
  })

  it('let a middle * stand for exactly one non-empty segment', () => {
    const p = 'repo:acme/*:ref:refs/heads/main'
    expect(matchesClaimPattern(p, main)).toBe(true)
    expect(matchesClaimPattern(p, 'repo:acme/other:ref:refs/heads/main')).toBe(true)
    expect(matchesClaimPattern(p, 'repo:acme/:ref:refs/heads/main')).toBe(false)
    expect(matchesClaimPattern(p, 'repo:evil/app:ref:refs/heads/main')).toBe(false)
    expect(matchesClaimPattern(p, 'repo:acme/a/b:ref:refs/heads/main')).toBe(false)
    expect(matchesClaimPattern(p, 'repo:acme/app:ref:refs/heads/dev')).toBe(false)
  })

  it('let a trailing * stand for a non-empty remainder, separators included', () => {
    const p = 'repo:acme/app:*'
    expect(matchesClaimPattern(p, main)).toBe(true)
    expect(matchesClaimPattern(p, 'repo:acme/app:environment:prod')).toBe(true)
    expect(matchesClaimPattern(p, 'repo:acme/app:')).toBe(false)
    expect(matchesClaimPattern(p, 'repo:acme/app::ref')).toBe(false)
    expect(matchesClaimPattern(p, 'repo:acme/app:/x')).toBe(false)
    expect(matchesClaimPattern(p, 'repo:acme/app')).toBe(false)
    expect(matchesClaimPattern(p, 'repo:acme/app-fork:ref:refs/heads/main')).toBe(false)
    expect(matchesClaimPattern('refs/heads/release/*', 'refs/heads/release/1.2')).toBe(true)
    expect(matchesClaimPattern('refs/heads/release/*', 'refs/heads/main')).toBe(false)
  })

  it('refuse partial-segment wildcards, wildcard-only patterns and control characters', () => {
    for (const bad of ['repo:acme/app*', 'repo:acme/**', '*', '*:*', 'a\nb', '', 'x'.repeat(513)]) {
      expect(() => checkClaimPattern('subject', bad), bad).toThrow(ValidationError)
    }
    expect(() => checkClaimPattern('subject', 42)).toThrow(ValidationError)
    expect(checkClaimPattern('subject', 'repo:acme/*:ref:refs/heads/main')).toBe(
      'repo:acme/*:ref:refs/heads/main',
    )
    expect(checkClaimPattern('subject', 'system:serviceaccount:ci:deployer')).toBe(
      'system:serviceaccount:ci:deployer',
    )
  })
})
