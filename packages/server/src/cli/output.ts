/** Prints `value` as JSON with --json, otherwise the human text. */
export function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json === true ? JSON.stringify(value, null, 2) + '\n' : human() + '\n')
}

/** The terminal's width; COLUMNS, or 100, when standard output is not a terminal. */
export function terminalWidth(env: NodeJS.ProcessEnv = process.env): number {
  const columns = process.stdout.isTTY ? process.stdout.columns : Number(env['COLUMNS'])
  return Number.isInteger(columns) && columns > 0 ? columns : 100
}

const GAP = 2
/** A shrunk column keeps at least this many characters (or its header). */
const MIN_WIDTH = 8

function truncate(cell: string, width: number): string {
  return cell.length <= width ? cell : `${cell.slice(0, Math.max(0, width - 1))}…`
}

/**
 * Aligned columns that fit `maxWidth`: the widest columns are cut with … first, and the `keep`
 * columns (identifiers people copy, such as a client id) are never cut.
 */
export function table(
  rows: readonly (readonly string[])[],
  { maxWidth = terminalWidth(), keep = [0] }: { maxWidth?: number; keep?: readonly number[] } = {},
): string {
  const first = rows[0]
  if (first === undefined) return ''
  const widths = first.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  )
  const floor = first.map((header) => Math.max(header.length, MIN_WIDTH))
  const total = () => widths.reduce((sum, w) => sum + w, 0) + GAP * (widths.length - 1)
  while (total() > maxWidth) {
    let widest = -1
    for (const [column, width] of widths.entries()) {
      if (keep.includes(column) || width <= (floor[column] ?? MIN_WIDTH)) continue
      if (widest === -1 || width > (widths[widest] ?? 0)) widest = column
    }
    if (widest === -1) break
    widths[widest] = (widths[widest] ?? 1) - 1
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => truncate(cell, widths[i] ?? cell.length).padEnd(widths[i] ?? 0))
        .join(' '.repeat(GAP))
        .trimEnd(),
    )
    .join('\n')
}
