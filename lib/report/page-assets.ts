// The report page's inline stylesheet and script (the page loads nothing from anywhere).

export const PAGE_STYLE = `
:root {
  --bg: #f7f8fa; --panel: #fff; --text: #1f2933; --muted: #6b7785; --line: #e3e7ec; --code-bg: #f3f5f8;
  --pass: #15803d; --pass-bg: #dcfce7; --fail: #b91c1c; --fail-bg: #fee2e2; --skip: #6b7280; --skip-bg: #eef0f3;
  --flaky: #b45309; --flaky-bg: #fef3c7; --undecided: #6d28d9; --undecided-bg: #ede9fe; --accent: #2563eb;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1419; --panel: #161c23; --text: #dbe2ea; --muted: #8b98a8; --line: #27313c; --code-bg: #0b1016;
    --pass: #4ade80; --pass-bg: #12301f; --fail: #f87171; --fail-bg: #3a1717; --skip: #9ca3af; --skip-bg: #252b33;
    --flaky: #fbbf24; --flaky-bg: #3a2c0c; --undecided: #c4b5fd; --undecided-bg: #2a1a4a; --accent: #60a5fa;
  }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 24px clamp(12px, 3vw, 40px) 48px; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
h1 { font-size: 24px; margin: 0 0 16px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h2 { font-size: 19px; margin: 0 0 12px; } h2 small { font-size: 13px; font-weight: 400; color: var(--muted); margin-left: 8px; }
h4 { margin: 0 0 8px; font-size: 15px; } h5 { margin: 12px 0 4px; font-size: 13px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.run-id { font-weight: 400; color: var(--muted); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 18px; }
.muted { color: var(--muted); }
header.summary, nav.overview, section.recipe, section.conformance { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin-bottom: 20px; }
body.outcome-failed header.summary { border-top: 4px solid var(--fail); }
body.outcome-passed header.summary { border-top: 4px solid var(--pass); }
body.outcome-interrupted header.summary { border-top: 4px solid var(--flaky); }
.summary-grid { display: flex; gap: 24px; flex-wrap: wrap; align-items: stretch; justify-content: space-between; }
dl.facts { display: grid; grid-template-columns: repeat(3, minmax(160px, auto)); gap: 10px 28px; margin: 0; }
dl.facts dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
dl.facts dd { margin: 0; font-weight: 600; }
.counts { display: flex; gap: 12px; }
.count { min-width: 92px; border-radius: 8px; padding: 8px 14px; display: flex; flex-direction: column; align-items: center; }
.count .n { font-size: 30px; font-weight: 700; line-height: 1.1; }
.count.passed { background: var(--pass-bg); color: var(--pass); } .count.failed { background: var(--fail-bg); color: var(--fail); }
.count.skipped { background: var(--skip-bg); color: var(--skip); }
.pill { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 9px; border-radius: 999px; text-transform: uppercase; letter-spacing: .04em; }
.pill.passed { background: var(--pass-bg); color: var(--pass); } .pill.flaky { background: var(--flaky-bg); color: var(--flaky); } .pill.undecided { background: var(--undecided-bg); color: var(--undecided); } .pill.failed { background: var(--fail-bg); color: var(--fail); }
.pill.skipped, .pill.pending { background: var(--skip-bg); color: var(--skip); } .pill.interrupted { background: var(--flaky-bg); color: var(--flaky); }
.badge { font-size: 12px; padding: 1px 8px; border-radius: 6px; white-space: nowrap; }
.badge.flaky { background: var(--flaky-bg); color: var(--flaky); } .badge.failing { background: var(--fail-bg); color: var(--fail); }
.badge.stable { background: var(--pass-bg); color: var(--pass); }
.toolbar { display: flex; align-items: center; gap: 14px; margin-bottom: 8px; flex-wrap: wrap; } .toolbar h2 { margin: 0 auto 0 0; }
button { font: inherit; font-size: 13px; padding: 3px 10px; border-radius: 6px; border: 1px solid var(--line); background: var(--panel); color: var(--text); cursor: pointer; }
button:hover { border-color: var(--accent); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.overview-table tr.recipe-row th { padding-top: 14px; font-size: 14px; text-transform: none; letter-spacing: 0; color: var(--text); }
.test-id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-weight: 700; }
body.only-failed .test-row:not(.failed), body.only-failed details.test:not(.failed) { display: none; }
details.test { border: 1px solid var(--line); border-left: 4px solid var(--skip); border-radius: 8px; margin: 10px 0; background: var(--panel); }
details.test.passed { border-left-color: var(--pass); } details.test.failed { border-left-color: var(--fail); }
details.test > summary { cursor: pointer; padding: 10px 14px; display: flex; gap: 12px; align-items: center; list-style: none; }
details.test > summary::-webkit-details-marker { display: none; }
details.test > summary::before { content: "▸"; color: var(--muted); transition: transform .15s; }
details.test[open] > summary::before { transform: rotate(90deg); }
details.test > summary .test-name { flex: 1; } details.test > summary .duration { color: var(--muted); font-variant-numeric: tabular-nums; }
.test-body { padding: 4px 18px 16px; border-top: 1px solid var(--line); }
.history-row { display: flex; align-items: center; gap: 14px; margin: 10px 0; font-size: 13px; }
.label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; margin-right: 4px; }
.dot.passed { fill: var(--pass); } .dot.flaky { fill: var(--flaky); } .dot.undecided { fill: var(--undecided); } .dot.failed { fill: var(--fail); }
.sparkline polyline { stroke: var(--accent); stroke-width: 1.5; }
table.steps { margin: 12px 0; font-size: 14px; } table.steps td.gantt, table.steps th.gantt { width: 32%; }
tr.failed td { color: var(--fail); }
.gantt-bar { display: block; height: 10px; border-radius: 3px; background: var(--pass); opacity: .75; } .gantt-bar.failed { background: var(--fail); }
.step-error { font-size: 12px; color: var(--fail); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
section.failure { background: var(--fail-bg); border-radius: 8px; padding: 12px 14px; margin: 12px 0; }
section.failure h4 { color: var(--fail); }
section.undecided { background: var(--undecided-bg); border-radius: 8px; padding: 10px 14px; margin: 12px 0; }
section.undecided h4 { color: var(--undecided); margin: 0 0 4px; }
.error + .error { margin-top: 12px; border-top: 1px dashed var(--fail); padding-top: 8px; }
.error-headline { margin: 0 0 6px; font-weight: 600; white-space: pre-wrap; word-break: break-word; }
.error-name { color: var(--fail); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.awaited { margin: 4px 0 8px; }
pre.text { background: var(--code-bg); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin: 4px 0;
  font: 12.5px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-word; max-height: 480px; overflow: auto; color: var(--text); }
pre.diff .expected { color: var(--pass); } pre.diff .received { color: var(--fail); }
details.sub { margin: 6px 0; } details.sub > summary { cursor: pointer; font-size: 13px; color: var(--muted); font-weight: 600; }
figure.chart { margin: 14px 0 6px; } figure.chart figcaption { font-size: 12px; color: var(--muted); }
table.entries { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; } table.entries td { padding: 2px 8px; }
svg.timeline-chart { display: block; background: var(--panel); font: 11px system-ui, sans-serif; }
svg.timeline-chart .lane-label { fill: var(--text); font-size: 11.5px; } svg.timeline-chart .lane-label.minor { fill: var(--muted); font-size: 11px; }
svg.timeline-chart .series-name { font-weight: 700; } svg.timeline-chart .lane-note { fill: var(--muted); font-size: 10.5px; }
svg.timeline-chart .tick, svg.timeline-chart .bar-label { fill: var(--muted); font-size: 10.5px; }
svg.timeline-chart .grid { stroke: var(--line); stroke-width: 1; } svg.timeline-chart .axis { stroke: var(--muted); stroke-width: 1; }
svg.timeline-chart .step-boundary { stroke: var(--muted); stroke-dasharray: 3 4; opacity: .45; }
svg.timeline-chart .step-bar.passed { fill: var(--pass); opacity: .8; } svg.timeline-chart .step-bar.failed { fill: var(--fail); }
svg.timeline-chart .interval-bar { fill: #7c3aed; opacity: .75; }
svg.timeline-chart .series-line { stroke-width: 2; stroke-linejoin: round; }
svg.timeline-chart .marker.event.normal { fill: #64748b; } svg.timeline-chart .marker.event.warning { fill: var(--fail); }
svg.timeline-chart .marker.watch { fill: #64748b; opacity: .7; } svg.timeline-chart .marker.watch.added { fill: var(--pass); }
svg.timeline-chart .marker.watch.deleted { fill: var(--fail); } svg.timeline-chart .marker.watch.applied { fill: var(--accent); opacity: 1; }
svg.timeline-chart .marker.note { fill: var(--flaky); }
svg.timeline-chart g:hover > rect, svg.timeline-chart g:hover > circle, svg.timeline-chart .marker:hover { opacity: 1; stroke: var(--text); stroke-width: 1; }
section.skips h3 { font-size: 16px; margin: 18px 0 8px; } section.skips h3 small { font-size: 13px; font-weight: 400; margin-left: 8px; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--code-bg); padding: 0 4px; border-radius: 4px; }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 24px; }
@media print { details.test { break-inside: avoid; } }
`

export const PAGE_SCRIPT = `
document.getElementById('only-failed')?.addEventListener('change', (e) => document.body.classList.toggle('only-failed', e.target.checked));
for (const button of document.querySelectorAll('[data-expand]')) {
  button.addEventListener('click', () => { for (const d of document.querySelectorAll('details.test')) d.open = button.dataset.expand === 'open'; });
}
// Following a link to a test opens it.
function openTarget() { const target = location.hash && document.getElementById(location.hash.slice(1)); if (target && target.tagName === 'DETAILS') target.open = true; }
window.addEventListener('hashchange', openTarget); openTarget();
`
