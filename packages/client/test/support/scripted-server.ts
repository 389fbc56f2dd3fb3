import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedRequest {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  body: string
}

/** Answers one request however the test likes; `count` starts at 1. */
export type Script = (
  request: ReceivedRequest,
  response: http.ServerResponse,
  count: number,
) => void | Promise<void>

export interface ScriptedServer {
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** `${origin}/token` */
  url: string
  /** Requests received in full, in order. */
  requests: ReceivedRequest[]
  readonly count: number
  close: () => Promise<void>
}

/**
 * A server on 127.0.0.1 that answers as the test scripts it and records what it received:
 * the misbehaving token endpoint (or API) of these tests.
 */
export async function scriptedServer(script: Script): Promise<ScriptedServer> {
  const requests: ReceivedRequest[] = []
  const server = http.createServer((incoming, response) => {
    let body = ''
    incoming.setEncoding('utf8')
    incoming.on('data', (chunk: string) => (body += chunk))
    incoming.on('end', () => {
      const request = {
        method: incoming.method ?? 'GET',
        path: incoming.url ?? '/',
        headers: incoming.headers,
        body,
      }
      requests.push(request)
      void script(request, response, requests.length)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    url: `${origin}/token`,
    requests,
    get count() {
      return requests.length
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}

export function json(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers })
  response.end(JSON.stringify(body))
}

export const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms)
  })

/** Starts scripted servers and closes them after each test. */
export function serverPool() {
  const open: ScriptedServer[] = []
  return {
    async serve(script: Script): Promise<ScriptedServer> {
      const server = await scriptedServer(script)
      open.push(server)
      return server
    },
    async closeAll(): Promise<void> {
      await Promise.all(open.splice(0).map((server) => server.close()))
    },
  }
}
