const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })

export function formatDateTime(iso: string): string {
  return dateTime.format(new Date(iso))
}

export function formatDate(iso: string): string {
  return dateOnly.format(new Date(iso))
}

/** "3 minutes ago", "in 2 days". */
export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000)
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['year', 31_536_000],
    ['month', 2_592_000],
    ['week', 604_800],
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ]
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.trunc(seconds / size), unit)
  }
  return relative.format(seconds, 'second')
}

/** 3600 → "1 hour", 90 → "90 seconds", 86400 → "1 day". */
export function formatDuration(seconds: number): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  if (seconds % 86_400 === 0 && seconds >= 86_400) return plural(seconds / 86_400, 'day')
  if (seconds % 3_600 === 0 && seconds >= 3_600) return plural(seconds / 3_600, 'hour')
  if (seconds % 60 === 0 && seconds >= 60) return plural(seconds / 60, 'minute')
  return plural(seconds, 'second')
}

export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`
}

/** Today's date plus `days`, as YYYY-MM-DD in local time (for <input type=date>). */
export function dateInDays(days: number, from = new Date()): string {
  const date = new Date(from.getTime() + days * 86_400_000)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

/** The administrator's time zone, as the browser knows it: "Europe/Berlin". */
export function timeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone
}

/** An instant in the administrator's time zone, naming it: "31 Mar 2027, 23:59 Europe/Berlin". */
export function formatDateTimeInZone(iso: string): string {
  return `${formatDateTime(iso)} ${timeZone()}`
}

/** The local calendar date (YYYY-MM-DD) of an instant, in the administrator's time zone. */
export function localDate(iso: string): string {
  return dateInDays(0, new Date(iso))
}

/**
 * The last millisecond of a local calendar day (YYYY-MM-DD) in the administrator's time zone,
 * as an ISO 8601 date-time with that zone's offset: "2027-03-31T23:59:59.999+02:00".
 */
export function endOfLocalDay(date: string): string {
  const [year = 0, month = 1, day = 1] = date.split('-').map(Number)
  const end = new Date(year, month - 1, day, 23, 59, 59, 999)
  const offset = -end.getTimezoneOffset()
  const pad = (n: number) => String(Math.trunc(Math.abs(n))).padStart(2, '0')
  const sign = offset < 0 ? '-' : '+'
  return `${date}T23:59:59.999${sign}${pad(offset / 60)}:${pad(offset % 60)}`
}
