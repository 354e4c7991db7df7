// The report on disk: reports/<run-id>/ holds index.html, junit.xml and report.json (the data, to
// re-render later); reports/latest is a copy of the newest; the run is appended to the history.
// Synchronous on purpose: reporters run side by side, and the summary line must stay last.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { withFileLockSync, writeFileAtomicSync } from '#images/lib/state-files.mjs'
import path from 'node:path'
import { DEFAULT_HISTORY_RUNS, appendHistory, historyFile, historyRecordOf, historyUpTo, readHistory } from './history.js'
import { withUniqueKeys, type RunReport } from './model.js'
import { renderJunit } from './junit.js'
import { renderReport } from './render-report.js'
import { runSettings } from '../config/settings.js'

export const REPORT_DATA_FILE = 'report.json'
export const LATEST_DIR = 'latest'
/** Run folders kept in the reports folder; the history keeps every run's outcomes regardless. */
export const DEFAULT_KEPT_REPORTS = 20

export interface WriteOptions {
  /** Folder holding one sub-folder per run. */
  reportsDir: string
  /** The history file; default historyFile(reportsDir) (KUBE_SCENARIOS_HISTORY or reports/history.jsonl). */
  history?: string
  /** Runs shown per test ID; default DEFAULT_HISTORY_RUNS. */
  historyRuns?: number
  /** Run folders kept, newest first; default KUBE_SCENARIOS_KEEP_REPORTS or DEFAULT_KEPT_REPORTS. */
  keepReports?: number
}

/** A shard's run is recorded in the history by the merge of all shards, not on its own. */
export function recordedInHistory(run: RunReport): boolean {
  return !run.shard
}

/** Writes a finished run's report, records it in the history and refreshes `latest`; returns index.html's path. */
export function writeRunReport(run: RunReport, options: WriteOptions): string {
  const keep = options.keepReports ?? runSettings().keepReports
  const dir = runFolder(options.reportsDir, run.runId)
  const historyPath = options.history ?? historyFile(options.reportsDir)
  const record = historyRecordOf(run)
  if (recordedInHistory(run) && Object.keys(record.tests).length > 0) appendHistory(historyPath, record)
  const index = renderInto(dir, run, historyPath, options.historyRuns)
  refreshLatest(options.reportsDir, dir)
  pruneRunFolders(options.reportsDir, keep, dir)
  return index
}

/** The folder a run's report is written to: files written there first (a conformance run's JUnit) are kept with it. */
export function runFolder(reportsDir: string, runId: string): string {
  return path.join(reportsDir, safeName(runId))
}

/** The run folders (those holding a report.json), newest first. */
export function savedRunFolders(reportsDir: string): string[] {
  if (!existsSync(reportsDir)) return []
  return readdirSync(reportsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== LATEST_DIR && existsSync(path.join(reportsDir, entry.name, REPORT_DATA_FILE)))
    .map((entry) => path.join(reportsDir, entry.name))
    .map((dir) => ({ dir, written: statSync(path.join(dir, REPORT_DATA_FILE)).mtimeMs }))
    .sort((a, b) => b.written - a.written)
    .map(({ dir }) => dir)
}

/**
 * Deletes the oldest run folders beyond `keep`, never the one just written. Anything else in the
 * reports folder (history, README, latest, a user's files) stays.
 */
function pruneRunFolders(reportsDir: string, keep: number, current: string): void {
  const older = savedRunFolders(reportsDir).filter((dir) => path.resolve(dir) !== path.resolve(current))
  for (const dir of older.slice(Math.max(0, keep - 1))) rmSync(dir, { recursive: true, force: true })
}

/**
 * Replaces `latest` with a copy of dir, staged beside it so a reader never sees half a copy; under
 * a lock, so that of two runs finishing together the later one is `latest`, whole.
 */
function refreshLatest(reportsDir: string, dir: string): void {
  const latest = path.join(reportsDir, LATEST_DIR)
  withFileLockSync(latest, () => {
    const staged = `${latest}.${process.pid}`
    rmSync(staged, { recursive: true, force: true })
    cpSync(dir, staged, { recursive: true })
    rmSync(latest, { recursive: true, force: true })
    renameSync(staged, latest)
  })
}

/** Re-renders a report folder from its report.json with the history known now; returns index.html's path. */
export function regenerateReport(dir: string, options: { history?: string; historyRuns?: number } = {}): string {
  const saved = readRunReport(dir)
  // Keys are derived data: recomputed, so folders written before they existed re-render too.
  const run = { ...saved, files: withUniqueKeys(saved.files) }
  // A run folder sits in the reports folder, beside the default history file.
  return renderInto(dir, run, options.history ?? historyFile(path.dirname(path.resolve(dir))), options.historyRuns)
}

/** The run data a report folder was rendered from (its report.json). */
export function readRunReport(dir: string): RunReport {
  const data = path.join(dir, REPORT_DATA_FILE)
  if (!existsSync(data)) throw new Error(`${dir} is not a kube-scenarios report folder: ${REPORT_DATA_FILE} is missing`)
  return JSON.parse(readFileSync(data, 'utf8')) as RunReport
}

function renderInto(dir: string, run: RunReport, historyPath: string, historyRuns = DEFAULT_HISTORY_RUNS): string {
  mkdirSync(dir, { recursive: true })
  const history = historyUpTo(readHistory(historyPath), run.runId)
  // Atomically: `report --merge` and re-rendering read them while another run may be writing.
  writeFileAtomicSync(path.join(dir, REPORT_DATA_FILE), JSON.stringify(run))
  writeFileAtomicSync(path.join(dir, 'junit.xml'), renderJunit(run))
  const index = path.join(dir, 'index.html')
  writeFileAtomicSync(index, renderReport(run, { history, historyRuns }))
  return index
}

function safeName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9._-]/g, '-')
}
