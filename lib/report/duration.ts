// Durations and instants as people read them in a report.

/** 850 ms, 12.3 s, 4 min 05 s, 1 h 02 min. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const totalSeconds = Math.round(ms / 1000)
  const [h, m, s] = [Math.floor(totalSeconds / 3600), Math.floor(totalSeconds / 60) % 60, totalSeconds % 60]
  return h > 0 ? `${h} h ${pad(m)} min` : `${m} min ${pad(s)} s`
}

/** 2025-11-25 11:42:07 UTC. */
export function formatInstant(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** Seconds from an origin, for chart axes: "0 s", "90 s", "4:30". */
export function formatOffset(ms: number): string {
  const seconds = Math.round(ms / 1000)
  return seconds < 120 ? `${seconds} s` : `${Math.floor(seconds / 60)}:${pad(seconds % 60)}`
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}
