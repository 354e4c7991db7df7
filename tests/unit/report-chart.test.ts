import { describe, expect, test } from 'vitest'
import { formatValue, niceCeil, niceTicks } from '../../lib/report/chart-scale.js'
import { timelineChart } from '../../lib/report/timeline-chart.js'
import { Timeline } from '../../lib/record/timeline.js'

/** A timeline of a rolling update under load: steps, two series, Job-like intervals, markers. */
function syntheticTimeline() {
  let now = 10_000
  const timeline = new Timeline(() => now)
  timeline.record({ type: 'step', name: 'apply', status: 'passed', startedAt: 10_000 }, 10_500)
  for (let i = 0; i <= 20; i++) {
    timeline.record({ type: 'sample', series: 'replicas', value: i < 10 ? 2 : 4 }, 10_500 + i * 1000)
    timeline.record({ type: 'sample', series: 'rolling.p99 <ms>', value: 10 + i }, 10_700 + i * 1000)
  }
  timeline.record({ type: 'interval', series: 'Job pod runs', label: 'pkg-a', startedAt: 11_000, endedAt: 15_000 }, 15_000)
  timeline.record({ type: 'interval', series: 'Job pod runs', label: 'pkg-b', startedAt: 15_500, endedAt: 19_000 }, 19_000)
  timeline.record({ type: 'event', object: 'Pod/x', reason: 'BackOff', message: 'back-off <restarting>', eventType: 'Warning' }, 20_000)
  timeline.record({ type: 'watch', kind: 'Pod', name: 'x', event: 'DELETED' }, 21_000)
  now = 25_000
  timeline.note('watch interrupted; re-listed')
  timeline.record({ type: 'step', name: 'wait for 4 pods', status: 'failed', startedAt: 10_500, error: 'timed out' }, 31_000)
  return timeline.sorted()
}

describe('timeline chart', () => {
  const svg = timelineChart(syntheticTimeline(), { label: 'timeline of U3' })

  test('is one SVG with an accessible name', () => {
    expect(svg).toMatch(/^<svg class="timeline-chart" viewBox="0 0 960 \d+" width="100%" role="img" aria-label="timeline of U3"/)
    expect(svg.trim().endsWith('</svg>')).toBe(true)
  })

  test('draws every numeric series as a line with one point per sample, inside the plot', () => {
    const lines = [...svg.matchAll(/<polyline class="series-line" points="([^"]+)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number)))
    expect(lines).toHaveLength(2)
    for (const points of lines) {
      expect(points).toHaveLength(21)
      for (const [x] of points) expect(x).toBeGreaterThanOrEqual(200)
      for (const [x] of points) expect(x).toBeLessThanOrEqual(940)
      // Time flows left to right.
      expect(points.map(([x]) => x)).toEqual([...points.map(([x]) => x!)].sort((a, b) => a - b))
    }
    expect(svg).toContain('rolling.p99 &lt;ms&gt;')
    expect(svg).toContain('last 4 · max 4')
  })

  test('draws steps and intervals as bars, and marks step boundaries', () => {
    expect(svg.match(/<rect class="step-bar passed"/g)).toHaveLength(1)
    expect(svg.match(/<rect class="step-bar failed"/g)).toHaveLength(1)
    expect(svg.match(/<rect class="interval-bar"/g)).toHaveLength(2)
    expect(svg).toContain('<title>pkg-b: 3.5 s</title>')
    // Boundaries at 10 s, 10.5 s and 31 s (shared instants drawn once).
    expect(svg.match(/<line class="step-boundary"/g)).toHaveLength(3)
  })

  test('marks Events, watch events and notes, their text escaped', () => {
    expect(svg).toContain('<g class="marker event warning"><title>Warning BackOff Pod/x: back-off &lt;restarting&gt;</title>')
    expect(svg).toContain('<g class="marker watch deleted"><title>DELETED Pod/x</title>')
    expect(svg).toContain('<g class="marker note"><title>watch interrupted; re-listed</title>')
    expect(svg).not.toContain('<restarting>')
  })

  test('has a time axis from the first entry', () => {
    const ticks = [...svg.matchAll(/<text class="tick" x="[\d.]+" y="[\d.]+" text-anchor="middle">([^<]+)<\/text>/g)].map((m) => m[1])
    expect(ticks).toEqual(['0 s', '5 s', '10 s', '15 s', '20 s'])
  })

  test('an empty timeline draws nothing', () => {
    expect(timelineChart([])).toBe('')
  })
})

describe('chart scales', () => {
  test('round numbers and ticks', () => {
    expect([0.3, 1, 3, 7, 12, 180, 999].map(niceCeil)).toEqual([0.5, 1, 5, 10, 20, 200, 1000])
    expect(niceTicks(200, 2)).toEqual([0, 100, 200])
    expect(niceTicks(5, 2)).toEqual([0, 5])
    expect([3, 2.5, 0.25, 12_000, 1_250_000].map(formatValue)).toEqual(['3', '2.5', '0.25', '12k', '1.25M'])
  })
})
