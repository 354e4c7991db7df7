// A test's timeline as one inline SVG: lanes that share a time axis. Steps as bars, every numeric
// series as a line with its own scale, intervals (Job pod runs...) as bars, and cluster Events,
// watch events and notes as markers; step boundaries cross all lanes. Hover shows details
// (<title>). Pure: entries in, markup out; every text from the cluster is escaped.
import type { TimelineEntry } from '../record/timeline.js'
import { formatValue, linearScale, niceCeil, niceTicks } from './chart-scale.js'
import { formatDuration, formatOffset } from './duration.js'
import { escapeHtml } from './escape.js'
import { timelineStart } from './model.js'

export interface ChartOptions {
  /** viewBox width; the SVG scales to its container. Default 960. */
  width?: number
  /** Accessible name of the chart. */
  label?: string
}

const GUTTER = 200
const RIGHT = 20
const ROW = 18
const SERIES_HEIGHT = 72
const LANE_GAP = 10
const AXIS_HEIGHT = 26
const LABEL_CHARS = 30
const SERIES_COLOURS = ['#2563eb', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#dc2626', '#475569']
const MAX_DOTS = 80
/** Time-axis tick spacings people count in. */
const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]

type Entry<T extends TimelineEntry['type']> = Extract<TimelineEntry, { type: T }>

interface Frame {
  x: (at: number) => number
  left: number
  right: number
}

/** A lane draws itself at vertical offset y and says how tall it is. */
interface Lane {
  height: number
  draw(y: number): string
}

/** The SVG chart of a timeline; empty string when nothing was recorded. */
export function timelineChart(entries: readonly TimelineEntry[], options: ChartOptions = {}): string {
  if (entries.length === 0) return ''
  const width = options.width ?? 960
  const origin = timelineStart(entries)
  const end = Math.max(...entries.map((e) => ('endedAt' in e ? Math.max(e.endedAt, e.at) : e.at)))
  const span = Math.max(end - origin, 1000)
  const frame: Frame = { x: linearScale(origin, origin + span, GUTTER, width - RIGHT), left: GUTTER, right: width - RIGHT }

  const lanes = [stepLane(only(entries, 'step'), frame), ...seriesLanes(only(entries, 'sample'), frame), ...intervalLanes(only(entries, 'interval'), frame), markerLane(entries, frame)].filter(
    (lane): lane is Lane => lane !== undefined,
  )
  let y = 8
  const drawn = lanes.map((lane) => {
    const svg = lane.draw(y)
    y += lane.height + LANE_GAP
    return svg
  })
  const lanesBottom = y - LANE_GAP
  const height = lanesBottom + AXIS_HEIGHT
  return [
    `<svg class="timeline-chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(options.label ?? 'timeline')}" xmlns="http://www.w3.org/2000/svg">`,
    stepBoundaries(only(entries, 'step'), frame, 4, lanesBottom),
    ...drawn,
    timeAxis(span, frame, origin, lanesBottom),
    '</svg>',
  ].join('\n')
}

function only<T extends TimelineEntry['type']>(entries: readonly TimelineEntry[], type: T): Array<Entry<T>> {
  return entries.filter((e): e is Entry<T> => e.type === type)
}

function stepLane(steps: Array<Entry<'step'>>, frame: Frame): Lane | undefined {
  if (steps.length === 0) return undefined
  return {
    height: steps.length * ROW,
    draw: (y) =>
      steps
        .map((step, i) => {
          const top = y + i * ROW
          const [x0, x1] = [frame.x(step.startedAt), Math.max(frame.x(step.at), frame.x(step.startedAt) + 2)]
          const duration = formatDuration(step.at - step.startedAt)
          const tip = `${step.name}: ${step.status}, ${duration}${step.error ? `\n${step.error}` : ''}`
          const labelAfter = x1 + 70 < frame.right
          return group(tip, [
            gutterLabel(step.name, top + ROW / 2, 'lane-label'),
            `<rect class="step-bar ${step.status}" x="${r(x0)}" y="${top + 3}" width="${r(x1 - x0)}" height="${ROW - 6}" rx="2"/>`,
            `<text class="bar-label" x="${r(labelAfter ? x1 + 4 : x0 - 4)}" y="${top + ROW / 2}" text-anchor="${labelAfter ? 'start' : 'end'}" dominant-baseline="central">${escapeHtml(duration)}</text>`,
          ])
        })
        .join('\n'),
  }
}

