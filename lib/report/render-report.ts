// The run report as one self-contained HTML page (inline CSS, JS and SVG; no network): the run's
// summary, an overview of every test ID with its history, then each recipe with its tests.
import { formatDuration, formatInstant } from './duration.js'
import { anchorId, escapeHtml } from './escape.js'
import { durationSparkline, flakeBadge, historyDots } from './history-view.js'
import { DEFAULT_HISTORY_RUNS, testRuns, type HistoryRecord } from './history.js'
import { passMarks, runCounts, testTitle, type FileReport, type PassMarks, type RunReport } from './model.js'
import { PAGE_SCRIPT, PAGE_STYLE } from './page-assets.js'
import { renderConformance } from './render-conformance.js'
import { renderErrors } from './render-failure.js'
import { renderTest, statusPill, testAnchor, verdictPills } from './render-test.js'

export interface RenderOptions {
  /** Past runs, oldest first, including this one when it was recorded. */
  history?: readonly HistoryRecord[]
  /** Runs shown per ID; default DEFAULT_HISTORY_RUNS. */
  historyRuns?: number
}

export function renderReport(run: RunReport, options: RenderOptions = {}): string {
  const history = options.history ?? []
  const runsOf = (id: string) => testRuns(history, id, options.historyRuns ?? DEFAULT_HISTORY_RUNS)
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No network at all: everything this page needs is inline.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(`kube-scenarios ${run.runId}: ${run.outcome}`)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    `<body class="outcome-${run.outcome}">`,
    renderSummary(run),
    // A conformance run has no scenario files: its section is the whole page.
    run.files.length || !run.conformance ? renderOverview(run.files, runsOf) : '',
    '<main>',
    run.conformance ? renderConformance(run.conformance, runsOf) : '',
    ...run.files.map((file) => renderFile(file, runsOf)),
    '</main>',
    `<footer>Generated ${escapeHtml(formatInstant(run.endedAt))} by kube-scenarios. History: ${history.length} recorded run(s).</footer>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body>',
    '</html>',
  ].join('\n')
}

function renderSummary(run: RunReport): string {
  const counts = runCounts(run)
  const marks = passMarks(run.files)
  const nodeCount = (names: readonly string[] | undefined) => (names ? `<span title="${escapeHtml(names.join(', '))}">${names.length}</span>` : '<span class="muted">unknown</span>')
  const nodes = run.shards ? run.shards.map((s) => nodeCount(s.nodes)).join(' + ') : nodeCount(run.nodes)
  const facts: Array<[string, string]> = [
    ['provider', escapeHtml(run.provider ?? 'unknown')],
    ['Kubernetes', escapeHtml(run.kubernetesVersion ?? 'unknown')],
    ['nodes', nodes],
    ['started', escapeHtml(formatInstant(run.startedAt))],
    ['ended', escapeHtml(formatInstant(run.endedAt))],
    ['wall time', escapeHtml(formatDuration(run.endedAt - run.startedAt))],
    ...(run.shard ? [['shard', `${run.shard.index} of ${run.shard.count} <span class="muted">(merge the shards' folders with kube-scenarios report --merge)</span>`] as [string, string]] : []),
    ...(run.shards
      ? [['shards', run.shards.map((s) => `${s.index}/${s.count} ${escapeHtml(s.runId)} ${statusPill(s.outcome)} ${escapeHtml(formatDuration(s.endedAt - s.startedAt))}`).join('<br>')] as [string, string]]
      : []),
  ]
  return [
    '<header class="summary" id="summary">',
    `<h1>kube-scenarios <span class="run-id">run ${escapeHtml(run.runId)}</span> ${statusPill(run.outcome)}</h1>`,
    '<div class="summary-grid">',
    `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>`,
    `<div class="counts">${(['passed', 'failed', 'skipped'] as const).map((s) => `<div class="count ${s}"><span class="n">${counts[s]}</span><span>${s}${s === 'passed' ? markPills(marks) : ''}</span></div>`).join('')}</div>`,
    '</div>',
    run.unhandledErrors.length ? `<section class="failure"><h4>Errors outside any test</h4>${renderErrors(run.unhandledErrors)}</section>` : '',
    '</header>',
  ].join('\n')
}

function renderOverview(files: readonly FileReport[], runsOf: (id: string) => ReturnType<typeof testRuns>): string {
  const rows = files.flatMap((file) => [
    `<tr class="recipe-row"><th colspan="7"><a href="#${recipeAnchor(file.recipe)}">${escapeHtml(file.recipe)}</a> <span class="muted">${escapeHtml(file.file)}</span>${file.errors.length ? ` ${statusPill('failed')} <span class="muted">file error</span>` : ''}</th></tr>`,
    ...file.tests.map((test) => {
      const runs = runsOf(test.key)
      return [
        `<tr class="test-row ${test.status}">`,
        `<td>${verdictPills(test)}</td>`,
        `<td class="test-id"><a href="#${testAnchor(test.key)}">${escapeHtml(test.id || '–')}</a></td>`,
        `<td>${escapeHtml(testTitle(test))}</td>`,
        `<td class="num">${formatDuration(test.durationMs)}</td>`,
        `<td>${historyDots(runs)}</td><td>${durationSparkline(runs)}</td><td>${flakeBadge(runs)}</td>`,
        '</tr>',
      ].join('')
    }),
  ])
  return [
    '<nav class="overview">',
    '<div class="toolbar"><h2>Tests</h2>',
    '<label><input type="checkbox" id="only-failed"> only failed</label>',
    '<button type="button" data-expand="open">expand all</button><button type="button" data-expand="close">collapse all</button></div>',
    `<table class="overview-table"><thead><tr><th>status</th><th>ID</th><th>test</th><th>duration</th><th>last runs</th><th>duration trend</th><th>flakiness</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`,
    '</nav>',
  ].join('\n')
}

function renderFile(file: FileReport, runsOf: (id: string) => ReturnType<typeof testRuns>): string {
  const details = [escapeHtml(file.file), file.namespace ? `namespace ${escapeHtml(file.namespace)}` : '', formatDuration(file.durationMs)].filter(Boolean).join(' · ')
  return [
    `<section class="recipe" id="${recipeAnchor(file.recipe)}">`,
    `<h2>${escapeHtml(file.recipe)} <small>${details}</small></h2>`,
    file.errors.length ? `<section class="failure"><h4>The file itself failed</h4>${renderErrors(file.errors)}</section>` : '',
    ...file.tests.map((test) => renderTest(test, runsOf(test.key))),
    '</section>',
  ].join('\n')
}

/** The passed tests that are no plain pass, each mark its own pill with its count (as in the summary line). */
function markPills(marks: PassMarks): string {
  return (['flaky', 'undecided'] as const).map((mark) => (marks[mark] ? ` <span class="pill ${mark}">${marks[mark]} ${mark}</span>` : '')).join('')
}

function recipeAnchor(recipe: string): string {
  return anchorId('recipe', recipe)
}
