// Proof that a report renders: opens it from disk in headless Chromium (Debian's package, no
// downloaded browser, no network), takes a screenshot, and checks the rendered DOM for the run
// summary, every recipe, a timeline chart and, for each failed test, its diagnostics.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { anchorId } from './escape.js'
import type { RunReport } from './model.js'
import { CONFORMANCE_ANCHOR, SKIPS_ANCHOR, specAnchor } from './render-conformance.js'
import { REPORT_DATA_FILE } from './report-files.js'
import { testAnchor } from './render-test.js'
import { runSettings } from '../config/settings.js'

export interface BrowserCheckOptions {
  /** Where the PNG goes. */
  screenshot: string
  /** Viewport "width,height"; default 1280,2400. */
  windowSize?: string
  /** Chromium binary; default KUBE_SCENARIOS_CHROMIUM, else chromium on the usual paths. */
  chromium?: string
}

export interface BrowserCheck {
  screenshot: string
  /** The DOM after the page's script ran. */
  dom: string
  /** What the rendered page lacks (empty when it is complete). */
  missing: string[]
}

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser']

/** The Chromium binary to use, or an error that says how to get one. */
export function findChromium(): string {
  const found = [runSettings().chromium, ...CHROMIUM_CANDIDATES].find((candidate) => candidate && existsSync(candidate))
  if (!found) throw new Error(`no Chromium found (looked at ${CHROMIUM_CANDIDATES.join(', ')}; set KUBE_SCENARIOS_CHROMIUM): install Debian's package with "apt-get install -y chromium"`)
  return found
}

/** Renders report folder `dir` (index.html + report.json) in headless Chromium and checks it. */
export function checkReportInBrowser(dir: string, options: BrowserCheckOptions): BrowserCheck {
  const run = JSON.parse(readFileSync(path.join(dir, REPORT_DATA_FILE), 'utf8')) as RunReport
  const url = pathToFileURL(path.resolve(dir, 'index.html')).href
  const chromium = options.chromium ?? findChromium()
  const windowSize = options.windowSize ?? '1280,2400'
  headless(chromium, [`--window-size=${windowSize}`, '--hide-scrollbars', `--screenshot=${path.resolve(options.screenshot)}`, url])
  const dom = headless(chromium, ['--dump-dom', url])
  return { screenshot: options.screenshot, dom, missing: missingParts(dom, run) }
}

/** What the rendered DOM of run's report lacks. */
export function missingParts(dom: string, run: RunReport): string[] {
  const failed = run.files.flatMap((f) => f.tests.filter((t) => t.status === 'failed'))
  /** The open block with that id shows "Why it failed" before the next test's block. */
  const diagnosed = (anchor: string) => new RegExp(`id="${anchor}" open="">(?:(?!<details class="test )[\\s\\S])*?Why it failed`).test(dom)
  const expectations: Array<[string, boolean]> = [
    ['the run summary', dom.includes('id="summary"') && dom.includes(`run ${run.runId}`)],
    ...run.files.map((file): [string, boolean] => [`the recipe ${file.recipe}`, dom.includes(`id="${anchorId('recipe', file.recipe)}"`)]),
    // A conformance run alone records no timelines.
    ...(run.files.length ? [['a timeline chart', /<svg class="timeline-chart"[^>]*>[\s\S]*?<(polyline|rect)\b/.test(dom)] as [string, boolean]] : []),
    // The page opens failed tests; their diagnostics must be there.
    ...failed.map((test): [string, boolean] => [`the diagnostics of failed test ${test.id || test.name}`, diagnosed(testAnchor(test.key))]),
    ...(run.conformance ? conformanceExpectations(dom, run.conformance, diagnosed) : []),
  ]
  return expectations.flatMap(([what, present]) => (present ? [] : [what]))
}

/** The conformance section, a row per spec, the skip list with every reason, each failed spec's failure. */
function conformanceExpectations(dom: string, report: NonNullable<RunReport['conformance']>, diagnosed: (anchor: string) => boolean): Array<[string, boolean]> {
  const rows = dom.match(/<tr class="test-row (passed|failed|skipped)"><td><span class="pill/g)?.length ?? 0
  return [
    ['the conformance section', dom.includes(`id="${CONFORMANCE_ANCHOR}"`)],
    [`a row for each of the ${report.specs.length} conformance specs`, rows >= report.specs.length],
    ['the skip list with its reasons', dom.includes(`id="${SKIPS_ANCHOR}"`) && report.selection.skip.every((s) => dom.includes(asSerialized(s.reason)))],
    ...report.specs.filter((s) => s.status === 'failed').map((spec): [string, boolean] => [`the failure of conformance spec ${spec.name}`, diagnosed(specAnchor(spec.name))]),
  ]
}

/** Text as a serialized DOM holds it (quotes stay as they are). */
function asSerialized(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/** Runs headless Chromium once with a fresh profile and no background network; returns stdout. */
function headless(chromium: string, args: string[]): string {
  const profile = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-chromium-'))
  try {
    return execFileSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { encoding: 'utf8', timeout: runSettings().timeouts.browser, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] },
    )
  } finally {
    rmSync(profile, { recursive: true, force: true })
  }
}
