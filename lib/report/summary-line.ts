// A vitest reporter with one job: end the run with the plain line "N passed, N failed" (plus
// skipped when any, and the flaky among the passed), so a CI log's result is readable at a glance. It counts as the HTML report does.
import type { Reporter, SerializedError, TestModule } from 'vitest/node'
import { collectFile } from './collect.js'
import { countByStatus, countFlaky, summaryLine } from './model.js'

export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const files = testModules.map(collectFile)
    const counts = countByStatus(files)
    // An error outside any test (a broken config, a crashed global setup) fails the run too.
    counts.failed += unhandledErrors.length
    process.stdout.write(`\n${summaryLine(counts, countFlaky(files))}\n`)
  }
}
