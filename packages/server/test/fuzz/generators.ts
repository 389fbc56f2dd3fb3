/** Every request generator, by target: what the vitest files and the long run draw from. */
import fc from 'fast-check'

import { adminRequests } from './admin-requests.js'
import { consoleSessionRequests } from './console-requests.js'
import { oauthRequests } from './oauth-requests.js'
import type { FuzzContext, FuzzRequest, Target } from './support.js'

/** Every target, weighted for the long run. */
export function anyRequest(context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const weights: [Target, number][] = [
    ['token', 30],
    ['token-global', 10],
    ['introspect', 8],
    ['revoke', 6],
    ['admin', 26],
    ['console-session', 10],
    ['console-admin', 10],
  ]
  return fc.oneof(
    ...weights.map(([target, weight]) => ({ weight, arbitrary: requestsFor(context, target) })),
  )
}

export function requestsFor(context: FuzzContext, target: Target): fc.Arbitrary<FuzzRequest> {
  switch (target) {
    case 'token':
    case 'token-global':
    case 'introspect':
    case 'revoke':
      return oauthRequests(context, target)
    case 'admin':
      return adminRequests(context, 'bearer')
    case 'console-session':
      return consoleSessionRequests(context)
    case 'console-admin':
      return adminRequests(context, 'console')
  }
}
