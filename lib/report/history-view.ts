// A test ID's history at a glance: one coloured dot per recent run, a duration sparkline, and its
// flake rate. Pure SVG/HTML strings.
import { linearScale } from './chart-scale.js'
import { formatDuration } from './duration.js'
import { escapeHtml } from './escape.js'
import { failureRate, flakeRate, type TestRun } from './history.js'

const DOT = 10
/** Fewer runs than this say too little to call a test flaky or stable. */
const MIN_RUNS_TO_JUDGE = 3
const SPARK_WIDTH = 120
const SPARK_HEIGHT = 22

/** One dot per run, oldest left; hover names the run. An undecided pass has its own colour (over flaky's: it says less). */
export function historyDots(runs: readonly TestRun[]): string {
  if (runs.length === 0) return '<span class="muted">no history</span>'
  const dots = runs.map(
    (run, i) =>
      `<g><title>${escapeHtml(`${run.runId} (${run.at.slice(0, 16).replace('T', ' ')}): ${run.status}${run.flaky ? ' on a retry (flaky)' : ''}${run.undecided ? ' with an undecided claim' : ''}, ${formatDuration(run.durationMs)}`)}</title>` +
      `<circle class="dot ${run.undecided ? 'undecided' : run.flaky ? 'flaky' : run.status}" cx="${i * DOT + DOT / 2}" cy="${DOT / 2}" r="${DOT / 2 - 1}"/></g>`,
  )
  return `<svg class="history-dots" width="${runs.length * DOT}" height="${DOT}" viewBox="0 0 ${runs.length * DOT} ${DOT}" role="img" aria-label="last ${runs.length} runs">${dots.join('')}</svg>`
}

/** The durations of the runs as a small line, failed runs marked; empty with fewer than two runs. */
export function durationSparkline(runs: readonly TestRun[]): string {
  if (runs.length < 2) return ''
  const durations = runs.map((r) => r.durationMs)
  const x = linearScale(0, runs.length - 1, 2, SPARK_WIDTH - 2)
  const y = linearScale(Math.min(...durations), Math.max(...durations), SPARK_HEIGHT - 3, 3)
  const points = runs.map((run, i) => `${x(i).toFixed(1)},${y(run.durationMs).toFixed(1)}`).join(' ')
  const failed = runs.flatMap((run, i) => (run.status === 'failed' ? [`<circle class="dot failed" cx="${x(i).toFixed(1)}" cy="${y(run.durationMs).toFixed(1)}" r="2"/>`] : []))
  const range = `${formatDuration(Math.min(...durations))} – ${formatDuration(Math.max(...durations))}`
  return (
    `<svg class="sparkline" width="${SPARK_WIDTH}" height="${SPARK_HEIGHT}" viewBox="0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}" role="img" aria-label="duration trend ${escapeHtml(range)}">` +
    `<title>duration over the last ${runs.length} runs: ${escapeHtml(range)}</title>` +
    `<polyline points="${points}" fill="none"/>${failed.join('')}</svg>`
  )
}

/** "flaky 25%" / "stable" / "always failing" (from MIN_RUNS_TO_JUDGE runs on), with the arithmetic on hover. */
export function flakeBadge(runs: readonly TestRun[]): string {
  const statuses = runs.map((r) => r.status)
  if (statuses.length < MIN_RUNS_TO_JUDGE) return `<span class="muted" title="too few runs to judge">${statuses.length} run${statuses.length === 1 ? '' : 's'}</span>`
  const flake = flakeRate(statuses)
  const failures = failureRate(statuses)
  const tip = `outcome changed in ${Math.round(flake * (statuses.length - 1))} of ${statuses.length - 1} consecutive runs; failed ${Math.round(failures * statuses.length)} of ${statuses.length}`
  // A pass that needed a retry is a flake even where every outcome reads "passed".
  const retried = runs.filter((r) => r.flaky).length
  const retriedTip = retried ? `; passed only on a retry in ${retried} of ${statuses.length}` : ''
  const [cls, text] = flake > 0 ? ['flaky', `flaky ${percent(flake)}`] : retried ? ['flaky', `flaky (${retried} retried)`] : failures === 1 ? ['failing', 'always failing'] : ['stable', 'stable']
  return `<span class="badge ${cls}" title="${escapeHtml(tip + retriedTip)}">${text}</span>`
}

function percent(value: number): string {
  return `${Math.round(value * 100)}%`
}
