import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

import { messageOf } from '../api/client'

export interface AsyncState<T> {
  data: T | undefined
  error: string | undefined
  loading: boolean
  /** Loads again (after a change), keeping the current data on screen meanwhile. */
  reload: () => void
  /** Replaces the data without a request (with what a mutation returned). */
  setData: (data: T) => void
}

/** Runs `load` when `deps` change; the last call wins, earlier answers are dropped. */
export function useAsync<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: unknown[],
): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [loading, setLoading] = useState(true)
  const [generation, setGeneration] = useState(0)
  const loadRef = useRef(load)
  loadRef.current = load

  useEffect(() => {
    const controller = new AbortController()
    setLoading(true)
    setError(undefined)
    loadRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return
        setData(value)
        setLoading(false)
      },
      (reason: unknown) => {
        if (controller.signal.aborted) return
        setError(messageOf(reason))
        setLoading(false)
      },
    )
    return () => {
      controller.abort()
    }
  }, [...deps, generation])

  const reload = useCallback(() => {
    setGeneration((g) => g + 1)
  }, [])
  return { data, error, loading, reload, setData }
}

/**
 * Cursor pagination over an API that answers `{ items, next_cursor }`: keeps the cursors of
 * the pages seen so that "Previous" works too.
 */
export function useCursor(resetKey: string) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined])
  const [key, setKey] = useState(resetKey)
  if (key !== resetKey) {
    setKey(resetKey)
    setCursors([undefined])
  }
  const cursor = cursors[cursors.length - 1]
  return {
    cursor,
    page: cursors.length,
    hasPrevious: cursors.length > 1,
    next: (nextCursor: string) => {
      setCursors((c) => [...c, nextCursor])
    },
    previous: () => {
      setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c))
    },
    first: () => {
      setCursors([undefined])
    },
  }
}
