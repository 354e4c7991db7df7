import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { failureRate, flakeRate, historyFile, historyRecordOf, historyUpTo, parseHistory, readHistory, testRuns, type HistoryRecord } from '../../lib/report/history.js'
import { flakeBadge } from '../../lib/report/history-view.js'
import { regenerateReport, writeRunReport } from '../../lib/report/report-files.js'
import { withUniqueKeys } from '../../lib/report/model.js'
import { sampleHistory, sampleRun } from './report-sample-run.js'

const P = 'passed' as const
const F = 'failed' as const

describe('flake rate', () => {
  test('is the share of consecutive runs whose outcome changed', () => {
    expect(flakeRate([P, F, P, F])).toBe(1)
    expect(flakeRate([P, P, F, P, P])).toBe(2 / 4)
    expect(flakeRate([P, P, P, P, F])).toBe(1 / 4)
  })

  test('a test that always passes or always fails is not flaky', () => {
    expect(flakeRate([P, P, P])).toBe(0)
    expect(flakeRate([F, F, F])).toBe(0)
    expect(failureRate([F, F, F])).toBe(1)
  })

  test('fewer than two runs give no rate', () => {
    expect(flakeRate([])).toBe(0)
    expect(flakeRate([F])).toBe(0)
    expect(failureRate([])).toBe(0)
  })

  test('the badge shows the rate and its arithmetic', () => {
    const runs = [P, P, F, P, P].map((status, i) => ({ runId: `r${i}`, at: '2025-11-25T00:00:00Z', status, durationMs: 1000 }))
    const badge = flakeBadge(runs)
    expect(badge).toContain('flaky 50%')
    expect(badge).toContain('outcome changed in 2 of 4 consecutive runs; failed 1 of 5')
    expect(flakeBadge(runs.map((r) => ({ ...r, status: F })))).toContain('always failing')
    expect(flakeBadge(runs.map((r) => ({ ...r, status: P })))).toContain('stable')
    // A test that just broke is not called flaky on two runs.
    expect(flakeBadge(runs.slice(1, 3))).toBe('<span class="muted" title="too few runs to judge">2 runs</span>')
  })
})

describe('history records', () => {
  test('a run records every test that ran by ID, not the skipped ones', () => {
    const record = historyRecordOf(sampleRun())
    expect(record).toMatchObject({ runId: '20251125-3f9a1c', at: '2025-11-25T09:00:00.000Z', provider: 'k3s', kubernetesVersion: 'v1.34.1+k3s1' })
    expect(Object.keys(record.tests).sort()).toEqual(['J2', 'S1', 'S4', 'U3', 'U6'])
    expect(record.tests.U3).toEqual({ status: 'failed', durationMs: expect.any(Number) })
  })

  test('tests sharing an ID (test.each) or without one are keyed by their names', () => {
    const run = sampleRun()
    const j2 = run.files[2]!.tests[0]!
    run.files[2]!.tests.push({ ...j2, name: 'J2 with parallelism 2' }, { ...j2, id: '', name: 'nodes are Ready' })
    const keys = withUniqueKeys(run.files).flatMap((f) => f.tests.map((t) => t.key))
    expect(keys).toEqual(['S1', 'S4', 'U3', 'U6', 'J2 completions 3 run one after another', 'J5', 'J2 with parallelism 2', 'nodes are Ready'])
  })

  test('a half-written line (a killed run) is skipped, not fatal', () => {
    const good = JSON.stringify({ runId: 'a', at: 'x', tests: { S1: { status: 'passed', durationMs: 1 } } })
    expect(parseHistory(`${good}\n{"runId":"b","tes\n\nnot json\n${good}\n`).map((r) => r.runId)).toEqual(['a', 'a'])
  })

  test('the last N runs of an ID, oldest first, skipping runs where it did not run', () => {
    const records: HistoryRecord[] = [...sampleHistory(), { runId: 'only-s1', at: 'x', tests: { S1: { status: 'failed', durationMs: 5 } } }]
    expect(testRuns(records, 'U3', 3).map((r) => r.runId)).toEqual(['20251122-000005', '20251123-000006', '20251124-000007'])
    expect(testRuns(records, 'S1', 2).map((r) => [r.runId, r.status])).toEqual([
      ['20251124-000007', 'passed'],
      ['only-s1', 'failed'],
    ])
    expect(historyUpTo(records, '20251118-000001').map((r) => r.runId)).toEqual(['20251117-000000', '20251118-000001'])
    expect(historyUpTo(records, 'unknown')).toHaveLength(records.length)
  })
})

