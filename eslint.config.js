import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/** On top of strictTypeChecked, for every TypeScript file (server, libraries, console). */
const strictRules = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/switch-exhaustiveness-check': 'error',
  '@typescript-eslint/no-explicit-any': 'error',
  '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
  '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
  '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
}

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
        // One program for sources and tests (tests are not part of the packages' builds).
        project: ['./tsconfig.check.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: strictRules,
  },
  {
    // The console: browser code (JSX, DOM) in tsconfig.json; tests and scripts (Node) in
    // tsconfig.node.json.
    files: ['packages/console/**/*.{ts,tsx}'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        project: ['./packages/console/tsconfig.json', './packages/console/tsconfig.node.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: strictRules,
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests use insecure-transport switches of client libraries on purpose (loopback HTTP).
      '@typescript-eslint/no-deprecated': 'off',
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
            '**/storage/shared/**',
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
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        performance: 'readonly',
        URLSearchParams: 'readonly',
        TextDecoder: 'readonly',
      },
    },
  },
)
