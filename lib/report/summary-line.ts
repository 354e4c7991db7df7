// A vitest reporter with one job: end the run with the plain line "N passed, N failed" (plus
// skipped when any, and the flaky and undecided among the passed), so a CI log's result is
// readable at a glance. It counts as the HTML report does. With --strict (KUBE_SCENARIOS_STRICT)
// an undecided test fails the run: vitest sets the exit code only for failures, never back to 0.
import type { Reporter, SerializedError, TestModule } from 'vitest/node'
import { runSettings } from '../config/settings.js'
import { collectFile } from './collect.js'
import { countByStatus, passMarks, strictVerdict, summaryLine } from './model.js'

export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const files = testModules.map(collectFile)
    const counts = countByStatus(files)
    // An error outside any test (a broken config, a crashed global setup) fails the run too.
    counts.failed += unhandledErrors.length
    const marks = passMarks(files)
    const strict = strictVerdict(marks, runSettings().strict)
    if (strict) {
      process.exitCode = 1
      process.stdout.write(`\n${strict}`)
    }
    process.stdout.write(`\n${summaryLine(counts, marks)}\n`)
  }
}
