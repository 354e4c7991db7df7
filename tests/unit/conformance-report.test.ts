// The conformance run in the report: ginkgo's JUnit read back into specs (selected, sorted into
// areas, failures and skip reasons kept), the command line built from the selection file, the
// section rendered, and the specs recorded in the history and our JUnit.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import YAML from 'yaml'
import { SELECTION_FILE, SuiteProgress, defaultParallel, ginkgoArgs, readSelection } from '../../bin/conformance-plan.js'
import { renderProduct } from '../../lib/report/conformance-product.js'
import { missingParts } from '../../lib/report/browser-check.js'
import { NOT_REACHED, conformanceSpecs, parseJunitCases, serialPhaseOf, skipOf } from '../../lib/report/conformance.js'
import { historyRecordOf } from '../../lib/report/history.js'
import { renderJunit } from '../../lib/report/junit.js'
import { renderReport } from '../../lib/report/render-report.js'
import { FAILURE_TEXT, SAMPLE_JUNIT, SAMPLE_SELECTION, sampleConformanceRun } from './conformance-sample.js'

const FAILED_SPEC = '[sig-network] Services should serve a basic endpoint from pods [Conformance]'

describe("ginkgo's JUnit", () => {
  const cases = parseJunitCases(SAMPLE_JUNIT)

  test('every test case with its node type, state, duration, failure text and skip message, entities decoded', () => {
    expect(cases).toHaveLength(10)
    expect(cases[0]).toEqual({ leaf: 'SynchronizedBeforeSuite', name: '', state: 'passed', durationMs: 2500 })
    expect(cases[2]).toEqual({ leaf: 'It', name: '[sig-apps] Job should delete a job [Conformance]', state: 'passed', durationMs: 44004 })
    expect(cases[3]).toMatchObject({ name: FAILED_SPEC, state: 'failed', failure: FAILURE_TEXT })
    expect(cases[3]!.log).toContain('<script>alert(1)</script>')
    expect(cases[6]).toMatchObject({ state: 'skipped', skipped: 'skipped - Only supported for node OS distro [gci ubuntu] (not debian)' })
  })

  test("the selection's specs: passed, failed with the failure, skipped with the skip file's reason, the suite's own, or not reached", () => {
    const specs = conformanceSpecs(cases, SAMPLE_SELECTION)
    expect(specs.map((s) => [s.area, s.status, s.name])).toEqual([
      ['sig-apps', 'passed', '[sig-apps] Deployment deployment should support rollover [Conformance]'],
      ['sig-apps', 'skipped', '[sig-apps] Deployment should validate Deployment Status endpoints [Conformance]'],
      ['sig-apps', 'passed', '[sig-apps] Job should delete a job [Conformance]'],
      ['sig-network', 'skipped', '[sig-network] DNS should support configurable pod DNS nameservers [Conformance]'],
      ['sig-network', 'skipped', '[sig-network] Services should be able to change the type from ExternalName to NodePort [Conformance]'],
      ['sig-network', 'failed', FAILED_SPEC],
    ])
    const by = (name: string) => specs.find((s) => s.name.startsWith(name))!
    expect(by('[sig-network] Services should be able').skipReason).toBe(SAMPLE_SELECTION.skip[0]!.reason)
    expect(by('[sig-network] DNS').skipReason).toBe('Only supported for node OS distro [gci ubuntu] (not debian)')
    expect(by('[sig-apps] Deployment should validate').skipReason).toBe(NOT_REACHED)
    expect(by(FAILED_SPEC)).toMatchObject({ failure: FAILURE_TEXT, durationMs: 125_500 })
  })

  test('a failed suite node is reported first, as the reason nothing ran', () => {
    const broken = SAMPLE_JUNIT.replace('name="[SynchronizedBeforeSuite]" classname="Kubernetes e2e suite" status="passed" time="2.5"></testcase>', 'name="[SynchronizedBeforeSuite]" classname="Kubernetes e2e suite" status="failed" time="600"><failure type="failed">[FAILED] Error waiting for all pods to be running and ready</failure></testcase>')
    const specs = conformanceSpecs(parseJunitCases(broken), SAMPLE_SELECTION)
    expect(specs[0]).toMatchObject({ area: 'suite', status: 'failed', name: '[SynchronizedBeforeSuite]', failure: '[FAILED] Error waiting for all pods to be running and ready' })
  })

  test("a focus JavaScript cannot read counts the specs that ran or skipped themselves", () => {
    const specs = conformanceSpecs(cases, { ...SAMPLE_SELECTION, focus: '(?i)services' })
    expect(specs.map((s) => s.status)).toEqual(['passed', 'passed', 'skipped', 'failed'])
  })
})

