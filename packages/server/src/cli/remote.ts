import type { Command } from 'commander'

import { AdminClient, resolveAdminTarget, type GlobalOptions } from './admin-client.js'

/** Global flags (server, tenant, admin credentials) merged with the command's own. */
export function adminClientFor(command: Command): { client: AdminClient; options: GlobalOptions } {
  const options = command.optsWithGlobals<GlobalOptions>()
  return { client: new AdminClient(resolveAdminTarget(options)), options }
}
