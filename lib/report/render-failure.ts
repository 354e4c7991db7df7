// A failed test's diagnostics: what was asserted (message and diff), what was awaited (a wait's
// condition), and the evidence collected before the namespace went (Events, pod logs, objects).
// All of it is cluster or test output: escaped, shown as preformatted text.
import type { Evidence } from '../record/evidence.js'
import { escapeHtml, stripAnsi } from './escape.js'
import type { ErrorReport } from './model.js'

const LAST_OBSERVED = 'last observed: '

export interface ErrorsOptions {
  /** The test's evidence is shown beside: the full message (a wait timeout repeats it) starts folded. */
  withEvidence?: boolean
}

export function renderErrors(errors: readonly ErrorReport[], options: ErrorsOptions = {}): string {
  return errors.map((error) => renderError(error, options)).join('\n')
}

function renderError(error: ErrorReport, options: ErrorsOptions): string {
  const [headline = '', ...rest] = stripAnsi(error.message).split('\n')
  // A wait timeout's own summary of what it saw last.
  const lastObserved = rest.find((line) => line.startsWith(LAST_OBSERVED))?.slice(LAST_OBSERVED.length)
  return [
    '<div class="error">',
    `<p class="error-headline"><span class="error-name">${escapeHtml(error.name ?? 'Error')}</span> ${escapeHtml(headline)}</p>`,
    error.awaited ? `<p class="awaited"><span class="label">awaited</span> ${escapeHtml(error.awaited)}</p>` : '',
    lastObserved ? `<p class="awaited"><span class="label">last observed</span> ${escapeHtml(lastObserved)}</p>` : '',
    error.diff ? `<div class="block"><h5>diff</h5>${renderDiff(error.diff)}</div>` : '',
    rest.some((line) => line.trim()) ? collapsible('full message', `<pre class="text">${escapeHtml(rest.join('\n'))}</pre>`, !error.diff && !options.withEvidence) : '',
    error.stack ? collapsible('stack', `<pre class="text stack">${escapeHtml(stripAnsi(error.stack))}</pre>`) : '',
    '</div>',
  ].join('\n')
}

/** vitest's diff: "- Expected" lines and "+ Received" lines coloured as vitest does. */
export function renderDiff(diff: string): string {
  const lines = stripAnsi(diff)
    .split('\n')
    .map((line) => {
      const cls = line.startsWith('-') ? 'expected' : line.startsWith('+') ? 'received' : ''
      return cls ? `<span class="${cls}">${escapeHtml(line)}</span>` : escapeHtml(line)
    })
  return `<pre class="text diff">${lines.join('\n')}</pre>`
}

export function renderEvidence(evidence: Evidence): string {
  return [
    '<div class="evidence">',
    '<h5>evidence collected before the namespace was deleted</h5>',
    collapsible('Events', `<pre class="text">${escapeHtml(evidence.events)}</pre>`, true),
    collapsible('logs of pods that were not ready', `<pre class="text logs">${escapeHtml(evidence.podLogs)}</pre>`, true),
    collapsible('objects', `<pre class="text">${escapeHtml(evidence.objects)}</pre>`),
    '</div>',
  ].join('\n')
}

function collapsible(title: string, body: string, open = false): string {
  return `<details class="sub"${open ? ' open' : ''}><summary>${escapeHtml(title)}</summary>${body}</details>`
}
