// The report's conformance section: what was selected (label, areas or focus, parallelism), one
// row per spec with its status, duration and history, each failed spec's failure text and log,
// and every entry of the skip file with its reason.
import { CONFORMANCE_LABEL, SUITE_AREA, type ConformanceReport, type ConformanceSpec } from './conformance.js'
import { formatDuration } from './duration.js'
import { anchorId, escapeHtml, stripAnsi } from './escape.js'
import { durationSparkline, flakeBadge, historyDots } from './history-view.js'
import type { TestRun } from './history.js'
import { statusPill } from './render-test.js'

export const CONFORMANCE_ANCHOR = 'conformance'
export const SKIPS_ANCHOR = 'conformance-skips'

export function specAnchor(name: string): string {
  return anchorId('spec', name)
}

export function renderConformance(report: ConformanceReport, runsOf: (key: string) => readonly TestRun[]): string {
  const { selection } = report
  const count = (status: ConformanceSpec['status']) => report.specs.filter((s) => s.status === status).length
  const facts: Array<[string, string]> = [
    ['suite', `upstream e2e ${escapeHtml(report.suiteVersion)}`],
    ['selection', `label ${CONFORMANCE_LABEL}, ${selection.focus ? `focus <code>${escapeHtml(selection.focus)}</code>` : `areas ${escapeHtml(selection.areas.map((a) => a.name).join(', '))}`}`],
    ['ginkgo processes', String(report.parallel)],
    ['wall time', formatDuration(report.durationMs)],
    ...(report.serial ? ([['serial phase', `${report.serial.specs} [Serial] specs alone, ${formatDuration(report.serial.durationMs)}`]] as Array<[string, string]>) : []),
    ['specs', `${report.specs.length}: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`],
    ['files', [`<a href="${escapeHtml(report.files.junit)}">junit_01.xml</a>`, `<a href="${escapeHtml(report.files.log)}">e2e.log</a>`, ...(report.files.product ? [`<a href="${escapeHtml(report.files.product)}">PRODUCT.yaml</a>`] : [])].join(' · ')],
  ]
  const failed = report.specs.filter((s) => s.status === 'failed')
  return [
    `<section class="conformance" id="${CONFORMANCE_ANCHOR}">`,
    '<h2>Kubernetes conformance <small>upstream e2e specs against this cluster</small></h2>',
    `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>`,
    renderSpecTable(report.specs, runsOf),
    ...failed.map(renderFailedSpec),
    renderSkips(report),
    '</section>',
  ].join('\n')
}

function renderSpecTable(specs: readonly ConformanceSpec[], runsOf: (key: string) => readonly TestRun[]): string {
  if (specs.length === 0) return '<p class="muted">no spec of the selection was reported (see the log)</p>'
  const areas = [...new Set(specs.map((s) => s.area))]
  const rows = areas.flatMap((area) => {
    const inArea = specs.filter((s) => s.area === area)
    const failed = inArea.filter((s) => s.status === 'failed').length
    return [
      `<tr class="recipe-row"><th colspan="6">${escapeHtml(area === SUITE_AREA ? 'suite set-up and tear-down' : area)} <span class="muted">${inArea.length} spec${inArea.length === 1 ? '' : 's'}${failed ? `, ${failed} failed` : ''}</span></th></tr>`,
      ...inArea.map((spec) => {
        const runs = runsOf(spec.name)
        const name = spec.status === 'failed' ? `<a href="#${specAnchor(spec.name)}">${escapeHtml(spec.name)}</a>` : escapeHtml(spec.name)
        const why = spec.skipReason ? `<div class="muted">${escapeHtml(spec.skipReason)}</div>` : ''
        return `<tr class="test-row ${spec.status}"><td>${statusPill(spec.status)}</td><td>${name}${why}</td><td class="num">${formatDuration(spec.durationMs)}</td><td>${historyDots(runs)}</td><td>${durationSparkline(runs)}</td><td>${flakeBadge(runs)}</td></tr>`
      }),
    ]
  })
  return `<table class="overview-table conformance-specs"><thead><tr><th>status</th><th>spec</th><th>duration</th><th>last runs</th><th>duration trend</th><th>flakiness</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`
}

function renderFailedSpec(spec: ConformanceSpec): string {
  return [
    `<details class="test failed" id="${specAnchor(spec.name)}" open>`,
    `<summary>${statusPill('failed')}<span class="test-name">${escapeHtml(spec.name)}</span><span class="duration">${formatDuration(spec.durationMs)}</span></summary>`,
    '<div class="test-body">',
    `<section class="failure"><h4>Why it failed</h4><pre class="text">${escapeHtml(stripAnsi(spec.failure ?? ''))}</pre>`,
    spec.log ? `<details class="sub"><summary>the spec's log (its end)</summary><pre class="text logs">${escapeHtml(stripAnsi(spec.log))}</pre></details>` : '',
    '</section>',
    '</div>',
    '</details>',
  ].join('\n')
}

function renderSkips(report: ConformanceReport): string {
  const { skip } = report.selection
  const ran = new Set(report.specs.map((s) => s.name))
  const rows = skip.map((entry) => `<tr class="test-row skipped"><td>${escapeHtml(entry.test)}${ran.has(entry.test) ? '' : ' <span class="muted">(not in this selection)</span>'}</td><td>${escapeHtml(entry.reason)}</td></tr>`)
  return [
    `<section class="skips" id="${SKIPS_ANCHOR}">`,
    `<h3>Skipped on this cluster, with reasons <small class="muted">the skip file: ${skip.length} entr${skip.length === 1 ? 'y' : 'ies'}</small></h3>`,
    skip.length ? `<table class="skip-list"><thead><tr><th>spec</th><th>why it cannot run here</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>` : '<p class="muted">none</p>',
    '</section>',
  ].join('\n')
}
