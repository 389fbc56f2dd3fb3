/** Prints `value` as JSON with --json, otherwise the human text. */
export function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json === true ? JSON.stringify(value, null, 2) + '\n' : human() + '\n')
}

export function table(rows: readonly (readonly string[])[]): string {
  const first = rows[0]
  if (first === undefined) return ''
  const widths = first.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  )
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
