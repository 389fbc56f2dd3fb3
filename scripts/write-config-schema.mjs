// Writes packages/server/config.schema.json, the JSON Schema of `tokenmint export`/`apply` files,
// from the same TypeBox schema the server publishes at /admin/v1/config.schema.json (a test
// checks the two agree). Run after `npm run build`: node scripts/write-config-schema.mjs &&
// npx prettier --write packages/server/config.schema.json
import fs from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const { configSchemaDocument } = await import(
  path.join(root, 'packages/server/dist/http/admin/config-schema.js')
)
fs.writeFileSync(
  path.join(root, 'packages/server/config.schema.json'),
  JSON.stringify(configSchemaDocument(), null, 2) + '\n',
)
