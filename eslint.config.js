import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'coverage/**', '.bench-tmp/**'],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  ...[
    ['domain', []],
    ['crypto', []],
    ['oauth', ['**/management/**']],
    ['management', ['**/oauth/**']],
  ].map(([folder, siblings]) => ({
    files: [`packages/server/src/${folder}/**`],
    rules: {
      // Pure layers: no drivers, no HTTP, no storage implementations (STYLE.md, Layout).
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'fastify',
            'kysely',
            'pg',
            'better-sqlite3',
            'ioredis',
            '**/http/**',
            '**/storage/sql/**',
            '**/storage/redis/**',
            '**/storage/local/**',
            ...siblings,
          ],
        },
      ],
    },
  })),
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', fetch: 'readonly', AbortSignal: 'readonly' },
    },
  },
)
