// The report as a person sees it: generated from a synthetic run, opened from disk in headless
// Chromium, screenshotted, and its rendered DOM checked.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { checkReportInBrowser, findChromium, missingParts, type BrowserCheck } from '../../lib/report/browser-check.js'
import { writeRunReport } from '../../lib/report/report-files.js'
import { sampleConformanceRun } from './conformance-sample.js'
import { sampleRun } from './report-sample-run.js'

const WINDOW = { width: 1280, height: 2400 }
const INSTALL_TIMEOUT_MS = 10 * 60_000

/** Chromium, installed from Debian's archive on a machine that lacks it (CI runs as root). */
function ensureChromium(): string {
  try {
    return findChromium()
  } catch (error) {
    if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) throw error
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], { stdio: 'ignore', timeout: INSTALL_TIMEOUT_MS })
    return findChromium()
  }
}

describe('the report in headless Chromium', () => {
  let workDir: string
  let check: BrowserCheck
  const run = sampleRun()

  beforeAll(() => {
    workDir = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-browser-'))
    const index = writeRunReport(run, { reportsDir: workDir, history: path.join(workDir, 'history.jsonl') })
    check = checkReportInBrowser(path.dirname(index), {
      screenshot: path.join(workDir, 'report.png'),
      windowSize: `${WINDOW.width},${WINDOW.height}`,
      chromium: ensureChromium(),
    })
  }, INSTALL_TIMEOUT_MS + 60_000)

  afterAll(() => rmSync(workDir, { recursive: true, force: true }))

  test('shows the summary, each recipe, timeline charts and the failed tests\' diagnostics', () => {
    expect(check.missing).toEqual([])
    expect(check.dom.match(/<svg class="timeline-chart"/g)?.length).toBe(5)
  })

  test('renders the hostile pod log as text, and its script opened the failed tests', () => {
    expect(check.dom).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(check.dom).not.toContain('<script>alert(1)</script>')
    expect(check.dom).toMatch(/<details class="test failed" id="test--u3" open="">/)
    expect(check.dom).toMatch(/<details class="test passed" id="test--s1">/)
  })

  test('takes a screenshot of the page at the window size', () => {
    const png = readFileSync(check.screenshot)
    expect(png.subarray(1, 4).toString()).toBe('PNG')
    // IHDR: width and height, big-endian, at bytes 16..23.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([WINDOW.width, WINDOW.height])
    expect(png.length).toBeGreaterThan(50_000)
  })

  test('the check names what a page lacks', () => {
    expect(missingParts('<header id="summary">run other</header>', run)).toEqual([
      'the run summary',
      'the recipe scaling',
      'the recipe rolling-update',
      'the recipe jobs',
      'a timeline chart',
      'the diagnostics of failed test U3',
      'the diagnostics of failed test U6',
    ])
  })
})

describe('a conformance run in headless Chromium', () => {
  let workDir: string
  let check: BrowserCheck

  beforeAll(() => {
    workDir = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-browser-'))
    const index = writeRunReport(sampleConformanceRun(), { reportsDir: workDir, history: path.join(workDir, 'history.jsonl') })
    check = checkReportInBrowser(path.dirname(index), { screenshot: path.join(workDir, 'conformance.png'), chromium: ensureChromium() })
  }, INSTALL_TIMEOUT_MS + 60_000)

  afterAll(() => rmSync(workDir, { recursive: true, force: true }))

  test('shows the summary, the conformance section with a row per spec, the skip list and the open failure', () => {
    expect(check.missing).toEqual([])
    expect(check.dom).toMatch(/<details class="test failed" id="spec--sig-network-services-[a-z-]+" open="">/)
    expect(readFileSync(check.screenshot).subarray(1, 4).toString()).toBe('PNG')
  })
})
