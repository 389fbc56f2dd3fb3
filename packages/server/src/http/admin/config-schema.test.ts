import { describe, expect, it } from 'vitest'

import { ValidationError } from '../../domain/errors.js'
import { configPath, parseConfigFile } from './config-schema.js'

function problems(value: unknown): { field: string; message: string }[] {
  try {
    parseConfigFile(value)
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    return [{ field: error.field, message: error.message }, ...error.others]
  }
  throw new Error('accepted')
}

describe('configuration files', () => {
  it('names paths the way a person reads them', () => {
    expect(configPath('/applications/3/grants/0/scopes/1')).toBe(
      'applications[3].grants[0].scopes[1]',
    )
    expect(configPath('/apis/0/catalog/custom~1scopes')).toBe('apis[0].catalog.custom/scopes')
    expect(configPath('')).toBe('')
  })

  it('accepts a minimal file and drops the $schema hint', () => {
    expect(parseConfigFile({ $schema: './config.schema.json', version: 1 })).toEqual({ version: 1 })
  })

  it('reports every wrong path once, with the rule of the branch the value was meant for', () => {
    expect(
      problems({
        version: 1,
        colour: 'blue',
        applications: [
          { name: 'a', expires_at: 'next tuesday', token_lifetime_seconds: 'long' },
          { environment: 'prod' },
          { name: 'b', grants: [{ audience: 'x', scopes: ['ok', 'not ok'] }] },
        ],
      }),
    ).toEqual(
      expect.arrayContaining([
        { field: 'colour', message: 'is not a field of this file' },
        { field: 'applications[0].expires_at', message: 'must match format "date-time"' },
        { field: 'applications[0].token_lifetime_seconds', message: 'must be null or integer' },
        { field: 'applications[1].name', message: 'is required' },
        {
          field: 'applications[2].grants[0].scopes[1]',
          message: expect.stringContaining('must be a scope') as string,
        },
      ]),
    )
  })

  it('refuses what is not a configuration at all', () => {
    expect(problems('version: 1')[0]?.field).toBe('(file)')
    expect(problems({ version: 2 })).toEqual([
      { field: 'version', message: expect.any(String) as string },
    ])
  })
})
