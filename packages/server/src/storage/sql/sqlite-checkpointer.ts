import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { Worker } from 'node:worker_threads'

import type SQLite from 'better-sqlite3'

/**
 * The worker's code. A string (evaluated as CommonJS) rather than a file, so it runs the same
 * from the compiled package and from the TypeScript sources under the test runner.
 */
const CHECKPOINTER = `
const { workerData, parentPort } = require('node:worker_threads')
const fs = require('node:fs')
const os = require('node:os')
// Lowest CPU priority for this thread alone: copying the WAL back competes with the request
// thread for the same core(s), and at full priority the scheduler took the event loop away for
// slices of several milliseconds, which added to the p99 latency. Linux names a thread's id in
// /proc/thread-self and setpriority() accepts it; elsewhere the thread keeps its priority.
try {
  os.setPriority(Number(fs.readlinkSync('/proc/thread-self').split('/').pop()), 19)
} catch {}
const Database = require(workerData.driver)
const db = new Database(workerData.file, { fileMustExist: true })
db.pragma('busy_timeout = 100')
// Copying WAL frames back does not go through the page cache: keep its cache small.
db.pragma('cache_size = -512')
const maxFrames = Math.ceil(workerData.maxWalBytes / db.pragma('page_size', { simple: true }))
const timer = setInterval(() => {
  try {
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)')
    // Under sustained writes a PASSIVE checkpoint never catches the writer, so SQLite never
    // gets to restart the WAL from its beginning and the file grows for as long as the load
    // lasts (468 MB after 25 s at full load here), making every page read search a longer index.
    // Past the limit, a RESTART checkpoint holds the writer back for the frames written since
    // the previous pass (measured: 4-16 ms at half the peak rate, 20-265 ms at sustained full
    // load) and makes the next commit start the file over. The limit is high so that this is rare: only sustained full load reaches it.
    if (log > maxFrames) db.pragma('wal_checkpoint(RESTART)')
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message) })
  }
}, workerData.intervalMs)
parentPort.on('message', (message) => {
  if (message === 'stop') {
    clearInterval(timer)
    db.close()
    parentPort.close()
  }
})
`

export interface Checkpointer {
  stop(): Promise<void>
}

/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever
 * commit crosses 1,000 pages and fsyncs the database file there: with better-sqlite3, a stall
 * of tens of milliseconds on the event loop every few thousand tokens, which was the p99
 * latency at half the peak rate. Here the connection serving requests never checkpoints; a
 * thread with its own connection copies the WAL back every second with PASSIVE checkpoints,
 * which never block writers or readers, and restarts it with a RESTART checkpoint once it
 * passes `maxWalBytes` (256 MiB): the one moment the writer waits, for the frames written
 * since the previous pass. Durability is unchanged (commits are durable in the WAL). The
 * thread starts with the first megabyte of writes, not with the server.
 */
export function startCheckpointer(
  database: SQLite.Database,
  file: string,
  options: {
    maxWalBytes?: number
    /** The WAL size at which the thread starts (1 MiB): an idle server never pays for it. */
    startAtWalBytes?: number
    onError?: (message: string) => void
  } = {},
): Checkpointer {
  const maxWalBytes = options.maxWalBytes ?? 256 * 1024 * 1024
  const startAtWalBytes = options.startAtWalBytes ?? 1024 * 1024
  const onError = options.onError ?? (() => undefined)
  const resolved = path.resolve(file)
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  database.pragma('wal_autocheckpoint = 0')
  const fallBack = (message: string) => {
    // Without the thread, the connection checkpoints inline again: slower, never unbounded.
    database.pragma('wal_autocheckpoint = 1000')
    onError(message)
  }
  let worker: Worker | undefined
  const start = () => {
    worker = new Worker(CHECKPOINTER, {
      eval: true,
      // It runs one statement a second: a small heap keeps its isolate a few MB smaller.
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
      workerData: { driver, file: resolved, intervalMs: 1000, maxWalBytes },
    })
    worker.unref()
    worker.on('message', (message: { error?: string }) => {
      if (message.error !== undefined) onError(message.error)
    })
    worker.on('error', (error) => {
      fallBack(error.message)
    })
  }
  // The thread's isolate holds about 9 MB: it starts once the WAL has grown past
  // `startAtWalBytes`, which a server that only serves its console may never reach. Until then
  // the WAL is small, and nothing is checkpointed (commits stay durable in it).
  const walBytes = () => {
    try {
      return fs.statSync(`${resolved}-wal`).size
    } catch {
      return 0
    }
  }
  const watch = setInterval(() => {
    if (walBytes() < startAtWalBytes) return
    clearInterval(watch)
    start()
  }, 1000)
  watch.unref()
  return {
    async stop() {
      clearInterval(watch)
      const running = worker
      if (running === undefined) return
      running.postMessage('stop')
      const exited = new Promise((resolve) => running.once('exit', resolve))
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000))])
      await running.terminate()
    },
  }
}
