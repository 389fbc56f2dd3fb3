import { formatDateTime, formatRelative } from '../lib/format'

/** A time in words ("3 hours ago") with the exact date on hover and for machines. */
export function Time({ iso, never = 'Never' }: { iso: string | null | undefined; never?: string }) {
  if (iso === null || iso === undefined) return <span class="muted">{never}</span>
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso)}
    </time>
  )
}

export function DateTime({
  iso,
  never = 'Never',
}: {
  iso: string | null | undefined
  never?: string
}) {
  if (iso === null || iso === undefined) return <span class="muted">{never}</span>
  return <time dateTime={iso}>{formatDateTime(iso)}</time>
}

/** When a credential was last used, and from where. */
export function LastUsed({ iso, ip }: { iso: string | null; ip: string | null }) {
  return (
    <>
      <Time iso={iso} never="Never" />
      {ip !== null && (
        <span class="muted">
          {' '}
          from <code>{ip}</code>
        </span>
      )}
    </>
  )
}
