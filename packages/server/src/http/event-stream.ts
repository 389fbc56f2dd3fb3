import type { ServerResponse } from 'node:http'

import type { FastifyReply, FastifyRequest } from 'fastify'

/** How often a stream says it is alive when there is nothing to send. */
export const HEARTBEAT_MS = 15_000

/**
 * Takes the response over for Server-Sent Events. Node's request and headers timeouts end once
 * the request is in, so they never cut the stream; the idle timeout would. Heartbeats keep the
 * stream busy, so four missed ones are allowed: a peer that stops reading stalls the writes and
 * is cut then.
 */
export function startEventStream(request: FastifyRequest, reply: FastifyReply): ServerResponse {
  reply.hijack()
  request.raw.socket.setTimeout(4 * HEARTBEAT_MS)
  const raw = reply.raw
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  return raw
}