function seriesLanes(samples: Array<Entry<'sample'>>, frame: Frame): Lane[] {
  const names = [...new Set(samples.map((s) => s.series))]
  return names.map((name, index) => {
    const points = samples.filter((s) => s.series === name)
    return seriesLane(name, points, SERIES_COLOURS[index % SERIES_COLOURS.length]!, frame)
  })
}

function seriesLane(name: string, points: Array<Entry<'sample'>>, colour: string, frame: Frame): Lane {
  const values = points.map((p) => p.value)
  const [min, max] = [Math.min(0, ...values), niceCeil(Math.max(...values, 0) || 1)]
  const last = values.at(-1) ?? 0
  return {
    height: SERIES_HEIGHT,
    draw(y) {
      const top = y + 10
      const bottom = y + SERIES_HEIGHT - 4
      const yOf = linearScale(min, max, bottom, top)
      const grid = niceTicks(max, 2).map(
        (tick) =>
          `<line class="grid" x1="${frame.left}" x2="${frame.right}" y1="${r(yOf(tick))}" y2="${r(yOf(tick))}"/>` +
          `<text class="tick" x="${frame.left - 6}" y="${r(yOf(tick))}" text-anchor="end" dominant-baseline="central">${escapeHtml(formatValue(tick))}</text>`,
      )
      const path = points.map((p) => `${r(frame.x(p.at))},${r(yOf(p.value))}`).join(' ')
      const dots =
        points.length <= MAX_DOTS
          ? points.map((p) => group(`${name} = ${formatValue(p.value)}`, [`<circle cx="${r(frame.x(p.at))}" cy="${r(yOf(p.value))}" r="2.5" fill="${colour}"/>`]))
          : []
      return [
        `<text class="lane-label series-name" x="8" y="${y + 14}" fill="${colour}">${escapeHtml(truncate(name, 22))}</text>`,
        `<text class="lane-note" x="8" y="${y + 30}">last ${escapeHtml(formatValue(last))} · max ${escapeHtml(formatValue(Math.max(...values)))}</text>`,
        ...grid,
        `<polyline class="series-line" points="${path}" fill="none" stroke="${colour}"/>`,
        ...dots,
      ].join('\n')
    },
  }
}

function intervalLanes(intervals: Array<Entry<'interval'>>, frame: Frame): Lane[] {
  const seriesNames = [...new Set(intervals.map((i) => i.series))]
  return seriesNames.map((series) => {
    const members = intervals.filter((i) => i.series === series)
    const labels = [...new Set(members.map((i) => i.label))]
    return {
      height: (labels.length + 1) * ROW,
      draw: (y) =>
        [
          `<text class="lane-label series-name" x="8" y="${y + ROW / 2}" dominant-baseline="central">${escapeHtml(truncate(series, LABEL_CHARS))}</text>`,
          ...members.map((interval) => {
            const top = y + (labels.indexOf(interval.label) + 1) * ROW
            const [x0, x1] = [frame.x(interval.startedAt), Math.max(frame.x(interval.endedAt), frame.x(interval.startedAt) + 2)]
            return group(`${interval.label}: ${formatDuration(interval.endedAt - interval.startedAt)}`, [
              `<rect class="interval-bar" x="${r(x0)}" y="${top + 3}" width="${r(x1 - x0)}" height="${ROW - 6}" rx="2"/>`,
            ])
          }),
          ...labels.map((label, i) => gutterLabel(label, y + (i + 1) * ROW + ROW / 2, 'lane-label minor')),
        ].join('\n'),
    }
  })
}

