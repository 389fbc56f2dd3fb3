#!/usr/bin/env node
// Committed shim so npm can link the `tokenmint` bin before the TypeScript build has run.
await import('../dist/cli/main.js')