/** The Kubernetes module the e2e suite is built from (Go's module cache). */
function kubernetesModuleDir(): string {
  return execFileSync('go', ['list', '-m', '-f', '{{.Dir}}', 'k8s.io/kubernetes'], { cwd: 'images/e2e', encoding: 'utf8' }).trim()
}

describe('the selection file and the command line', () => {
  test('by default every area; every area has a focus and every skip a reason', () => {
    const selection = readSelection()
    expect(selection.areas.map((a) => a.name)).toEqual([
      'sig-api-machinery', 'sig-apps', 'sig-architecture', 'sig-auth', 'sig-cli', 'sig-instrumentation', 'sig-network', 'sig-node', 'sig-scheduling', 'sig-storage',
    ])
    for (const area of selection.areas) expect(() => new RegExp(area.focus)).not.toThrow()
    for (const skip of selection.skip) expect(skip.reason.trim().length).toBeGreaterThan(10)
  })

  test("upstream's list of conformance specs falls into the areas, each into one", () => {
    const upstream = readFileSync(path.join(kubernetesModuleDir(), 'test/conformance/testdata/conformance.yaml'), 'utf8')
    const names = [...upstream.matchAll(/^  codename: '([\s\S]*?)'$/gm)].map(([, name]) => name!.replace(/\s+/g, ' '))
    expect(names).toHaveLength(462)
    const patterns = readSelection().areas.map((a) => new RegExp(a.focus))
    expect(names.filter((name) => patterns.filter((p) => p.test(name)).length !== 1)).toEqual([])
  })

  test('--areas picks areas by name or a subset; an unknown name is refused with the choices', () => {
    expect(readSelection(SELECTION_FILE, { areas: ['sig-cli', 'sig-auth'] }).areas.map((a) => a.name)).toEqual(['sig-cli', 'sig-auth'])
    const chapter = readSelection(SELECTION_FILE, { areas: ['chapter'] })
    expect(chapter.areas.map((a) => a.name)).toEqual(['sig-apps', 'sig-network', 'sig-node', 'sig-storage'])
    expect(chapter.areas[0]!.focus).toContain('Deployment|ReplicaSet')
    expect(() => readSelection(SELECTION_FILE, { areas: ['sig-nope'] })).toThrow(/no area or subset "sig-nope" \(areas: sig-api-machinery, .*; subsets: chapter\)/)
  })

  test('a skip without its reason is refused', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-selection-'))
    try {
      const file = path.join(dir, 'conformance.yaml')
      writeFileSync(file, readFileSync(SELECTION_FILE, 'utf8').replace(/^skip:.*$/ms, 'skip:\n  - test: "[sig-apps] Job should delete a job [Conformance]"\n'))
      expect(() => readSelection(file)).toThrow(/every skip names its test and the reason/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('ginkgo runs two processes per core, at most four', () => {
    expect([1, 2, 4].map((cores) => defaultParallel(cores))).toEqual([2, 4, 4])
  })

  test('ginkgo gets the label, the areas as its focus, the skips as exact names, and the framework its flags', () => {
    const args = ginkgoArgs({ e2eTest: '/cache/e2e.test', selection: SAMPLE_SELECTION, parallel: 4, kubeconfig: '/tmp/k', kubectl: '/cache/kubectl', outputDir: '/r/e2e' })
    expect(args).toEqual([
      'run', '--procs=4', '--timeout=3h', '--label-filter=Conformance',
      '--focus=\\[sig-apps\\] (Deployment|Job) |\\[sig-network\\] (Services|DNS) ',
      `--skip=${skipOf(SAMPLE_SELECTION)}`,
      '--silence-skips', '-v', '--no-color', '--json-report=ginkgo-report.json', '/cache/e2e.test', '--',
      '--kubeconfig=/tmp/k', '--provider=skeleton', '--kubectl-path=/cache/kubectl', '--report-dir=/r/e2e', '--e2e-output-dir=/r/e2e',
    ])
    const skip = new RegExp(skipOf(SAMPLE_SELECTION)!)
    expect(skip.test(SAMPLE_SELECTION.skip[0]!.test)).toBe(true)
    expect(skip.test('[sig-network] Services should be able to change the type from ExternalName to ClusterIP [Conformance]')).toBe(false)
  })
})

describe('the conformance section', () => {
  const run = sampleConformanceRun()
  const html = renderReport(run, { history: [historyRecordOf(run)] })

  test('shows the selection, a row per spec with its reason, and the counts in the summary', () => {
    expect(html).toContain('id="conformance"')
    expect(html).toContain('upstream e2e v1.34.4')
    expect(html).toContain('label Conformance, areas sig-apps, sig-network')
    expect(html.match(/<tr class="test-row (passed|failed|skipped)"><td><span class="pill/g)).toHaveLength(6)
    expect(html).toContain('<div class="muted">Only supported for node OS distro [gci ubuntu] (not debian)</div>')
    expect(html).toMatch(/<div class="count passed"><span class="n">2<\/span>/)
    expect(html).toMatch(/<div class="count failed"><span class="n">1<\/span>/)
    expect(html).toMatch(/<div class="count skipped"><span class="n">3<\/span>/)
    expect(html).not.toContain('<nav class="overview">')
  })

  test('a failed spec is open with its failure text and its log, escaped', () => {
    expect(html).toMatch(/<details class="test failed" id="spec--sig-network-services-should-serve-a-basic-endpoint-from-pods-conformance" open>/)
    expect(html).toContain('Why it failed</h4><pre class="text">[FAILED] service endpoints not reachable: &lt;nil&gt; &amp; &quot;timed out&quot;')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html.match(/<script\b/g)).toHaveLength(1)
  })

  test('prints every skip with its reason, also one the selection does not reach', () => {
    expect(html).toContain('id="conformance-skips"')
    expect(html).toContain('needs a name resolvable outside the cluster &lt;none here&gt;')
    expect(html).toContain('[sig-apps] CronJob should not schedule jobs when suspended [Slow] [Conformance] <span class="muted">(not in this selection)</span>')
  })

  test('the specs that ran go into the history under their names and show their last runs', () => {
    expect(historyRecordOf(run).tests).toEqual({
      '[sig-apps] Deployment deployment should support rollover [Conformance]': { status: 'passed', durationMs: 31250 },
      '[sig-apps] Job should delete a job [Conformance]': { status: 'passed', durationMs: 44004 },
      [FAILED_SPEC]: { status: 'failed', durationMs: 125500 },
    })
    expect(html.match(/<circle class="dot (passed|failed)"/g)).toHaveLength(3)
  })

  test('our JUnit carries the specs as one suite', () => {
    const junit = renderJunit(run)
    expect(junit).toContain('<testsuites name="kube-scenarios 20261202-c0ffee" tests="6" failures="1" errors="0" skipped="3"')
    expect(junit).toContain('<testsuite name="conformance" tests="6" failures="1" errors="0" skipped="3"')
    expect(junit).toContain('<skipped message="needs a name resolvable outside the cluster &lt;none here&gt;"/>')
    expect(junit).toContain('<failure message="[FAILED] service endpoints not reachable: &lt;nil&gt; &amp; &quot;timed out&quot;" type="failed">')
  })

  test('the browser check asks for the section, its rows, the skip list and each failure, not for a timeline chart', () => {
    expect(missingParts('<header id="summary">run 20261202-c0ffee</header>', run)).toEqual([
      'the conformance section',
      'a row for each of the 6 conformance specs',
      'the skip list with its reasons',
      `the failure of conformance spec ${FAILED_SPEC}`,
    ])
    // The serialized DOM writes boolean attributes as open="".
    expect(missingParts(html.replaceAll(' open>', ' open="">'), run)).toEqual([])
  })
})

describe("ginkgo's output and reports", () => {
  test('the terminal gets the header, the summary, each failed spec by name and a count on demand', () => {
    const lines: string[] = []
    let now = 0
    const progress = new SuiteProgress((line) => lines.push(line), () => now)
    const output = [
      'Will run 424 of 7136 specs',
      '------------------------------',
      '• [2.345 seconds]',
      '[sig-apps] Job should delete a job [Conformance]',
      'k8s.io/kubernetes/test/e2e/apps/job.go:123',
      '  STEP: Creating a kubernetes client @ 12/04/26 17:00:00.000',
      '• [FAILED] [31.002 seconds]',
      '[sig-network] Services should serve a basic endpoint from pods [Conformance]',
      'S [SKIPPED] [0.010 seconds]',
      '[sig-node] Pods should be updated [Conformance]',
      'Ran 424 of 7136 Specs in 3012.345 seconds',
      'FAIL! -- 423 Passed | 1 Failed | 0 Pending | 6712 Skipped',
    ]
    output.slice(0, 8).forEach((line) => progress.line(line))
    now = 5 * 60_000
    progress.report()
    output.slice(8).forEach((line) => progress.line(line))
    expect(lines).toEqual([
      'conformance: Will run 424 of 7136 specs',
      'conformance: FAILED: [sig-network] Services should serve a basic endpoint from pods [Conformance]',
      'conformance: 2 of 424 specs done, 1 failed, 5 min',
      'conformance: Ran 424 of 7136 Specs in 3012.345 seconds',
      'conformance: FAIL! -- 423 Passed | 1 Failed | 0 Pending | 6712 Skipped',
    ])
  })

  test('the serial phase: the [Serial] specs that ran, from the first start to the last end', () => {
    // As ginkgo writes it: no IsSerial; the Serial label on the spec or on one of its containers.
    const spec = (serial: boolean, state: string, start: string, end: string) => ({
      LeafNodeType: 'It',
      LeafNodeLabels: ['Conformance'],
      ContainerHierarchyLabels: [['sig-apps', ...(serial ? ['Serial'] : [])], []],
      State: state,
      StartTime: `2026-12-04T17:${start}Z`,
      EndTime: `2026-12-04T17:${end}Z`,
    })
    const json = JSON.stringify([
      {
        SpecReports: [
          spec(false, 'passed', '00:00', '40:00'),
          spec(true, 'passed', '41:00', '43:30'),
          spec(true, 'failed', '43:30', '50:00'),
          spec(true, 'skipped', '00:00', '00:00'),
          { LeafNodeType: 'It', LeafNodeLabels: ['Serial', 'Conformance'], State: 'passed', StartTime: '2026-12-04T17:50:00Z', EndTime: '2026-12-04T17:51:00Z' },
          { LeafNodeType: 'SynchronizedAfterSuite', LeafNodeLabels: ['Serial'], State: 'passed', StartTime: '2026-12-04T17:55:00Z', EndTime: '2026-12-04T17:56:00Z' },
        ],
      },
    ])
    expect(serialPhaseOf(json)).toEqual({ specs: 3, durationMs: 10 * 60_000 })
    expect(serialPhaseOf(JSON.stringify([{ SpecReports: [spec(false, 'passed', '00:00', '01:00')] }]))).toBeUndefined()
  })

  test("PRODUCT.yaml: a submission's fields, then the run: nodes, what was built, the result", () => {
    const run = sampleConformanceRun()
    const yaml = renderProduct({
      provider: 'local',
      runId: run.runId,
      kubernetesVersion: 'v1.37.2',
      nodes: [{ name: 'kube-scenarios-control-plane', kubeletVersion: 'v1.37.2', containerRuntime: 'containerd://2.3.7', osImage: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.1.0', cpu: '2', memory: '24Gi', taints: [] }],
      nodeImages: ['kube-scenarios/node:1dd45862e10c2328'],
      e2eTest: '/cache/e2e.test',
      testImages: ['registry.k8s.io/e2e-test-images/agnhost:2.66.1'],
      report: { ...run.conformance!, serial: { specs: 25, durationMs: 600_000 } },
    })
    const product = YAML.parse(yaml)
    expect(product).toMatchObject({ vendor: 'kube-scenarios', name: 'kube-scenarios offline cluster', version: 'v1.37.2', type: 'installer' })
    expect(product.run.nodes[0]).toMatchObject({ name: 'kube-scenarios-control-plane', kubelet: 'v1.37.2', taints: [] })
    expect(product.run.built_here).toEqual({ node_images: ['kube-scenarios/node:1dd45862e10c2328'], test_images: ['registry.k8s.io/e2e-test-images/agnhost:2.66.1'] })
    expect(product.run.result).toMatchObject({ selected: 6, passed: 2, failed: 1, skipped: 3, serial_specs: 25, serial_phase_seconds: 600 })
  })
})
