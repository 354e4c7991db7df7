// `kube-scenarios soak --runs N [recipe|ID...]`: the same selection run N times in a row (a fresh
// cluster each time, or one cluster borrowed by every run with --reuse-cluster), then per ID how
// often it passed and failed across those runs, read back from the run history that the HTML
// report shows as history dots and flake rates.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { kubeconfigForBorrowing } from '../lib/cluster/kubeconfig.js'
import { exportSettings, type RunSettings } from '../lib/config/settings.js'
import { startRun } from '../lib/cluster/run.js'
import { readHistory, type HistoryRecord } from '../lib/report/history.js'

export interface SoakRow {
  id: string
  passed: number
  failed: number
  /** Runs in which the ID did not run (filtered out, or its file failed before it). */
  missing: number
}

/** Per ID, over the given runs of the history: passes, failures, runs without it. */
export function soakTable(history: readonly HistoryRecord[], runIds: readonly string[]): SoakRow[] {
  const runs = history.filter((r) => runIds.includes(r.runId))
  const ids = [...new Set(runs.flatMap((r) => Object.keys(r.tests)))].sort(byRecipeId)
  return ids.map((id) => {
    const outcomes = runs.map((r) => r.tests[id]?.status)
    return {
      id,
      passed: outcomes.filter((o) => o === 'passed').length,
      failed: outcomes.filter((o) => o === 'failed').length,
      missing: runIds.length - outcomes.filter(Boolean).length,
    }
  })
}

/** By ID, numbers in order (S2 before S10): any project's IDs, not only the chapter's. */
function byRecipeId(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true })
}

/** Tests that share an ID (J4, C4's cases) are keyed by their names: keep the column readable. */
const NAME_WIDTH = 48
const shorten = (key: string) => (key.length > NAME_WIDTH ? `${key.slice(0, NAME_WIDTH - 1)}…` : key)

export function formatSoakTable(rows: readonly SoakRow[], runs: number): string {
  const flaky = rows.filter((r) => r.failed > 0)
  const lines = rows.map((r) => {
    const ran = r.passed + r.failed
    const rate = ran ? `${((100 * r.failed) / ran).toFixed(0)}%` : '-'
    return `${shorten(r.id).padEnd(NAME_WIDTH)} ${String(r.passed).padStart(6)} ${String(r.failed).padStart(6)} ${String(r.missing).padStart(7)} ${rate.padStart(7)}`
  })
  return [
    `${'ID'.padEnd(NAME_WIDTH)} ${'passed'.padStart(6)} ${'failed'.padStart(6)} ${'not run'.padStart(7)} ${'failed%'.padStart(7)}`,
    ...lines,
    flaky.length ? `${flaky.length} of ${rows.length} IDs failed at least once in ${runs} runs: ${flaky.map((r) => r.id).join(', ')}` : `every ID passed in all ${runs} runs`,
  ].join('\n')
}

export interface SoakOptions {
  runs: number
  reuseCluster: boolean
  settings: RunSettings
  /** Runs the selection once (the CLI's run); returns its exit code. */
  runOnce: () => Promise<number>
  historyFile: string
  log?: (line: string) => void
}

/** Runs the selection `runs` times; returns the table's rows and the number of failed runs. */
export async function soak(options: SoakOptions): Promise<{ rows: SoakRow[]; failedRuns: number }> {
  const log = options.log ?? console.log
  const before = new Set(readHistory(options.historyFile).map((r) => r.runId))
  let borrowed: { stop(): Promise<void> } | undefined
  let folder: string | undefined
  if (options.reuseCluster) {
    const held = await startRun(options.settings, { log: (line) => log(`[soak] ${line}`) })
    borrowed = held
    folder = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-soak-'))
    const kubeconfig = path.join(folder, 'kubeconfig')
    writeFileSync(kubeconfig, kubeconfigForBorrowing(held.info), { mode: 0o600 })
    // Every run borrows the shared cluster.
    exportSettings({ cluster: 'kubeconfig', kubeconfig })
  }
  let failedRuns = 0
  try {
    for (let i = 1; i <= options.runs; i++) {
      log(`[soak] run ${i} of ${options.runs}`)
      if ((await options.runOnce()) !== 0) failedRuns++
      process.exitCode = undefined // one run's failure must not mark the next as failed
    }
  } finally {
    await borrowed?.stop()
    if (folder) rmSync(folder, { recursive: true, force: true })
  }
  const history = readHistory(options.historyFile)
  const runIds = history.map((r) => r.runId).filter((id) => !before.has(id))
  return { rows: soakTable(history, runIds), failedRuns }
}