/** One row each for cluster Events, watch events and notes, when there are any. */
function markerLane(entries: readonly TimelineEntry[], frame: Frame): Lane | undefined {
  const rows: Array<[string, string[]]> = [
    ['Events', only(entries, 'event').map((e) => marker(frame.x(e.at), `event ${e.eventType === 'Warning' ? 'warning' : 'normal'}`, 'diamond', `${e.eventType} ${e.reason} ${e.object}: ${e.message}`))],
    ['watch', only(entries, 'watch').map((e) => marker(frame.x(e.at), `watch ${e.event.toLowerCase()}`, 'tick', `${e.event} ${e.kind}/${e.name}${e.detail ? ` ${e.detail}` : ''}`))],
    ['notes', [
      ...only(entries, 'note').map((e) => marker(frame.x(e.at), 'note', 'triangle', e.text)),
      ...only(entries, 'undecided').map((e) => marker(frame.x(e.at), 'note undecided', 'triangle', `undecided: ${e.claim} (${e.why})`)),
    ]],
  ]
  const present = rows.filter(([, markers]) => markers.length > 0)
  if (present.length === 0) return undefined
  return {
    height: present.length * ROW,
    draw: (y) =>
      present
        .map(([name, markers], i) => {
          const middle = y + i * ROW + ROW / 2
          return [
            gutterLabel(`${name} (${markers.length})`, middle, 'lane-label'),
            `<line class="grid" x1="${frame.left}" x2="${frame.right}" y1="${middle}" y2="${middle}"/>`,
            `<g transform="translate(0 ${middle})">${markers.join('')}</g>`,
          ].join('\n')
        })
        .join('\n'),
  }
}

const SHAPES: Record<'diamond' | 'tick' | 'triangle', (x: number) => string> = {
  diamond: (x) => `<path d="M${r(x)} -6 l5 6 l-5 6 l-5 -6 z"/>`,
  tick: (x) => `<rect x="${r(x - 1)}" y="-6" width="2" height="12"/>`,
  triangle: (x) => `<path d="M${r(x)} 6 l-5 -11 h10 z"/>`,
}

function marker(x: number, className: string, shape: keyof typeof SHAPES, tip: string): string {
  return `<g class="marker ${className}"><title>${escapeHtml(tip)}</title>${SHAPES[shape](x)}</g>`
}

function stepBoundaries(steps: Array<Entry<'step'>>, frame: Frame, top: number, bottom: number): string {
  const instants = [...new Set(steps.flatMap((s) => [s.startedAt, s.at]))]
  return instants.map((at) => `<line class="step-boundary" x1="${r(frame.x(at))}" x2="${r(frame.x(at))}" y1="${top}" y2="${bottom}"/>`).join('\n')
}

function timeAxis(span: number, frame: Frame, origin: number, y: number): string {
  const seconds = span / 1000
  const step = TIME_STEPS_S.find((s) => s >= seconds / 8) ?? niceCeil(seconds / 8)
  const ticks = Array.from({ length: Math.floor(seconds / step) + 1 }, (_, i) => {
    const x = r(frame.x(origin + i * step * 1000))
    return `<line class="axis" x1="${x}" x2="${x}" y1="${y}" y2="${y + 4}"/><text class="tick" x="${x}" y="${y + 16}" text-anchor="middle">${escapeHtml(formatOffset(i * step * 1000))}</text>`
  })
  return [`<line class="axis" x1="${frame.left}" x2="${frame.right}" y1="${y}" y2="${y}"/>`, ...ticks].join('\n')
}

function gutterLabel(text: string, y: number, className: string): string {
  return `<text class="${className}" x="8" y="${y}" dominant-baseline="central">${escapeHtml(truncate(text, LABEL_CHARS))}</text>`
}

function group(tip: string, parts: string[]): string {
  return `<g><title>${escapeHtml(tip)}</title>${parts.join('')}</g>`
}

function truncate(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text
}

/** Coordinates rounded to a tenth of a unit: enough for a screen, far smaller markup. */
function r(value: number): number {
  return Math.round(value * 10) / 10
}
