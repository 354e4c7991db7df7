import { describe, expect, test } from 'vitest'
import { errorReport } from '../../lib/report/collect.js'
import { renderJunit } from '../../lib/report/junit.js'
import { countByStatus, recipeIdOf, type FileReport, type TestReport } from '../../lib/report/model.js'
import { renderDiff } from '../../lib/report/render-failure.js'
import { renderReport } from '../../lib/report/render-report.js'
import { HOSTILE_LOG, sampleHistory, sampleRun } from './report-sample-run.js'

const html = renderReport(sampleRun(), { history: sampleHistory() })

describe('HTML report', () => {
  test('a pod log containing <script> is rendered as text', () => {
    expect(html).not.toContain(HOSTILE_LOG)
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).not.toMatch(/<img\b/)
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;')
    // The page's own script is the only one.
    expect(html.match(/<script\b/g)).toHaveLength(1)
  })

  test('is one self-contained file: nothing is loaded from anywhere', () => {
    expect(html).not.toMatch(/<(link|iframe|img|script)\b[^>]*\b(src|href)=/i)
    expect(html).not.toMatch(/\burl\(|@import|href="https?:/i)
    expect(html).toContain(`default-src 'none'`)
  })

  test('shows the run summary, every recipe and every test ID', () => {
    for (const text of ['run 20251125-3f9a1c', 'k3s', 'v1.34.1+k3s1', '<span title="k3s-server, k3s-agent-1">2</span>', '5 min 00 s']) expect(html).toContain(text)
    expect(html).toMatch(/<div class="count passed"><span class="n">3<\/span>/)
    expect(html).toMatch(/<div class="count failed"><span class="n">2<\/span>/)
    expect(html).toMatch(/<div class="count skipped"><span class="n">1<\/span>/)
    for (const recipe of ['scaling', 'rolling-update', 'jobs']) expect(html).toContain(`id="recipe--${recipe}"`)
    for (const id of ['S1', 'S4', 'U3', 'U6', 'J2', 'J5']) expect(html).toContain(`id="test--${id.toLowerCase()}"`)
    expect(html.match(/<svg class="timeline-chart"/g)?.length).toBe(5)
  })

  test('a failed test shows the awaited condition, the diff and the evidence, and is open', () => {
    expect(html).toMatch(/<details class="test failed" id="test--u3" open>/)
    expect(html).toContain('<span class="label">awaited</span> deployment bounded-nginx has 5 updated, available replicas')
    expect(html).toContain('<span class="received">+ Received</span>')
    expect(html).toContain('<span class="expected">-   3,</span>')
    expect(html).toContain('Back-off restarting failed container nginx')
    expect(html).toContain('Deployment/bounded-nginx: {&quot;replicas&quot;:6')
  })

  test('shows each ID\'s last runs and flake rate', () => {
    // U3 in the sample history: p f p p f p p p, 4 changes in 7 steps.
    expect(html).toContain('flaky 57%')
    expect(html.match(/<circle class="dot failed"/g)?.length).toBeGreaterThan(0)
  })

  test('a claim the observations could not decide gets its own box and a marker, and the test still reads as what it was', () => {
    const run = sampleRun()
    const first = run.files[0]!.tests[0]!
    const at = first.timeline[0]!.at + 1000
    first.timeline = [...first.timeline, { at, type: 'undecided', claim: 'which two pods the ReplicaSet removes', why: 'a log2 age bucket edge inside the decision window' }]
    const page = renderReport(run)
    expect(page).toContain('<section class="undecided"><h4>Not decided by what was observed</h4><ul><li><strong>which two pods the ReplicaSet removes</strong>: a log2 age bucket edge inside the decision window</li></ul></section>')
    expect(page).toContain('undecided: which two pods the ReplicaSet removes (a log2 age bucket edge inside the decision window)')
  })

  test('diffs lose their terminal colours', () => {
    expect(renderDiff('\u001b[32m- Expected\u001b[39m\n\u001b[31m+ Received\u001b[39m')).toBe(
      '<pre class="text diff"><span class="expected">- Expected</span>\n<span class="received">+ Received</span></pre>',
    )
  })
})

describe('collected errors', () => {
  test('a WaitTimeoutError keeps the condition it awaited; the stack keeps only its frames', () => {
    const report = errorReport({
      name: 'WaitTimeoutError',
      message: 'timed out after 120 s waiting until 4 pods are Ready\nlast observed: 2 Ready',
      condition: '4 pods matching service=nginx are Ready',
      stack: 'WaitTimeoutError: timed out after 120 s\nlast observed: 2 Ready\n    at waitFor (lib/wait.ts:1:1)',
    })
    expect(report).toEqual({
      name: 'WaitTimeoutError',
      message: 'timed out after 120 s waiting until 4 pods are Ready\nlast observed: 2 Ready',
      awaited: '4 pods matching service=nginx are Ready',
      stack: '    at waitFor (lib/wait.ts:1:1)',
    })
    expect(errorReport({ message: 'timed out after 5 s waiting until the Job completes\nobjects: none' }).awaited).toBe('the Job completes')
    expect(errorReport({ message: 'timed out after 60 s waiting until GET / answers 200; last outcome: 503' }).awaited).toBe('GET / answers 200')
    expect(errorReport({ message: 'expected 1 to be 2', diff: '- 2\n+ 1' })).toEqual({ message: 'expected 1 to be 2', diff: '- 2\n+ 1' })
  })

  test('recipe IDs come from the start of test names', () => {
    expect(recipeIdOf('S2 scaling 2 -> 4 -> 2 keeps the two original pods')).toBe('S2')
    expect(recipeIdOf('U10 rollback')).toBe('U10')
    expect(recipeIdOf('scales to S2')).toBeUndefined()
  })
})

describe('JUnit XML', () => {
  const xml = renderJunit(sampleRun())

  test('one suite per recipe, test names with their IDs, failures with message and awaited condition', () => {
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="kube-scenarios 20251125-3f9a1c" tests="6" failures="2" errors="0" skipped="1"/)
    expect(xml.match(/<testsuite /g)).toHaveLength(3)
    expect(xml).toContain('<testcase classname="scaling" name="S1 both pods become Ready and the Service has 2 endpoints" file="scenarios/scaling.test.ts"')
    expect(xml).toContain('<failure message="timed out after 120 s waiting until deployment bounded-nginx has 5 updated, available replicas" type="WaitTimeoutError">')
    expect(xml).toContain('awaited: deployment bounded-nginx has 5 updated, available replicas')
    expect(xml).toContain('<property name="provider" value="k3s"/>')
    expect(xml).toMatch(/name="J5 a CronJob runs on schedule"[^>]*>\n\s*<skipped\/>/)
  })

  test('cluster text is escaped and XML-forbidden control characters are dropped', () => {
    expect(xml).not.toContain(HOSTILE_LOG)
    expect(xml).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    const run = sampleRun()
    run.files[0]!.tests[0]!.evidence = { events: 'bell\u0007 and nul\u0000', podLogs: '', objects: '' }
    expect(renderJunit(run)).toContain('bell and nul')
  })
})

describe('countByStatus', () => {
  const file = (statuses: TestReport['status'][], errors: string[] = []): FileReport => ({
    recipe: 'scaling',
    file: 'scenarios/scaling.test.ts',
    durationMs: 1,
    errors: errors.map((message) => ({ message })),
    tests: statuses.map((status, i) => ({ id: `S${i + 1}`, key: `S${i + 1}`, name: `S${i + 1}`, status, durationMs: 1, steps: [], timeline: [], errors: [] })),
  })

  test('a file whose beforeAll threw is one failure; the tests it kept from running are skipped', () => {
    expect(countByStatus([file(['skipped', 'skipped'], ['no cluster for this run: …']), file(['passed'])])).toEqual({ passed: 1, failed: 1, skipped: 2 })
  })

  test('a file that did not load is one failure', () => {
    expect(countByStatus([file([], ['SyntaxError'])])).toEqual({ passed: 0, failed: 1, skipped: 0 })
  })
})
