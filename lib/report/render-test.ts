// One test of the report: a collapsible block with its status, recent history, named steps with
// durations, diagnostics when it failed, its timeline chart and the raw timeline entries.
import type { TimelineEntry } from '../record/timeline.js'
import { formatDuration } from './duration.js'
import { anchorId, escapeHtml } from './escape.js'
import { durationSparkline, flakeBadge, historyDots } from './history-view.js'
import type { TestRun } from './history.js'
import { isUndecided, testTitle, timelineStart, undecidedClaims, type ForensicsReport, type StepReport, type TestReport } from './model.js'
import { renderErrors, renderEvidence } from './render-failure.js'
import { timelineChart } from './timeline-chart.js'

/** Timeline rows listed under the chart; the chart itself shows everything. */
const MAX_LISTED_ENTRIES = 400

export function renderTest(test: TestReport, runs: readonly TestRun[]): string {
  const failed = test.status === 'failed'
  const undecided = isUndecided(test)
  const status = undecided ? 'undecided' : test.flaky ? 'flaky' : test.status
  return [
    `<details class="test ${status}" id="${testAnchor(test.key)}"${failed || test.flaky || undecided ? ' open' : ''}>`,
    `<summary>${verdictPills(test)}${test.id ? `<span class="test-id">${escapeHtml(test.id)}</span>` : ''}<span class="test-name">${escapeHtml(testTitle(test))}</span><span class="duration">${formatDuration(test.durationMs)}</span></summary>`,
    '<div class="test-body">',
    `<div class="history-row"><span class="label">last runs</span>${historyDots(runs)}${durationSparkline(runs)}${flakeBadge(runs)}</div>`,
    renderUndecided(test.timeline),
    renderAttempts(test),
    failed ? `<section class="failure"><h4>Why it failed</h4>${renderErrors(test.errors, { withEvidence: Boolean(test.evidence) })}${test.evidence ? renderEvidence(test.evidence) : ''}${test.forensics ? renderForensics(test.forensics) : ''}</section>` : '',
    renderSteps(test.steps, test.durationMs),
    renderChart(test),
    renderEntries(test.timeline),
    '</div>',
    '</details>',
  ].join('\n')
}

export function testAnchor(id: string): string {
  return anchorId('test', id)
}

/** A test's verdict as pills: its status, or for a pass that is none plain, undecided and/or flaky. */
export function verdictPills(test: Pick<TestReport, 'status' | 'timeline' | 'flaky'>): string {
  const marks = [isUndecided(test) ? 'undecided' : '', test.status === 'passed' && test.flaky ? 'flaky' : ''].filter(Boolean)
  return (marks.length ? marks : [test.status]).map(statusPill).join('')
}

export function statusPill(status: string): string {
  return `<span class="pill ${escapeHtml(status)}">${escapeHtml(status)}</span>`
}

function renderSteps(steps: readonly StepReport[], testDurationMs: number): string {
  if (steps.length === 0) return '<p class="muted">no named steps recorded</p>'
  const total = Math.max(testDurationMs, ...steps.map((s) => s.startMs + s.durationMs), 1)
  const rows = steps.map((step, i) => {
    const left = (step.startMs / total) * 100
    const width = Math.max((step.durationMs / total) * 100, 0.5)
    return [
      `<tr class="${step.status}">`,
      `<td class="num">${i + 1}</td>`,
      `<td>${escapeHtml(step.name)}${step.error ? `<div class="step-error">${escapeHtml(step.error.split('\n')[0])}</div>` : ''}</td>`,
      `<td>${statusPill(step.status)}</td>`,
      `<td class="num">${formatDuration(step.durationMs)}</td>`,
      `<td class="gantt"><span class="gantt-bar ${step.status}" style="margin-left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></span></td>`,
      '</tr>',
    ].join('')
  })
  return `<table class="steps"><thead><tr><th>#</th><th>step</th><th>status</th><th>duration</th><th class="gantt">when</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`
}