describe('report files', () => {
  const dirs: string[] = []
  afterEach(() => {
    vi.unstubAllEnvs()
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-report-'))
    dirs.push(dir)
    return dir
  }

  test('each run gets its folder, refreshes latest and is appended to the history (KUBE_SCENARIOS_HISTORY)', () => {
    const reports = tempDir()
    const historyPath = path.join(tempDir(), 'nested', 'history.jsonl')
    vi.stubEnv('KUBE_SCENARIOS_HISTORY', historyPath)
    const first = sampleRun()
    const second = { ...sampleRun(), runId: '20251126-000001', startedAt: first.startedAt + 86_400_000 }
    writeRunReport(first, { reportsDir: reports })
    const index = writeRunReport(second, { reportsDir: reports })

    expect(index).toBe(path.join(reports, '20251126-000001', 'index.html'))
    expect(readdirSync(reports).sort()).toEqual(['20251125-3f9a1c', '20251126-000001', 'latest'])
    expect(readdirSync(path.join(reports, 'latest')).sort()).toEqual(['index.html', 'junit.xml', 'report.json'])
    expect(readFileSync(path.join(reports, 'latest', 'index.html'), 'utf8')).toContain('run 20251126-000001')
    expect(readHistory(historyPath).map((r) => r.runId)).toEqual(['20251125-3f9a1c', '20251126-000001'])
    expect(existsSync(path.join(reports, 'history.jsonl'))).toBe(false)
  })

  test('the history defaults to history.jsonl in the reports folder', () => {
    vi.stubEnv('KUBE_SCENARIOS_HISTORY', '')
    expect(historyFile('reports')).toBe(path.resolve('reports', 'history.jsonl'))
    vi.stubEnv('KUBE_SCENARIOS_HISTORY', '/var/history.jsonl')
    expect(historyFile('reports')).toBe('/var/history.jsonl')
  })

  test('a report re-renders from its report.json with the history up to its run', () => {
    const reports = tempDir()
    // Never the environment's history (CI sets KUBE_SCENARIOS_HISTORY to the real one).
    const history = path.join(reports, 'history.jsonl')
    const first = sampleRun()
    writeRunReport(first, { reportsDir: reports, history })
    writeRunReport({ ...sampleRun(), runId: '20251126-000001' }, { reportsDir: reports, history })
    const dir = path.join(reports, first.runId)
    rmSync(path.join(dir, 'index.html'))
    expect(regenerateReport(dir, { history })).toBe(path.join(dir, 'index.html'))
    expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).toContain('History: 1 recorded run(s).')
    expect(() => regenerateReport(tempDir())).toThrow(/is not a kube-scenarios report folder: report.json is missing/)
  })

  test('only the newest run folders are kept (KUBE_SCENARIOS_KEEP_REPORTS); the history keeps every run', () => {
    const reports = tempDir()
    const history = path.join(reports, 'history.jsonl')
    writeFileSync(path.join(reports, 'README.md'), 'not a run')
    mkdirSync(path.join(reports, 'notes'))
    const runIds = ['20251125-000001', '20251125-000002', '20251125-000003', '20251125-000004']
    vi.stubEnv('KUBE_SCENARIOS_KEEP_REPORTS', '2')
    runIds.forEach((runId, i) => {
      writeRunReport({ ...sampleRun(), runId }, { reportsDir: reports, history })
      // Written seconds apart as far as the pruning can tell.
      const written = new Date(Date.UTC(2025, 10, 25, 9, 0, i))
      utimesSync(path.join(reports, runId, 'report.json'), written, written)
    })
    expect(readdirSync(reports).sort()).toEqual(['20251125-000003', '20251125-000004', 'README.md', 'history.jsonl', 'latest', 'notes'])
    expect(readHistory(history).map((r) => r.runId)).toEqual(runIds)
    vi.stubEnv('KUBE_SCENARIOS_KEEP_REPORTS', '0')
    expect(() => writeRunReport({ ...sampleRun(), runId: '20251125-000005' }, { reportsDir: reports, history })).toThrow(/KUBE_SCENARIOS_KEEP_REPORTS must be a positive whole number, not "0"/)
    expect(existsSync(path.join(reports, '20251125-000005'))).toBe(false)
  })
})
