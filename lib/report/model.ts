// What a run report shows, as plain serialisable data: collected once from vitest's results
// (collect.ts), saved beside the report as report.json, rendered by pure functions.
import type { TestStatus } from './status.js'
import type { ShardOf } from '../config/settings.js'
import type { Evidence } from '../record/evidence.js'
import type { ConformanceReport } from './conformance.js'
import type { TimelineEntry } from '../record/timeline.js'

export interface RunReport {
  runId: string
  provider?: string
  kubernetesVersion?: string
  /** Node names listed at the end of the run, when the cluster could be asked. */
  nodes?: string[]
  /** ms since epoch. */
  startedAt: number
  endedAt: number
  /** Why the run ended: passed, failed or interrupted (Ctrl-C). */
  outcome: 'passed' | 'failed' | 'interrupted'
  files: FileReport[]
  /** Errors outside any test (unhandled rejections, reporter errors). */
  unhandledErrors: ErrorReport[]
  /** The part of the files this run ran (kube-scenarios run --shard). */
  shard?: ShardOf
  /** A merged report: the shards it was made of, each with its own cluster. */
  shards?: ShardRun[]
  /** An upstream conformance run (kube-scenarios conformance), shown in its own section. */
  conformance?: ConformanceReport
}

export interface ShardRun extends ShardOf {
  runId: string
  provider?: string
  nodes?: string[]
  startedAt: number
  endedAt: number
  outcome: RunReport['outcome']
}

/** One scenario file: one recipe. */
export interface FileReport {
  recipe: string
  /** Path relative to the project root, e.g. scenarios/scaling.test.ts. */
  file: string
  namespace?: string
  durationMs: number
  /** Errors of the file itself (failed to load, a failing beforeAll/afterAll). */
  errors: ErrorReport[]
  tests: TestReport[]
}

export interface TestReport {
  /** The recipe ID the test is named by ("S2"); empty when its name starts with none. */
  id: string
  /** Unique in the run, keys history and links: the ID, else the name (no ID, or tests sharing one through test.each). */
  key: string
  name: string
  status: TestStatus
  durationMs: number
  steps: StepReport[]
  timeline: TimelineEntry[]
  errors: ErrorReport[]
  evidence?: Evidence
  /** Runs of the test (1 + retries: kubeScenarios({ retry })); absent when it ran once. */
  attempts?: number
  /**
   * It passed on a retry: `errors` holds the failures of the attempts before. Counted as passed,
   * and always shown as flaky (summary line, report, JUnit's flakyFailure, history).
   */
  flaky?: boolean
  /** Collected into the run folder when the test failed. */
  forensics?: ForensicsReport
}

/** What was collected when the test failed (lib/report/forensics.ts), relative to the run's report folder. */
export interface ForensicsReport {
  /** The folder, relative to the run folder: forensics/<recipe>-<key>. */
  dir: string
  /** Files inside it. */
  files: string[]
  bytes: number
  /** How long collecting took. */
  ms: number
  /** What could not be collected, or was cut by the time budget. */
  notes: string[]
  /** The kubelet's last lines about the test's namespace (offline cluster). */
  kubeletExcerpt?: string
}

export interface StepReport {
  name: string
  status: 'passed' | 'failed'
  /** Offset from the test's first timeline entry. */
  startMs: number
  durationMs: number
  error?: string
}

export interface ErrorReport {
  name?: string
  message: string
  /** An assertion's expected/received diff. */
  diff?: string
  /** What a WaitTimeoutError was waiting for. */
  awaited?: string
  stack?: string
}

/** Sets each test's key: its ID where it has one unique in the run, else its name. */
export function withUniqueKeys(files: FileReport[]): FileReport[] {
  const counts = new Map<string, number>()
  for (const test of files.flatMap((f) => f.tests)) counts.set(test.id, (counts.get(test.id) ?? 0) + 1)
  return files.map((file) => ({ ...file, tests: file.tests.map((test) => ({ ...test, key: test.id && counts.get(test.id) === 1 ? test.id : test.name })) }))
}

