// Run history: one compact JSON line per run (per test ID: status and duration), appended to
// reports/history.jsonl (or KUBE_SCENARIOS_HISTORY), so a report can show each ID's recent runs,
// duration trend and flake rate.
import { existsSync, readFileSync } from 'node:fs'
import { appendLineLockedSync, defaultWarn } from '#images/lib/state-files.mjs'
import path from 'node:path'
import { isUndecided, type RunReport } from './model.js'
import { parseRunSettings } from '../config/settings.js'

export interface HistoryRecord {
  runId: string
  /** When the run started (ISO 8601). */
  at: string
  provider?: string
  kubernetesVersion?: string
  /**
   * Test key (its ID; a conformance spec's full name) -> outcome; only tests that ran (a skipped
   * or filtered-out test is no data point). flaky: it passed on a retry; undecided: it passed
   * with a claim what was observed could not decide.
   */
  tests: Record<string, { status: 'passed' | 'failed'; durationMs: number; flaky?: boolean; undecided?: boolean }>
}

/** One run of one test ID, oldest first in a TestHistory. */
export interface TestRun {
  runId: string
  at: string
  status: 'passed' | 'failed'
  durationMs: number
  /** It passed on a retry. */
  flaky?: boolean
  /** It passed with a claim what was observed could not decide. */
  undecided?: boolean
}

/** Runs shown per ID by default. */
export const DEFAULT_HISTORY_RUNS = 20

/** The history file: KUBE_SCENARIOS_HISTORY when set, else history.jsonl in the reports folder. */
export function historyFile(reportsDir: string): string {
  return parseRunSettings({ report: reportsDir }).history
}

export function historyRecordOf(run: RunReport): HistoryRecord {
  const tests: HistoryRecord['tests'] = {}
  for (const file of run.files) {
    for (const test of file.tests) {
      if (test.status !== 'skipped') tests[test.key] = { status: test.status, durationMs: Math.round(test.durationMs), ...(test.flaky ? { flaky: true } : {}), ...(isUndecided(test) ? { undecided: true } : {}) }
    }
  }
  // A conformance spec is keyed by its full name (no recipe ID looks like "[sig-apps] …").
  for (const spec of run.conformance?.specs ?? []) {
    if (spec.status !== 'skipped') tests[spec.name] = { status: spec.status, durationMs: Math.round(spec.durationMs) }
  }
  return {
    runId: run.runId,
    at: new Date(run.startedAt).toISOString(),
    ...(run.provider ? { provider: run.provider } : {}),
    ...(run.kubernetesVersion ? { kubernetesVersion: run.kubernetesVersion } : {}),
    tests,
  }
}

/** Every record of the file, oldest first; a missing file is an empty history. */
export function readHistory(file: string): HistoryRecord[] {
  if (!existsSync(file)) return []
  return parseHistory(readFileSync(file, 'utf8'), { file })
}

/**
 * Parses JSON lines; a line a killed run left half-written is skipped, not fatal: one warning line
 * says how many were skipped (the history only informs).
 */
export function parseHistory(text: string, { file = 'the history', warn = defaultWarn }: { file?: string; warn?: (line: string) => void } = {}): HistoryRecord[] {
  let unreadable = 0
  const records = text.split('\n').flatMap((line) => {
    if (!line.trim()) return []
    try {
      const record = JSON.parse(line) as HistoryRecord
      if (typeof record.runId === 'string' && record.tests && typeof record.tests === 'object') return [record]
    } catch {
      // counted below
    }
    unreadable++
    return []
  })
  if (unreadable) warn(`${file}: ${unreadable} unreadable line(s) skipped (a run killed while writing it, or an edit); the other ${records.length} run(s) are kept`)
  return records
}

/** Appends under the file's lock: runs finishing together keep both records whole. */
export function appendHistory(file: string, record: HistoryRecord): void {
  appendLineLockedSync(file, JSON.stringify(record))
}

/** The records up to and including run `runId` (all of them when it is not recorded): an old report shows the history it had. */
export function historyUpTo(records: readonly HistoryRecord[], runId: string): HistoryRecord[] {
  const index = records.map((r) => r.runId).lastIndexOf(runId)
  return index < 0 ? [...records] : records.slice(0, index + 1)
}

/** The last `limit` runs of one test ID, oldest first. */
export function testRuns(records: readonly HistoryRecord[], id: string, limit = DEFAULT_HISTORY_RUNS): TestRun[] {
  return records
    .flatMap((record) => {
      const test = record.tests[id]
      return test ? [{ runId: record.runId, at: record.at, status: test.status, durationMs: test.durationMs, ...(test.flaky ? { flaky: true } : {}), ...(test.undecided ? { undecided: true } : {}) }] : []
    })
    .slice(-limit)
}

/**
 * How often the outcome changed from one run to the next: flips / (runs - 1), in 0..1. A test
 * that always passes or always fails is not flaky (0); one alternating every run is 1. Fewer
 * than two runs give 0.
 */
export function flakeRate(statuses: ReadonlyArray<'passed' | 'failed'>): number {
  if (statuses.length < 2) return 0
  let flips = 0
  for (let i = 1; i < statuses.length; i++) if (statuses[i] !== statuses[i - 1]) flips++
  return flips / (statuses.length - 1)
}

/** Share of runs that failed, in 0..1 (0 for no runs). */
export function failureRate(statuses: ReadonlyArray<'passed' | 'failed'>): number {
  return statuses.length === 0 ? 0 : statuses.filter((s) => s === 'failed').length / statuses.length
}
