/** "Previous / Next" for cursor-paginated lists. */
export function Pager({
  page,
  hasPrevious,
  nextCursor,
  onPrevious,
  onNext,
  label,
}: {
  page: number
  hasPrevious: boolean
  nextCursor: string | null | undefined
  onPrevious: () => void
  onNext: (cursor: string) => void
  label: string
}) {
  if (!hasPrevious && (nextCursor === null || nextCursor === undefined)) return null
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" class="button" disabled={!hasPrevious} onClick={onPrevious}>
        Previous
      </button>
      <span class="pager-page">Page {page}</span>
      <button
        type="button"
        class="button"
        disabled={nextCursor === null || nextCursor === undefined}
        onClick={() => {
          if (nextCursor !== null && nextCursor !== undefined) onNext(nextCursor)
        }}
      >
        Next
      </button>
    </nav>
  )
}
