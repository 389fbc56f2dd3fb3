import net from 'node:net'

import { freePort } from './server.js'

export interface TcpProxy {
  port: number
  /** Drops every connection and stops accepting: the upstream looks unreachable. */
  cut(): Promise<void>
  /** Accepts connections again. */
  restore(): Promise<void>
  /** Sends new connections to another upstream port and drops the current ones. */
  retarget(targetPort: number): Promise<void>
}

/** A TCP proxy on 127.0.0.1 that a test can cut, restore and point elsewhere. */
export async function startTcpProxy(initialTargetPort: number): Promise<TcpProxy> {
  const port = await freePort()
  const sockets = new Set<net.Socket>()
  let targetPort = initialTargetPort
  let server: net.Server | undefined
  const dropAll = () => {
    for (const socket of sockets) socket.destroy()
    sockets.clear()
  }
  const open = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(targetPort, '127.0.0.1')
        sockets.add(client).add(upstream)
        client.pipe(upstream).pipe(client)
        const drop = () => {
          client.destroy()
          upstream.destroy()
          sockets.delete(client)
          sockets.delete(upstream)
        }
        client.on('error', drop).on('close', drop)
        upstream.on('error', drop).on('close', drop)
      })
      server.listen(port, '127.0.0.1', resolve)
    })
  await open()
  return {
    port,
    cut: () =>
      new Promise<void>((resolve) => {
        dropAll()
        if (server === undefined) {
          resolve()
          return
        }
        server.close(() => {
          resolve()
        })
        server = undefined
      }),
    restore: open,
    retarget: (next) => {
      targetPort = next
      dropAll()
      return Promise.resolve()
    },
  }
}