/** A test name's recipe ID: "S2 scaling 2 -> 4 ..." -> "S2"; undefined when it has none. */
export function recipeIdOf(testName: string): string | undefined {
  return /^([A-Z]{1,3}\d+[a-z]?)\b/.exec(testName)?.[1]
}

/** The test name without its leading recipe ID (reports show the ID on its own). */
export function testTitle(test: Pick<TestReport, 'id' | 'name'>): string {
  return test.id && test.name.startsWith(`${test.id} `) ? test.name.slice(test.id.length + 1) : test.name
}

/** The steps of a timeline with their offsets from the timeline's start. */
export function stepsOf(timeline: readonly TimelineEntry[]): StepReport[] {
  const origin = timelineStart(timeline)
  return timeline.flatMap((e) =>
    e.type === 'step'
      ? [{ name: e.name, status: e.status, startMs: e.startedAt - origin, durationMs: e.at - e.startedAt, ...(e.error ? { error: e.error } : {}) }]
      : [],
  )
}

/** The earliest instant on a timeline (steps and intervals start before they are recorded). */
export function timelineStart(timeline: readonly TimelineEntry[]): number {
  return Math.min(...timeline.map((e) => ('startedAt' in e ? Math.min(e.startedAt, e.at) : e.at)))
}

/** The run's counts: its scenario tests (countByStatus) and its conformance specs. */
export function runCounts(run: Pick<RunReport, 'files' | 'conformance'>): Record<TestStatus, number> {
  const counts = countByStatus(run.files)
  for (const spec of run.conformance?.specs ?? []) counts[spec.status]++
  return counts
}

/** The claims of a timeline that what was observed could not decide (s.timeline.undecided). */
export function undecidedClaims(timeline: readonly TimelineEntry[]): Array<Extract<TimelineEntry, { type: 'undecided' }>> {
  return timeline.flatMap((e) => (e.type === 'undecided' ? [e] : []))
}

/**
 * A test that passed but recorded a claim it could not decide: its verdict is "undecided", never a
 * plain pass (summary line, report, JUnit, history). Derived from the timeline, so report.json
 * files written before this verdict existed read alike. A failed test stays failed.
 */
export function isUndecided(test: Pick<TestReport, 'status' | 'timeline'>): boolean {
  return test.status === 'passed' && undecidedClaims(test.timeline).length > 0
}

/** The passed tests that are no plain pass: flaky (passed on a retry) and undecided; one test may be both. */
export interface PassMarks {
  flaky: number
  undecided: number
}

export function passMarks(files: readonly FileReport[]): PassMarks {
  const tests = files.flatMap((f) => f.tests)
  return { flaky: tests.filter((t) => t.flaky).length, undecided: tests.filter(isUndecided).length }
}

/**
 * "12 passed (1 flaky, 2 undecided), 2 skipped, 0 failed": the line a run ends with. CI reads
 * "N passed, N failed" from it (/^\d+ passed.*, \d+ failed$/): it starts with the passed count,
 * whose marks follow in parentheses, and ends with the failed count.
 */
export function summaryLine(counts: Record<TestStatus, number>, marks: PassMarks): string {
  const notes = [marks.flaky ? `${marks.flaky} flaky` : '', marks.undecided ? `${marks.undecided} undecided` : ''].filter(Boolean)
  return `${counts.passed} passed${notes.length ? ` (${notes.join(', ')})` : ''}${counts.skipped ? `, ${counts.skipped} skipped` : ''}, ${counts.failed} failed`
}

/** With --strict an undecided test fails the run (exit code 1); otherwise it is shown, never counted as a failure. */
export function strictVerdict(marks: PassMarks, strict: boolean): string | undefined {
  return strict && marks.undecided ? `--strict: ${marks.undecided} undecided test(s) fail the run` : undefined
}

export function countByStatus(files: readonly FileReport[]): Record<TestStatus, number> {
  const counts = { passed: 0, failed: 0, skipped: 0 }
  for (const file of files) {
    for (const test of file.tests) counts[test.status]++
    // A file's own error (it did not load, a beforeAll threw) is one failure: the tests it kept
    // from running count as skipped, and the run must not read as green.
    if (file.errors.length > 0) counts.failed++
  }
  return counts
}
