import { defineConfig } from 'vitest/config'

// Two cores: keep files parallel-safe (every server binds 127.0.0.1:0, every database is its
// own file or schema) but run only two at a time.
export default defineConfig({
  test: {
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['packages/*/test/**/*.test.ts'] },
      },
    ],
  },
})
