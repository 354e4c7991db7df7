// vitest reporter: after the run, writes the HTML report, JUnit XML and the report data to
// reports/<run-id>/, refreshes reports/latest and appends the run to the history. It reports the
// scenario project only (unit tests are no recipes), so unit-only runs cost nothing.
import path from 'node:path'
import type { Reporter, SerializedError, TestCase, TestModule, TestRunEndReason } from 'vitest/node'
import { clusterOf, collectRun } from './collect.js'
import { writeRunReport } from './report-files.js'
import { parseShard, runSettings } from '../config/settings.js'

export interface HtmlReporterOptions {
  /** Folder of the run folders, `latest` and the default history; default KUBE_SCENARIOS_REPORT_DIR, else "reports". */
  reportsDir?: string
  /** The vitest project whose tests are reported; default "scenarios". */
  project?: string
  /** Past runs shown per test ID; default 20. */
  historyRuns?: number
}

export default class HtmlReporter implements Reporter {
  private readonly reportsDir: string
  private readonly project: string
  private startedAt = Date.now()
  private nodes: string[] | undefined
  private listing: Promise<void> | undefined

  constructor(private readonly options: HtmlReporterOptions = {}) {
    this.reportsDir = options.reportsDir ?? runSettings().reportDir
    this.project = options.project ?? 'scenarios'
  }

  onTestRunStart(): void {
    this.startedAt = Date.now()
  }

  /** Keeps the node list fresh while the cluster runs (scenarios may add nodes); one request at a time. */
  onTestCaseResult(test: TestCase): void {
    if (test.project.name !== this.project || this.listing) return
    const cluster = clusterOf(test.module)
    if (!cluster) return
    this.listing = import('./cluster-nodes.js')
      .then(({ listNodeNames }) => listNodeNames(cluster.kubeconfig))
      .then((names) => {
        if (names) this.nodes = names
      })
      .finally(() => (this.listing = undefined))
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const scenarios = modules.filter((m) => m.project.name === this.project)
    if (scenarios.length === 0) return
    try {
      const shardText = runSettings().shard
      const shard = shardText ? parseShard(shardText) : undefined
      const run = collectRun(scenarios, { startedAt: this.startedAt, endedAt: Date.now(), outcome: reason, unhandledErrors, nodes: this.nodes, shard })
      const index = writeRunReport(run, { reportsDir: this.reportsDir, historyRuns: this.options.historyRuns })
      const dir = readable(path.dirname(index))
      process.stdout.write(`\nreport: ${path.join(dir, 'index.html')} (JUnit: ${path.join(dir, 'junit.xml')}; latest: ${path.join(readable(this.reportsDir), 'latest')})\n`)
      if (shard) process.stdout.write(`shard ${shard.index}/${shard.count}: not recorded in the history until merged: kube-scenarios report --merge ${dir} <the other shards' folders>\n`)
    } catch (error) {
      // The run's outcome stands; a report that cannot be written is said, not thrown.
      process.stderr.write(`\nthe HTML report could not be written: ${(error as Error).stack ?? error}\n`)
    }
  }
}

/** Relative to the working directory when inside it, else absolute. */
function readable(file: string): string {
  const relative = path.relative(process.cwd(), path.resolve(file))
  return relative && !relative.startsWith('..') ? relative : path.resolve(file)
}
