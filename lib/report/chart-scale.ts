// Scales and axis ticks for the report's inline SVG charts.

/** Maps a domain [d0, d1] linearly onto a range [r0, r1] (a flat domain maps to the range's start). */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (value: number) => number {
  const span = d1 - d0
  return (value) => (span === 0 ? r0 : r0 + ((value - d0) / span) * (r1 - r0))
}

/** The smallest "round" number (1, 2 or 5 times a power of ten) at or above value. */
export function niceCeil(value: number): number {
  if (value <= 0) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  return ([1, 2, 5, 10].find((m) => m * power >= value - 1e-9) ?? 10) * power
}

/** Round tick positions from 0 to max, about `count` of them (max itself need not be a tick). */
export function niceTicks(max: number, count: number): number[] {
  const step = niceCeil(max / Math.max(count, 1))
  const ticks: number[] = []
  for (let t = 0; t <= max + 1e-9; t += step) ticks.push(Number(t.toPrecision(12)))
  return ticks
}

/** Numbers as an axis shows them: 3, 2.5, 0.25, 12k, 1.2M. */
export function formatValue(value: number): string {
  const abs = Math.abs(value)
  if (abs >= 1e6) return `${trim(value / 1e6)}M`
  if (abs >= 1e4) return `${trim(value / 1e3)}k`
  return trim(value)
}

function trim(value: number): string {
  return String(Number(value.toFixed(Math.abs(value) >= 100 ? 0 : 2)))
}
