import http from 'node:http'
import type { AddressInfo } from 'node:net'

export type Script = (
  request: http.IncomingMessage,
  body: string,
  response: http.ServerResponse,
  count: number,
) => void

/** A token endpoint on 127.0.0.1 that answers as the test scripts it, counting requests. */
export async function scriptedServer(script: Script) {
  let count = 0
  const bodies: { headers: http.IncomingHttpHeaders; body: string }[] = []
  const server = http.createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      count++
      bodies.push({ headers: request.headers, body })
      script(request, body, response, count)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/token`,
    origin: `http://127.0.0.1:${port}`,
    get count() {
      return count
    },
    requests: bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export function json(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers })
  response.end(JSON.stringify(body))
}
