import { useEffect, useRef, useState } from 'preact/hooks'

import { plural } from '../lib/format'
import { nextId } from './field'

const DAYS = 30
/** The drawing's width until the card's is known: then it is the card's, so text keeps its size. */
const DEFAULT_WIDTH = 640
const HEIGHT = 180
const PAD = { top: 12, right: 8, bottom: 28, left: 40 }

/** The last 30 UTC days, oldest first, with zeros where no token was issued. */
export function lastDays(days: readonly { day: string; tokens: number }[], now = new Date()) {
  const counts = new Map(days.map((d) => [d.day, d.tokens]))
  const out: { day: string; tokens: number }[] = []
  for (let i = DAYS - 1; i >= 0; i--) {
    const day = new Date(now.getTime() - i * 86_400_000).toISOString().slice(0, 10)
    out.push({ day, tokens: counts.get(day) ?? 0 })
  }
  return out
}

/** A round upper bound for the axis: 1, 2, 5, 10, 20, 50, … */
function niceMax(value: number): number {
  if (value <= 1) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power
  return 10 * power
}

/** Axis ticks: whole numbers only (no "2.5 tokens"), the middle one when it is whole. */
export function ticksOf(max: number): number[] {
  return max % 2 === 0 ? [0, max / 2, max] : [0, max]
}

/** Tokens issued per day as an inline SVG bar chart, with the numbers as a table too. */
export function UsageChart({ days }: { days: readonly { day: string; tokens: number }[] }) {
  const [ids] = useState(() => nextId('usage'))
  const figure = useRef<HTMLElement>(null)
  const [width, setWidth] = useState(DEFAULT_WIDTH)
  useEffect(() => {
    const element = figure.current
    if (element === null || typeof ResizeObserver === 'undefined') return undefined
    const observer = new ResizeObserver(() => {
      const measured = Math.round(element.clientWidth)
      if (measured > 0) setWidth(measured)
    })
    observer.observe(element)
    return () => {
      observer.disconnect()
    }
  }, [])
  const series = lastDays(days)
  const total = series.reduce((sum, d) => sum + d.tokens, 0)
  const peak = series.reduce((best, d) => (d.tokens > best.tokens ? d : best), {
    day: '',
    tokens: 0,
  })
  const max = niceMax(peak.tokens)
  const plotWidth = width - PAD.left - PAD.right
  const plotHeight = HEIGHT - PAD.top - PAD.bottom
  const slot = plotWidth / DAYS
  const barWidth = Math.max(2, slot * 0.7)
  const y = (tokens: number) => PAD.top + plotHeight - (tokens / max) * plotHeight
  const summary =
    total === 0
      ? 'No tokens were issued in the last 30 days.'
      : `${plural(total, 'token')} issued in the last 30 days; the busiest day was ${peak.day} with ${plural(peak.tokens, 'token')}.`

  return (
    <figure class="usage" ref={figure}>
      <svg
        class="usage-chart"
        viewBox={`0 0 ${width} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${ids}-title ${ids}-desc`}
      >
        <title id={`${ids}-title`}>Tokens per day</title>
        <desc id={`${ids}-desc`}>{summary}</desc>
        {ticksOf(max).map((tick) => (
          <g key={tick}>
            <line
              class="usage-grid"
              x1={PAD.left}
              x2={width - PAD.right}
              y1={y(tick)}
              y2={y(tick)}
            />
            <text class="usage-axis" x={PAD.left - 6} y={y(tick) + 4} text-anchor="end">
              {tick}
            </text>
          </g>
        ))}
        {series.map((d, i) => (
          <rect
            key={d.day}
            class={d.tokens === 0 ? 'usage-bar usage-bar-zero' : 'usage-bar'}
            x={PAD.left + i * slot + (slot - barWidth) / 2}
            y={d.tokens === 0 ? y(0) - 1 : y(d.tokens)}
            width={barWidth}
            height={d.tokens === 0 ? 1 : (d.tokens / max) * plotHeight}
          >
            <title>
              {d.day}: {plural(d.tokens, 'token')}
            </title>
          </rect>
        ))}
        {series.map((d, i) =>
          (i % 7 === 0 && i < DAYS - 4) || i === DAYS - 1 ? (
            <text
              key={d.day}
              class="usage-axis"
              x={PAD.left + i * slot + slot / 2}
              y={HEIGHT - 8}
              text-anchor="middle"
            >
              {d.day.slice(5)}
            </text>
          ) : null,
        )}
      </svg>
      <figcaption class="muted">{summary}</figcaption>
      {total > 0 && (
        <details class="usage-table">
          <summary>Show the numbers</summary>
          <table class="table table-compact">
            <caption class="visually-hidden">Tokens per day</caption>
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                <th scope="col">Tokens</th>
              </tr>
            </thead>
            <tbody>
              {series
                .filter((d) => d.tokens > 0)
                .map((d) => (
                  <tr key={d.day}>
                    <td>{d.day}</td>
                    <td>{d.tokens}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  )
}