function renderChart(test: TestReport): string {
  const svg = timelineChart(test.timeline, { label: `timeline of ${test.id || test.name}` })
  if (!svg) return '<p class="muted">no timeline recorded</p>'
  return `<figure class="chart">${svg}<figcaption>Time since the test's first recorded entry. Dashed lines: step boundaries. Hover bars, points and markers for details.</figcaption></figure>`
}

function renderEntries(timeline: readonly TimelineEntry[]): string {
  if (timeline.length === 0) return ''
  const origin = timelineStart(timeline)
  const rows = timeline.slice(0, MAX_LISTED_ENTRIES).map((e) => `<tr class="entry ${e.type}"><td class="num">+${((e.at - origin) / 1000).toFixed(1)} s</td><td>${e.type}</td><td>${escapeHtml(describe(e))}</td></tr>`)
  const more = timeline.length > MAX_LISTED_ENTRIES ? `<p class="muted">${timeline.length - MAX_LISTED_ENTRIES} more entries not listed (all are in the chart and in report.json)</p>` : ''
  return `<details class="sub"><summary>timeline entries (${timeline.length})</summary><table class="entries">${rows.join('\n')}</table>${more}</details>`
}

const DESCRIBE: { [T in TimelineEntry['type']]: (e: Extract<TimelineEntry, { type: T }>) => string } = {
  step: (e) => `${e.name}: ${e.status} after ${formatDuration(e.at - e.startedAt)}${e.error ? ` (${e.error.split('\n')[0]})` : ''}`,
  watch: (e) => `${e.event} ${e.kind}/${e.name}${e.detail ? ` ${e.detail}` : ''}`,
  sample: (e) => `${e.series} = ${e.value}`,
  event: (e) => `${e.eventType} ${e.reason} ${e.object}: ${e.message}`,
  interval: (e) => `${e.series} ${e.label}: ${formatDuration(e.endedAt - e.startedAt)}`,
  note: (e) => e.text,
  undecided: (e) => `undecided: ${e.claim} (${e.why})`,
}

/** The files collected when it failed, linked (relative to the run folder), with the kubelet's lines about its namespace. */
function renderForensics(forensics: ForensicsReport): string {
  const links = forensics.files.map((file) => `<li><a href="${escapeHtml(`${forensics.dir}/${file}`)}">${escapeHtml(file)}</a></li>`)
  const notes = forensics.notes.map((note) => `<li>${escapeHtml(note)}</li>`)
  return [
    `<section class="forensics"><h5>Collected on failure <span class="muted">(${escapeHtml(forensics.dir)}, ${formatBytes(forensics.bytes)} in ${formatDuration(forensics.ms)})</span></h5>`,
    `<ul>${links.join('')}</ul>`,
    notes.length ? `<ul class="muted">${notes.join('')}</ul>` : '',
    forensics.kubeletExcerpt ? `<details class="sub" open><summary>the kubelet's last lines about this namespace</summary><pre>${escapeHtml(forensics.kubeletExcerpt)}</pre></details>` : '',
    '</section>',
  ].join('')
}

/** "1.2 MB", "840 kB" */
function formatBytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`
}

/** A test run more than once: how many attempts, and why the earlier ones failed. */
function renderAttempts(test: TestReport): string {
  if (!test.attempts || test.attempts < 2) return ''
  const outcome = test.flaky ? `passed on attempt ${test.attempts} of ${test.attempts}: flaky, not a plain pass` : `failed all ${test.attempts} attempts`
  const errors = test.flaky ? `<h5>the earlier attempts failed with</h5>${renderErrors(test.errors, { withEvidence: false })}` : ''
  return `<section class="attempts"><h4>Attempts</h4><p>${escapeHtml(outcome)}</p>${errors}</section>`
}

function renderUndecided(timeline: readonly TimelineEntry[]): string {
  const claims = undecidedClaims(timeline)
  if (claims.length === 0) return ''
  const items = claims.map((c) => `<li><strong>${escapeHtml(c.claim)}</strong>: ${escapeHtml(c.why)}</li>`)
  return `<section class="undecided"><h4>Not decided by what was observed</h4><ul>${items.join('')}</ul></section>`
}

function describe(entry: TimelineEntry): string {
  return (DESCRIBE[entry.type] as (e: TimelineEntry) => string)(entry)
}
