import type { TestServer } from './server.js'

/**
 * How many tokens the audit log says `clientId` was issued: a refused request must leave it
 * unchanged (STYLE.md: bad-input tests also assert nothing changed).
 */
export async function issuedTokenCount(server: TestServer, clientId: string): Promise<number> {
  const page = await server.services.storage.audit.list({
    tenantId: server.tenant,
    clientId,
    type: 'token.issued',
    limit: 1000,
  })
  return page.items.length
}
